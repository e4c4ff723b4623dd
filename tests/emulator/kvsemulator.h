/* kvs-emulator: a local Kinesis Video Streams archived-media service
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Serves GetDataEndpoint, ListFragments and GetMediaForFragmentList on one
 * loopback port, checks SigV4 signatures, and injects the faults the real
 * service shows. Runs on a thread and GMainContext of its own, so a test can
 * start it in-process and block on a pipeline.
 */
#pragma once

#include <glib.h>
#include "kvsmedia.h"

G_BEGIN_DECLS

#define KVS_EMULATOR_DEFAULT_ACCESS_KEY "AKIDEXAMPLE"
#define KVS_EMULATOR_DEFAULT_SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define KVS_EMULATOR_DEFAULT_REGION "us-west-2"
#define KVS_EMULATOR_MAX_BODY (1024 * 1024)

typedef struct _KvsEmulator KvsEmulator;

typedef struct
{
  gdouble time;                 /* epoch seconds */
  gchar *operation;             /* ListFragments, ..., or the path if unknown */
  gchar *stream;                /* may be NULL */
  guint status;
  gchar *error_type;            /* NULL on success */
  guint64 bytes;                /* response body bytes sent */
  guint fragments;              /* fragments asked for (media) or returned (list) */
  gboolean cut;                 /* the connection was closed mid-body */
} KvsLogEntry;

void kvs_log_entry_free (KvsLogEntry * entry);

KvsEmulator *kvs_emulator_new (void);
void kvs_emulator_free (KvsEmulator * emu);

/* Configuration, before start() */
void kvs_emulator_set_region (KvsEmulator * emu, const gchar * region);
/* Keys it accepts; the first call replaces the default pair. */
void kvs_emulator_add_credentials (KvsEmulator * emu, const gchar * access_key,
    const gchar * secret_key, const gchar * session_token);
/* Requests signed with @access_key get ExpiredTokenException from now on. */
void kvs_emulator_expire_credentials (KvsEmulator * emu,
    const gchar * access_key);
/* Start of streams added next (epoch ms); default: now minus their length */
void kvs_emulator_set_stream_start (KvsEmulator * emu, gint64 epoch_ms);
void kvs_emulator_set_tag_style (KvsEmulator * emu, KvsTagStyle style);

/* Streams. Adding to an existing name appends after its last fragment. */
gboolean kvs_emulator_add_synthetic (KvsEmulator * emu, const gchar * name,
    guint count, guint seconds, guint width, guint height, GError ** error);
typedef enum
{
  /* AAC sound beside the pictures; each fragment's last sound frame starts
   * up to 21 ms after the next fragment's listed start */
  KVS_SYNTHETIC_AUDIO = 1 << 0,
  /* with AUDIO: each fragment's sound also begins with the previous
   * fragment's last 64 ms (three frames again, at the same times) */
  KVS_SYNTHETIC_AUDIO_OVERLAP = 1 << 1,
} KvsSyntheticFlags;
gboolean kvs_emulator_add_synthetic_full (KvsEmulator * emu,
    const gchar * name, guint count, guint seconds, guint width, guint height,
    KvsSyntheticFlags flags, GError ** error);
gboolean kvs_emulator_add_capture (KvsEmulator * emu, const gchar * name,
    const gchar * path, GError ** error);
gboolean kvs_emulator_add_matroska (KvsEmulator * emu, const gchar * name,
    const gchar * path, guint seconds, GError ** error);
/* Fragments of @name, in ingestion order (owned by the emulator). */
const KvsFragment *kvs_emulator_get_fragments (KvsEmulator * emu,
    const gchar * name, guint * n_fragments);

/* Growing streams (kvslive.c). Live: a fragment is listed and served only
 * once the emulator's clock passes its server timestamp, and streams added
 * without a start begin now. */
void kvs_emulator_set_live (KvsEmulator * emu, gboolean live);
/* Every @every-th fragment (the @every-th, 2@every-th, ...; 0: none) shows
 * up @ms after its server timestamp, after the fragments that follow it,
 * as the service's eventually consistent listing can. */
