/* kvamsrc: Kinesis Video API calls over libsoup
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "kvamapi.h"
#include "kvamawserror.h"
#include "kvampacer.h"
#include "kvamcredentials.h"
#include "kvamtransport.h"

G_BEGIN_DECLS

/* Counters a client keeps, for the element's stats. */
typedef struct
{
  guint requests[KVAM_API_COUNT];
  guint retries;
  guint throttles;
  guint endpoint_refreshes;
  guint credential_refreshes;
} KvamClientStats;

typedef struct _KvamClient KvamClient;

/* A failed call is tried again (@attempt of @attempts retries, after
 * @delay_us); @unreported retries came since the last notice, which are at
 * most one per 5 s. Called from the thread making the call. */
typedef void (*KvamRetryNotify) (gpointer data, const KvamAwsError * err,
    guint attempt, guint attempts, gint64 delay_us, guint unreported);

typedef struct
{
  const gchar *region;
  const gchar *endpoint_uri;    /* control plane; NULL for AWS's */
  const gchar *stream_name;     /* one of these two */
  const gchar *stream_arn;
  guint timeout_ms;             /* connect and each read stall */
  guint retry_attempts;         /* retries after the first try */
  KvamCredentialsProvider *credentials;       /* not owned */
  KvamTransport *transport;     /* NULL: defaults */
  const gchar *profile;         /* for configured endpoints; may be NULL */
  KvamRetryNotify on_retry;     /* may be NULL */
  gpointer on_retry_data;
} KvamClientConfig;

KvamClient *kvam_client_new (const KvamClientConfig * config);
void kvam_client_free (KvamClient * client);

/* The region requests are signed for, and the control plane they go to
 * (for messages); owned by the client, fixed from kvam_client_new () on. */
const gchar *kvam_client_get_region (KvamClient * client);
const gchar *kvam_client_get_control_uri (KvamClient * client);

/* https://kinesisvideo.REGION.amazonaws.com (.com.cn in China regions) */
gchar *kvam_client_default_control_uri (const gchar * region);

/* Starts a request body holding the stream's name or ARN; add members and
 * pass it to a call. */
JsonBuilder *kvam_client_begin_body (KvamClient * client);

/* One JSON call, paced and retried; returns the response object's root. */
JsonNode *kvam_client_call (KvamClient * client, KvamApi api,
    JsonBuilder * body, GCancellable * cancellable, KvamAwsError * err);

/* Checks (and may take in) a response; FALSE with @error makes it a
 * malformed response, retried within retry-attempts. */
typedef gboolean (*KvamResponseCheck) (JsonNode * root, gpointer user_data,
    GError ** error);
JsonNode *kvam_client_call_checked (KvamClient * client, KvamApi api,
    JsonBuilder * body, KvamResponseCheck check, gpointer user_data,
    GCancellable * cancellable, KvamAwsError * err);

/* A call whose 200 response is read as a stream (media). Paced and retried
 * until the response headers arrive; reading is the caller's. */
GInputStream *kvam_client_open (KvamClient * client, KvamApi api,
    JsonBuilder * body, GCancellable * cancellable, KvamAwsError * err);

/* The same with the body's text (kvam_client_finish_body()), from any
 * thread. */
GInputStream *kvam_client_open_text (KvamClient * client, KvamApi api,
    const gchar * body, GCancellable * cancellable, KvamAwsError * err);
/* The text of a body begun with kvam_client_begin_body(). */
gchar *kvam_client_finish_body (JsonBuilder * body);
/* The stream's pacer for @api: the process-wide count of its open media
 * connections (kvampacer.h). */
KvamPacer *kvam_client_get_pacer (KvamClient * client, KvamApi api);

/* Look up @api's data endpoint now, once @after's was found (by another
 * thread), while something else is waited for (the listing, before the
 * first media call): a round trip less before the first byte. Nothing is
 * asked if @after's lookup failed; a failure is left for the call itself
 * to report. */
void kvam_client_prepare_endpoint (KvamClient * client, KvamApi api,
    KvamApi after, GCancellable * cancellable);
/* Forget the cached data endpoint of @api (after a failure on it). */
void kvam_client_invalidate_endpoint (KvamClient * client, KvamApi api);

/* Backoff before retry @attempt (0-based): full jitter, exponential. */
gint64 kvam_backoff_us (guint attempt);

void kvam_client_get_stats (KvamClient * client, KvamClientStats * stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamClient, kvam_client_free)

G_END_DECLS
