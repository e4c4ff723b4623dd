/* kvs-emulator: state shared by its files (not installed, not API)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * kvsemulator.c: configuration, faults, the log, routing, the server.
 * kvsrequest.c: answers, errors, body parsing, rate limits.
 * kvslist.c: GetDataEndpoint, ListFragments.
 * kvsgetmedia.c: GetMediaForFragmentList and /raw/.
 * kvsstreams.c: streams and their fragments.
 * kvsauth.c: SigV4 checks.
 * kvssts.c: STS AssumeRole / AssumeRoleWithWebIdentity, the SSO portal.
 * kvslive.c: growing streams (--live), ingestion pauses, late listing.
 * kvsmedia.c, kvssynthetic.c: fragment documents.
 */
#pragma once

#include "kvsemulator.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RATE_LIMIT_CALLS 5
#define MAX_SKEW_SECONDS (5 * 60)
/* what each write of a media body holds: the HTTP chunks the client sees */
#define DEFAULT_CHUNK_SIZE (64 * 1024)
#define DEFAULT_MAX_RESULTS 100
#define ACCOUNT "123456789012"

typedef enum
{
  OP_GET_DATA_ENDPOINT,
  OP_LIST_FRAGMENTS,
  OP_GET_MEDIA,
  N_OPS
} Operation;

typedef struct
{
  gchar *access_key;
  gchar *secret_key;
  gchar *session_token;
  gboolean expired;
  gint64 expires_at;            /* epoch s; 0: never (issued by STS: set) */
} Credentials;

typedef struct
{
  gchar *name;
  gchar *arn;
  GArray *fragments;            /* KvsFragment, ingestion order */
  GHashTable *by_number;        /* number -> index + 1 */
  GPtrArray *gops;              /* owned KvsGop */
  GPtrArray *captures;          /* owned capture fragments' memory */
  guint64 sequence;
  gint64 recent[N_OPS][RATE_LIMIT_CALLS];       /* monotonic µs of accepted calls */
  guint recent_pos[N_OPS];
  GHashTable *pending_errors;   /* index -> remaining in-band errors */
  GHashTable *error_codes;      /* index -> code */
  gboolean unsorted;            /* producer times not in ingestion order */
  guint media_open;             /* GetMediaForFragmentList responses now */
  guint media_peak;
} Stream;

/* the service's limit of concurrent media connections per stream */
#define MEDIA_CONNECTIONS 5

typedef struct
{
  guint nth;
  guint64 bytes;
  gboolean stall;
} Cut;

struct _KvsEmulator
{
  GMutex lock;                  /* everything below, when running */
  gchar *region;
  GPtrArray *credentials;       /* Credentials */
  gboolean default_credentials;
  GHashTable *streams;          /* name -> Stream */
  gint64 next_start_ms;         /* -1: now minus the stream's length */
  KvsTagStyle tag_style;

  gboolean rate_limit;
  guint64 bandwidth;
  gsize chunk_size;
  gboolean gather_chunks;
  guint latency_ms;
  guint throttle_every;
  guint fail_every;
  guint malformed_every;
  gint clock_offset;
  gboolean live;                /* fragments appear as their time passes */
  guint late_every;             /* every Nth fragment listed late... */
  guint late_ms;                /* ...by this much */
  guint stale_endpoints;
  gchar *data_endpoint;         /* answered by GetDataEndpoint, or NULL */
  guint cut_every;
  gboolean ordered;
  guint short_pages;            /* ListFragments pages of 0..this many */
  guint long_pages;             /* ...or of this many, over MaxResults */
  guint64 listed_size;          /* FragmentSizeInBytes of all; 0: true */
  GArray *cuts;                 /* Cut */
  guint calls;                  /* all calls, for the every-Nth faults */
  guint json_responses;
  guint media_calls;

  GPtrArray *log;               /* KvsLogEntry */
  GFileOutputStream *log_file;

  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
  gboolean tls;
  GCond started;
  gboolean running;
  GError *start_error;

  /* kvssts.c */
  guint sts_duration;           /* seconds the keys it issues last */
  GPtrArray *web_identity_tokens;       /* accepted; empty: any */
  GPtrArray *sso_tokens;        /* accepted bearer tokens */
  GPtrArray *sso_refresh_tokens;        /* what CreateToken accepts */
  GHashTable *last_sts_params;  /* of the last STS call */
  gchar *last_user_agent;
  guint connections;            /* TCP connections requests came on */
};


#define LOCKED(emu, stmt) G_STMT_START { \
  g_mutex_lock (&(emu)->lock); stmt; g_mutex_unlock (&(emu)->lock); \
} G_STMT_END

/* One API call being answered. */
typedef struct
{
  KvsEmulator *emu;
  SoupServerMessage *msg;
  Operation op;
  gchar *stream;                /* for the log */
} Request;

/* kvsrequest.c */
const gchar *kvs_op_name (Operation op);
void kvs_request_free (Request * r);
void kvs_respond_error (Request * r, guint status, const gchar * type,
    const gchar * message);
void kvs_respond_json (Request * r, JsonBuilder * b, guint fragments);
gboolean kvs_check_request_signature (Request * r);
JsonObject *kvs_parse_body (Request * r, JsonParser * parser);
gboolean kvs_get_string (Request * r, JsonObject * o, const gchar * name,
    const gchar ** out);
gboolean kvs_get_number (Request * r, JsonObject * o, const gchar * name,
    gdouble * out, gboolean * present);
Stream *kvs_lookup_stream (Request * r, JsonObject * o);
gboolean kvs_admit_call (Request * r, Stream * s);

/* kvslist.c, kvsgetmedia.c */
void kvs_handle_get_data_endpoint (Request * r, JsonObject * o);
void kvs_handle_list_fragments (Request * r, JsonObject * o);
void kvs_handle_get_media (Request * r, JsonObject * o);
void kvs_handle_raw (Request * r, const gchar * name, GHashTable * query);

/* kvsemulator.c */
void kvs_log_request (KvsEmulator * emu, const gchar * operation,
    const gchar * stream, guint status, const gchar * error_type,
    guint64 bytes, guint fragments, gboolean cut);
/* A new key pair the emulator accepts until @seconds from now. Lock held. */
Credentials *kvs_issue_credentials (KvsEmulator * emu, guint seconds);

/* kvsauth.c */
typedef struct
{
  guint status;
  const gchar *type;            /* "InvalidSignatureException", ... */
  gchar *message;               /* owned */
} KvsAuthFailure;

/* TRUE when @msg is signed for @service in the emulator's region with keys
 * it accepts; else FALSE with @failure filled in. */
gboolean kvs_verify_signature (KvsEmulator * emu, SoupServerMessage * msg,
    const gchar * service, KvsAuthFailure * failure);

/* kvssts.c: STS (POST / with an Action) and the SSO portal
 * (GET /federation/credentials). */
void kvs_handle_sts (KvsEmulator * emu, SoupServerMessage * msg);
/* SSO OIDC CreateToken with a refresh token (POST /token). */
void kvs_handle_sso_oidc (KvsEmulator * emu, SoupServerMessage * msg);
void kvs_handle_sso (KvsEmulator * emu, SoupServerMessage * msg,
    GHashTable * query);

/* kvslive.c. Lock held. */
gint64 kvs_emulator_now_ms (KvsEmulator * emu);
/* Whether fragment @i of @s can be listed and fetched yet: always, unless
 * the emulator is live. */
gboolean kvs_stream_listable (KvsEmulator * emu, Stream * s, guint i);
/* Where a live stream's first fragments start when no start was set. */
gint64 kvs_live_default_start (KvsEmulator * emu);

G_END_DECLS