void kvs_emulator_set_late_listing (KvsEmulator * emu, guint every,
    guint ms);
/* Ingestion pauses for @seconds before fragment @from of @name: it and
 * the ones after it move later. FALSE if there is no such fragment. */
gboolean kvs_emulator_add_pause (KvsEmulator * emu, const gchar * name,
    guint from, guint seconds);
/* Fragment @index of @name carries a producer time @ms later (a
 * producer's clock that jumped), in its listing and its document; its
 * server time stays. FALSE if there is no such synthetic fragment. */
gboolean kvs_emulator_jump_producer_clock (KvsEmulator * emu,
    const gchar * name, guint index, gint64 ms);
/* ListFragments lists fragment @index of @name with a ProducerTimestamp
 * of -1 (a broken entry); FALSE if there is no such fragment. */
gboolean kvs_emulator_list_unusable_time (KvsEmulator * emu,
    const gchar * name, guint index);
/* When fragment @i of @name is (or was) first listed: epoch ms, -1 if no
 * such fragment. */
gint64 kvs_emulator_listable_time (KvsEmulator * emu, const gchar * name,
    guint i);

/* Limits and faults: any time, from any thread. 0 turns a fault off. */
void kvs_emulator_set_rate_limit (KvsEmulator * emu, gboolean enabled);
void kvs_emulator_set_bandwidth (KvsEmulator * emu, guint64 bytes_per_second);
/* Bytes per HTTP chunk of a media body (0: 64 KiB) */
void kvs_emulator_set_chunk_size (KvsEmulator * emu, gsize bytes);
/* Uncapped, fault-free media bodies in one write per chunk (benchmarks);
 * a client that stops reading one for this long loses its connection */
void kvs_emulator_set_gather_chunks (KvsEmulator * emu, gboolean gather);
#define KVS_EMULATOR_GATHER_TIMEOUT_S 5
void kvs_emulator_set_latency (KvsEmulator * emu, guint ms);
void kvs_emulator_set_throttle_every (KvsEmulator * emu, guint n);
void kvs_emulator_set_fail_every (KvsEmulator * emu, guint n);
void kvs_emulator_set_malformed_json_every (KvsEmulator * emu, guint n);
void kvs_emulator_set_ordered (KvsEmulator * emu, gboolean ordered);
/* ListFragments pages hold a random 0 to @most entries whatever MaxResults
 * asked (at most MaxResults), empty ones with a NextToken too, as the API
 * allows (0: full pages). Default: $KVS_EMULATOR_SHORT_PAGES, which the
 * test suite sets. */
void kvs_emulator_set_short_pages (KvsEmulator * emu, guint most);
/* ListFragments pages hold @count entries whatever MaxResults asked, as a
 * broken or hostile service could (0: as asked). */
void kvs_emulator_set_long_pages (KvsEmulator * emu, guint count);
/* ListFragments lists every fragment with a FragmentSizeInBytes of
 * @bytes, whatever its size (0: its size), as a listing that lies. */
void kvs_emulator_set_listed_size (KvsEmulator * emu, guint64 bytes);
/* The service's clock runs @seconds ahead of this machine's (negative:
 * behind), to test clock-skew errors. */
void kvs_emulator_set_clock_offset (KvsEmulator * emu, gint seconds);
/* The first @n GetDataEndpoint answers name a closed port (a stale
 * endpoint). */
void kvs_emulator_set_stale_endpoints (KvsEmulator * emu, guint n);
/* Fragment @index of @name is stored (and listed) cut after @keep bytes
 * of its document, as a damaged archive would hold it. */
void kvs_emulator_truncate_fragment (KvsEmulator * emu, const gchar * name,
    guint index, guint64 keep);
/* The same after @fraction (0-1) of its document; @keep_listed_size: still
 * listed with its whole size, as the service can list a fragment it
 * stored truncated. */
void kvs_emulator_truncate_fragment_at (KvsEmulator * emu, const gchar * name,
    guint index, gdouble fraction, gboolean keep_listed_size);
/* GetDataEndpoint answers @url (NULL: the emulator's own address). */
void kvs_emulator_set_data_endpoint (KvsEmulator * emu, const gchar * url);
/* The @nth GetMediaForFragmentList response (1-based, counted from the
 * start) is cut after @bytes. */
