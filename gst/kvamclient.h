/* kvamsrc: Kinesis Video API calls over libsoup
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "kvamcredentials.h"

G_BEGIN_DECLS

typedef enum
{
  KVAM_API_GET_DATA_ENDPOINT,
  KVAM_API_LIST_FRAGMENTS,
  KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST,
  KVAM_API_COUNT
} KvamApi;

const gchar *kvam_api_name (KvamApi api);

typedef enum
{
  KVAM_AWS_ERROR_NONE,
  KVAM_AWS_ERROR_THROTTLED,     /* ClientLimitExceededException, 429 */
  KVAM_AWS_ERROR_NOT_FOUND,     /* ResourceNotFoundException, 404 */
  KVAM_AWS_ERROR_AUTH,          /* signature, key, token, permission */
  KVAM_AWS_ERROR_INVALID,       /* InvalidArgumentException, other 4xx */
  KVAM_AWS_ERROR_SERVER,        /* 5xx */
  KVAM_AWS_ERROR_NETWORK,       /* connection refused, reset, closed */
  KVAM_AWS_ERROR_TIMEOUT,
  KVAM_AWS_ERROR_MALFORMED,     /* a 200 whose body we cannot read */
  KVAM_AWS_ERROR_CANCELLED,
  KVAM_AWS_ERROR_CREDENTIALS,   /* no usable credentials */
} KvamAwsErrorKind;

/* What went wrong with a call, with what AWS said about it. */
typedef struct
{
  KvamAwsErrorKind kind;
  KvamApi api;
  guint status;                 /* HTTP status, 0 without a response */
  gchar *type;                  /* e.g. "InvalidSignatureException" */
  gchar *message;
  gchar *request_id;
} KvamAwsError;

void kvam_aws_error_clear (KvamAwsError * err);
void kvam_aws_error_set (KvamAwsError * err, KvamAwsErrorKind kind,
    KvamApi api, guint status, const gchar * type, const gchar * message,
    const gchar * request_id);
gboolean kvam_aws_error_is_retryable (const KvamAwsError * err);
/* "ListFragments: ResourceNotFoundException (HTTP 404, request id X): msg" */
gchar *kvam_aws_error_describe (const KvamAwsError * err);

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

typedef struct
{
  const gchar *region;
  const gchar *endpoint_uri;    /* control plane; NULL for AWS's */
  const gchar *stream_name;     /* one of these two */
  const gchar *stream_arn;
  guint timeout_ms;             /* connect and each read stall */
  guint retry_attempts;         /* retries after the first try */
  KvamCredentialsProvider *credentials;       /* not owned */
} KvamClientConfig;

KvamClient *kvam_client_new (const KvamClientConfig * config);
void kvam_client_free (KvamClient * client);

/* Proxies as the AWS SDKs take them: HTTPS_PROXY, HTTP_PROXY and NO_PROXY
 * (or lower case) from the environment; NULL for none. Not GLib's default
 * resolver: its libproxy was seen to corrupt the heap when the lister and
 * streaming threads asked it at once. */
GProxyResolver *kvam_environment_proxy_resolver (void);

/* https://kinesisvideo.REGION.amazonaws.com (.com.cn in China regions) */
gchar *kvam_client_default_control_uri (const gchar * region);

/* Starts a request body holding the stream's name or ARN; add members and
 * pass it to a call. */
JsonBuilder *kvam_client_begin_body (KvamClient * client);

/* One JSON call, paced and retried; returns the response object's root. */
JsonNode *kvam_client_call (KvamClient * client, KvamApi api,
    JsonBuilder * body, GCancellable * cancellable, KvamAwsError * err);

/* A call whose 200 response is read as a stream (media). Paced and retried
 * until the response headers arrive; reading is the caller's. */
GInputStream *kvam_client_open (KvamClient * client, KvamApi api,
    JsonBuilder * body, GCancellable * cancellable, KvamAwsError * err);

/* Forget the cached data endpoint of @api (after a failure on it). */
void kvam_client_invalidate_endpoint (KvamClient * client, KvamApi api);

/* Backoff before retry @attempt (0-based): full jitter, exponential. */
gint64 kvam_backoff_us (guint attempt);

/* Sleeps @usec unless @cancellable fires first; FALSE when cancelled. */
gboolean kvam_cancellable_sleep (GCancellable * cancellable, gint64 usec);

void kvam_client_get_stats (KvamClient * client, KvamClientStats * stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamClient, kvam_client_free)

G_END_DECLS