void kvs_emulator_add_cut (KvsEmulator * emu, guint nth, guint64 bytes);
/* Every @n-th response (0: none) is cut at a random byte of its first
 * 256 KiB, for soaks. */
void kvs_emulator_set_cut_every (KvsEmulator * emu, guint n);
/* ... or stops sending after @bytes and keeps the connection open. */
void kvs_emulator_add_stall (KvsEmulator * emu, guint nth, guint64 bytes);
/* Fragment @index of @name comes back as an in-band error @times times. */
void kvs_emulator_add_fragment_error (KvsEmulator * emu, const gchar * name,
    guint index, guint times, const gchar * code);

gboolean kvs_emulator_start (KvsEmulator * emu, const gchar * address,
    guint port, const gchar * tls_cert, const gchar * tls_key,
    GError ** error);
guint kvs_emulator_get_port (KvsEmulator * emu);
/* "http://127.0.0.1:PORT" */
gchar *kvs_emulator_get_url (KvsEmulator * emu);

/* Media responses cut so far (--cut, --cut-every, _add_cut). */
guint kvs_emulator_count_cuts (KvsEmulator * emu);
/* TCP connections requests have arrived on so far, any API. */
guint kvs_emulator_get_connections (KvsEmulator * emu);
/* GetMediaForFragmentList calls so far (the count @nth refers to). */
guint kvs_emulator_get_media_calls (KvsEmulator * emu);
/* The most GetMediaForFragmentList responses of @name open at once; a
 * sixth concurrent one is refused with ClientLimitExceededException. */
guint kvs_emulator_get_peak_media_connections (KvsEmulator * emu,
    const gchar * name);

/* STS and the SSO portal (kvssts.c), on the same port: POST / with
 * Action=AssumeRole (signed for "sts") or AssumeRoleWithWebIdentity, and
 * GET /federation/credentials. The keys they issue are accepted by the
 * other APIs until they expire: after DurationSeconds (default 1 h), or
 * @seconds when set here (0: as asked). */
void kvs_emulator_set_sts_duration (KvsEmulator * emu, guint seconds);
/* Web identity tokens AssumeRoleWithWebIdentity accepts (none added: any
 * non-empty one). */
void kvs_emulator_add_web_identity_token (KvsEmulator * emu,
    const gchar * token);
/* Bearer tokens the SSO portal accepts (none added: none). */
void kvs_emulator_add_sso_token (KvsEmulator * emu, const gchar * token);
/* Refresh tokens SSO OIDC's CreateToken (POST /token) accepts, once each:
 * it answers with a new access token the portal accepts (for 1 h) and a
 * new refresh token in place of the one used. */
void kvs_emulator_add_sso_refresh_token (KvsEmulator * emu,
    const gchar * token);
/* A form parameter of the last STS call (Action, RoleArn, ExternalId,
 * RoleSessionName, DurationSeconds, WebIdentityToken), or NULL. */
gchar *kvs_emulator_get_last_sts_param (KvsEmulator * emu,
    const gchar * name);
/* The User-Agent of the last request, any API. */
gchar *kvs_emulator_get_last_user_agent (KvsEmulator * emu);

/* GetMediaForFragmentList responses of @name open now (a closed
 * connection counts off when the server notices it). */
guint kvs_emulator_get_open_media_connections (KvsEmulator * emu,
    const gchar * name);

/* Request log */
void kvs_emulator_set_log_file (KvsEmulator * emu, const gchar * path);
GPtrArray *kvs_emulator_get_log (KvsEmulator * emu);
/* Entries of @operation (NULL: any) with @error_type (NULL: successes,
 * "*": any outcome). */
guint kvs_emulator_count (KvsEmulator * emu, const gchar * operation,
    const gchar * error_type);
void kvs_emulator_clear_log (KvsEmulator * emu);

/* "1.764000002123E9": how the service writes epoch seconds in JSON */
gchar *kvs_format_java_double_seconds (gint64 epoch_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvsEmulator, kvs_emulator_free)

G_END_DECLS
