/* kvamsrc: Kinesis Video API calls over libsoup
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Signs each request, paces calls under the service's 5 per second per
 * stream and API, retries what the service says to retry with exponential
 * backoff and full jitter, and caches the data endpoint of each API.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamclient.h"
#include "kvamurl.h"
#include "kvamjson.h"
#include "kvampacer.h"
#include "kvamsigv4.h"
#include "kvamwait.h"

#include <string.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_STATIC (kvam_client_debug);
#define GST_CAT_DEFAULT kvam_client_debug

#define BACKOFF_BASE_US (100 * 1000)
#define BACKOFF_CAP_US (5 * G_USEC_PER_SEC)
/* retries are told of at most this often */
#define RETRY_NOTICE_INTERVAL (5 * G_USEC_PER_SEC)
#define MAX_ERROR_BODY (64 * 1024)
/* the service's clock is believed within this much of ours: the SDKs cap
 * skew correction too, and a Date of 9999 overflowed GDateTime */
#define MAX_CLOCK_OFFSET (G_TIME_SPAN_DAY)

static const gchar *const api_paths[KVAM_API_COUNT] = {
  "/getDataEndpoint", "/listFragments", "/getMediaForFragmentList"
};

static const gchar *const api_endpoint_names[KVAM_API_COUNT] = {
  NULL, "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST"
};

struct _KvamClient
{
  gchar *region;
  gchar *control_uri;
  gchar *stream_name;
  gchar *stream_arn;
  guint retry_attempts;
  gint64 timeout_us;            /* request-timeout: a JSON body's deadline */
  KvamCredentialsProvider *credentials;
  KvamTransport *transport;
  SoupSession *session;

  GMutex lock;
  GCond endpoint_found;         /* a lookup of a data endpoint ended */
  gchar *endpoints[KVAM_API_COUNT];
  guint lookups[KVAM_API_COUNT];        /* GetDataEndpoint calls that ended */
  GTimeSpan clock_offset;       /* the service's clock minus ours */
  KvamPacer *pacers[KVAM_API_COUNT];
  KvamClientStats stats;
  gint64 last_retry_notice;     /* monotonic µs, 0: none yet */
  guint retries_unreported;     /* since then */
  /* everything from lock on: protected by lock */

  KvamRetryNotify on_retry;
  gpointer on_retry_data;
};

/* ---- set-up -------------------------------------------------------------- */

static const gchar *const api_names[KVAM_API_COUNT] = {
  "GetDataEndpoint", "ListFragments", "GetMediaForFragmentList"
};

const gchar *
kvam_api_name (KvamApi api)
{
  return api < KVAM_API_COUNT ? api_names[api] : "unknown";
}

gchar *
kvam_client_default_control_uri (const gchar * region)
{
  return g_strdup_printf ("https://kinesisvideo.%s.amazonaws.com%s", region,
      g_str_has_prefix (region, "cn-") ? ".cn" : "");
}

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_client_debug, "kvamclient", 0,
        "kvamsrc Kinesis Video API client");
    g_once_init_leave (&once, 1);
  }
}

/* endpoint-uri, else the SDKs' configured endpoints, else AWS's. */
static gchar *
control_uri (const KvamClientConfig * config)
{
  gchar *configured;

  if (config->endpoint_uri)
    return kvam_url_canonical (config->endpoint_uri) ? : g_strdup
        (config->endpoint_uri);
  configured = kvam_configured_endpoint (config->profile, "kinesis_video");
  return configured ? configured :
      kvam_client_default_control_uri (config->region);
}

KvamClient *
kvam_client_new (const KvamClientConfig * config)
{
  KvamClient *self = g_new0 (KvamClient, 1);
  guint timeout_s = MAX (1, (config->timeout_ms + 999) / 1000);
  guint i;

  ensure_debug_category ();
  self->region = g_strdup (config->region);
  /* canonical: no trailing slash (paths are appended), lower-case scheme */
  self->control_uri = control_uri (config);
  self->stream_name = g_strdup (config->stream_name);
  self->stream_arn = g_strdup (config->stream_arn);
  self->retry_attempts = config->retry_attempts;
  self->on_retry = config->on_retry;
  self->on_retry_data = config->on_retry_data;
  self->timeout_us = (gint64) MAX (config->timeout_ms, 1) * 1000;
  self->credentials = config->credentials;
  self->transport = config->transport ? kvam_transport_ref
      (config->transport) : kvam_transport_new (NULL);
  /* libsoup's timeout bounds connecting and each read, in whole seconds;
   * its default of 2 connections per host would cap the read-ahead
   * responses, the service allows 5 per stream */
  self->session = kvam_transport_new_session (self->transport, timeout_s,
      2 * KVAM_PACER_CONNECTIONS);
  for (i = 0; i < KVAM_API_COUNT; i++) {
    g_autofree gchar *key = g_strdup_printf ("%s %s %s", self->control_uri,
        self->stream_arn ? self->stream_arn : self->stream_name,
        kvam_api_name (i));
    self->pacers[i] = kvam_pacer_acquire (key);
  }
  g_mutex_init (&self->lock);
  g_cond_init (&self->endpoint_found);
  return self;
}

void
kvam_client_free (KvamClient * self)
{
  guint i;

  if (!self)
    return;
  g_free (self->region);
  g_free (self->control_uri);
  g_free (self->stream_name);
  g_free (self->stream_arn);
  for (i = 0; i < KVAM_API_COUNT; i++) {
    g_free (self->endpoints[i]);
    kvam_pacer_release (self->pacers[i]);
  }
  g_clear_object (&self->session);
  kvam_transport_unref (self->transport);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->endpoint_found);
  g_free (self);
}

JsonBuilder *
kvam_client_begin_body (KvamClient * self)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, self->stream_name ? "StreamName" :
      "StreamARN");
  json_builder_add_string_value (b, self->stream_name ? self->stream_name :
      self->stream_arn);
  return b;
}

const gchar *
kvam_client_get_region (KvamClient * self)
{
  return self->region;
}

const gchar *
kvam_client_get_control_uri (KvamClient * self)
{
  return self->control_uri;
}

void
kvam_client_get_stats (KvamClient * self, KvamClientStats * stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

/* ---- waiting ------------------------------------------------------------- */

/* Waits for @api's turn on this stream, shared with every client of the
 * process that calls the same endpoint and stream; *@booked: the time the
 * call was booked for, for kvam_pacer_sent () once it was answered. */
static gboolean
pace (KvamClient * self, KvamApi api, GCancellable * cancellable,
    gint64 * booked)
{
  gint64 wait = kvam_pacer_reserve (self->pacers[api], booked);

  if (wait > 0) {
    GST_LOG ("pacing %s: waiting %" G_GINT64_FORMAT " us", kvam_api_name (api),
        wait);
    if (!kvam_cancellable_sleep (cancellable, wait))
      return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->stats.requests[api]++;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
gint64
kvam_backoff_us (guint attempt)
{
  gint64 ceiling = BACKOFF_BASE_US;

  /* doubled step by step and stopped at the cap: a shift by the attempt
   * number would overflow for large attempt counts */
  while (attempt-- > 0 && ceiling < BACKOFF_CAP_US)
    ceiling *= 2;
  ceiling = MIN (ceiling, BACKOFF_CAP_US);
  return (gint64) g_random_double_range (0, (gdouble) ceiling + 1);
}

/* ---- one request --------------------------------------------------------- */

/* Now by the service's clock, as far as we know it. */
static GDateTime *
signing_time (KvamClient * self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GDateTime *t;
  GTimeSpan offset;

  g_mutex_lock (&self->lock);
  offset = self->clock_offset;
  g_mutex_unlock (&self->lock);
  t = g_date_time_add (now, offset);
  return t ? t : g_date_time_ref (now);
}

/* After "Signature expired", sign by the clock of the response's Date
 * header from now on, as the AWS SDKs do: retrying with our own clock would
 * fail the same way. */
static void
learn_clock_offset (KvamClient * self, SoupMessage * msg)
{
  const gchar *date = soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Date");
  g_autoptr (GDateTime) server = date ? soup_date_time_new_from_http_string
      (date) : NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GTimeSpan offset;

  if (!server) {
    GST_WARNING ("signature expired and the response has no usable Date "
        "header: check the system clock");
    return;
  }
  offset = g_date_time_difference (server, now);
  if (ABS (offset) > MAX_CLOCK_OFFSET) {
    GST_WARNING ("signature expired, and the response's Date (%s) is more "
        "than a day from the system clock: not believed", date);
    return;
  }
  g_mutex_lock (&self->lock);
  self->clock_offset = offset;
  g_mutex_unlock (&self->lock);
  GST_WARNING ("the system clock is %" G_GINT64_FORMAT " s %s the service's "
      "(Date: %s); signing by the service's clock", ABS (offset) /
      G_TIME_SPAN_SECOND, offset > 0 ? "behind" : "ahead of", date);
}

static SoupMessage *
build_signed_message (KvamClient * self, const gchar * url,
    const gchar * body, KvamCredentials * creds)
{
  SoupMessage *msg = soup_message_new ("POST", url);
  g_autoptr (GDateTime) now = signing_time (self);
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT ("kinesisvideo",
      self->region);

  if (!msg)
    return NULL;
  /* a redirect would carry the session token and X-Amz-Date elsewhere;
   * and libsoup opens a new connection for every POST unless told it is
   * idempotent, which all of Kinesis Video's reads are: without the flag
   * each ListFragments page and media batch paid a TCP and TLS handshake */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT |
      SOUP_MESSAGE_IDEMPOTENT);
  kvam_transport_sign_post (msg, &opts, creds, now, "application/json", body);
  return msg;
}

static gboolean
is_clock_skew (const KvamAwsError * err)
{
  return g_strcmp0 (err->type, "InvalidSignatureException") == 0 &&
      err->message && strstr (err->message, "Signature expired");
}

/* Sends one signed request to @base + @api's path. Returns the body stream
 * of a 200, else NULL with @err set. */
static GInputStream *
send_once (KvamClient * self, KvamApi api, const gchar * base,
    const gchar * body, GCancellable * cancellable, KvamAwsError * err)
{
  g_autoptr (KvamCredentials) creds = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autofree gchar *url = g_strconcat (base, api_paths[api], NULL);
  const gchar *encoding;
  GError *e = NULL;
  gint64 booked = 0;
  guint status;

  creds = kvam_credentials_provider_get (self->credentials, cancellable, &e);
  if (!creds) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_CREDENTIALS, kvam_api_name (api), 0,
        "NoCredentials", e->message, NULL);
    g_error_free (e);
    return NULL;
  }
  /* paced before signing, so a long wait never ages the signature */
  if (!pace (self, api, cancellable, &booked)) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_CANCELLED, kvam_api_name (api), 0,
        "Cancelled", "cancelled", NULL);
    return NULL;
  }
  msg = build_signed_message (self, url, body, creds);
  if (!msg) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_INVALID, kvam_api_name (api), 0,
        "InvalidURL", url, NULL);
    return NULL;
  }
  GST_DEBUG ("%s %s", kvam_api_name (api), url);
  kvam_transport_prepare (self->transport, msg);
  in = soup_session_send (self->session, msg, cancellable, &e);
  /* the service counted the call when it arrived, which was before its
   * answer (signing, connecting and a busy machine delay a request after
   * its turn): the calls after it keep their distance from this */
  kvam_pacer_sent (self->pacers[api], booked);
  if (!in) {
    kvam_transport_explain (msg, e);
    kvam_aws_error_from_transport (err, kvam_api_name (api), e);
    g_error_free (e);
    return NULL;
  }
  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_REDIRECTION (status)) {
    g_autofree gchar *why = g_strdup_printf ("the endpoint answered HTTP %u "
        "(a redirect): signed requests are not sent elsewhere", status);
    kvam_aws_error_set (err, KVAM_AWS_ERROR_INVALID, kvam_api_name (api),
        status, "Redirect", why, NULL);
    return NULL;
  }
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_AUTH, kvam_api_name (api), status,
        "ProxyAuthenticationRequired", "the proxy asks for authentication "
        "(HTTP 407): set proxy-id and proxy-pw (or the proxy's credentials "
        "in HTTPS_PROXY)", NULL);
    return NULL;
  }
  if (status != SOUP_STATUS_OK) {
    const gchar *secrets[] = { creds->secret_access_key,
      creds->session_token, NULL
    };
    g_autoptr (GBytes) error_body = kvam_read_body (in, MAX_ERROR_BODY, TRUE,
        g_get_monotonic_time () + self->timeout_us, cancellable, NULL);
    kvam_aws_error_from_response (err, msg, error_body, kvam_api_name (api),
        secrets);
    if (is_clock_skew (err))
      learn_clock_offset (self, msg);
    GST_DEBUG ("%s failed: %s %s", kvam_api_name (api), err->type,
        GST_STR_NULL (err->message));
    return NULL;
  }
  encoding = soup_message_headers_get_one (soup_message_get_response_headers
      (msg), "Content-Encoding");
  if (encoding && g_ascii_strcasecmp (encoding, "identity") != 0) {
    g_autofree gchar *why = g_strdup_printf ("the response is compressed "
        "(Content-Encoding: %.32s), which was not asked for", encoding);
    kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED, kvam_api_name (api),
        status, "MalformedResponse", why, NULL);
    return NULL;
  }
  return g_steal_pointer (&in);
}

/* ---- endpoints and retries ----------------------------------------------- */

/* What a call does with a 200's body: a result, or NULL with @err set
 * (a malformed one is retried like a failed call). */
typedef gpointer (*KvamReadFunc) (KvamClient * self, KvamApi api,
    GInputStream * in, gpointer data, GCancellable * c, KvamAwsError * err);
static gpointer send_with_retries (KvamClient * self, KvamApi api,
    const gchar * body, KvamReadFunc read, gpointer data, gint64 deadline,
    GCancellable * cancellable, KvamAwsError * err);

/* The body of a 200, read within KVAM_JSON_MAX_BODY bytes and
 * request-timeout from its headers, then parsed. */
static JsonNode *
parse_json_stream (KvamClient * self, GInputStream * in, KvamApi api,
    GCancellable * c, KvamAwsError * err)
{
  g_autoptr (GBytes) body = NULL;
  JsonNode *root;
  GError *e = NULL;

  body = kvam_read_body (in, KVAM_JSON_MAX_BODY, FALSE,
      g_get_monotonic_time () + self->timeout_us, c, &e);
  if (!body) {
    if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
      kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED, kvam_api_name (api),
          200, "MalformedResponse", e->message, NULL);
    else
      kvam_aws_error_from_transport (err, kvam_api_name (api), e);
    g_error_free (e);
    return NULL;
  }
  root = kvam_json_parse_object (g_bytes_get_data (body, NULL),
      g_bytes_get_size (body), &e);
  if (!root) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED, kvam_api_name (api), 200,
        "MalformedResponse", e->message, NULL);
    g_error_free (e);
  }
  return root;
}

typedef struct
{
  KvamResponseCheck check;
  gpointer user_data;
} JsonRead;

/* A 200's JSON, and what @data's check says of it */
static gpointer
read_json (KvamClient * self, KvamApi api, GInputStream * in, gpointer data,
    GCancellable * cancellable, KvamAwsError * err)
{
  JsonRead *r = data;
  JsonNode *root = parse_json_stream (self, in, api, cancellable, err);
  GError *e = NULL;

  if (root && r && r->check && !r->check (root, r->user_data, &e)) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED, kvam_api_name (api),
        200, "MalformedResponse", e->message, NULL);
    g_clear_error (&e);
    g_clear_pointer (&root, json_node_unref);
  }
  return root;
}

/* The data endpoint of @api, from the cache or GetDataEndpoint. */
static gchar *
look_up_endpoint (KvamClient * self, KvamApi api, gint64 deadline,
    GCancellable * cancellable, KvamAwsError * err)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) body_node = NULL;
  g_autofree gchar *body = NULL;
  gchar *endpoint;
  gchar *cached;

  if (api == KVAM_API_GET_DATA_ENDPOINT)
    return g_strdup (self->control_uri);
  g_mutex_lock (&self->lock);
  cached = g_strdup (self->endpoints[api]);
  g_mutex_unlock (&self->lock);
  if (cached)
    return cached;

  b = kvam_client_begin_body (self);
  json_builder_set_member_name (b, "APIName");
  json_builder_add_string_value (b, api_endpoint_names[api]);
  json_builder_end_object (b);
  body_node = json_builder_get_root (b);
  body = json_to_string (body_node, FALSE);
  root = send_with_retries (self, KVAM_API_GET_DATA_ENDPOINT, body,
      read_json, NULL, deadline, cancellable, err);
  if (!root)
    return NULL;
  endpoint = kvam_url_canonical (kvam_json_get_string (json_node_get_object
          (root), "DataEndpoint"));
  if (!endpoint) {
    kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED,
        kvam_api_name (KVAM_API_GET_DATA_ENDPOINT), 200, "MalformedResponse",
        "no DataEndpoint URL in the response", NULL);
    return NULL;
  }
  if (!kvam_url_is_https (endpoint) && kvam_url_is_https (self->control_uri)) {
    /* signed requests and media in clear text, on the word of one answer */
    kvam_aws_error_set (err, KVAM_AWS_ERROR_INVALID,
        kvam_api_name (KVAM_API_GET_DATA_ENDPOINT), 200, "InsecureDataEndpoint",
        "the https:// control plane named an http:// data endpoint: refused",
        NULL);
    g_free (endpoint);
    return NULL;
  }
  GST_INFO ("data endpoint of %s: %s", kvam_api_name (api), endpoint);
  g_mutex_lock (&self->lock);
  g_free (self->endpoints[api]);
  self->endpoints[api] = endpoint;
  cached = g_strdup (self->endpoints[api]);
  g_mutex_unlock (&self->lock);
  return cached;
}

/* The data endpoint of @api, from the cache or GetDataEndpoint; whoever
 * waits for a lookup to end (wait_for_endpoint()) is woken. */
static gchar *
data_endpoint (KvamClient * self, KvamApi api, gint64 deadline,
    GCancellable * cancellable, KvamAwsError * err)
{
  gchar *endpoint = look_up_endpoint (self, api, deadline, cancellable, err);

  if (api != KVAM_API_GET_DATA_ENDPOINT) {
    g_mutex_lock (&self->lock);
    self->lookups[api]++;
    g_cond_broadcast (&self->endpoint_found);
    g_mutex_unlock (&self->lock);
  }
  return endpoint;
}

/* Waits until @api's endpoint is known (TRUE), or its lookup failed, or
 * request-timeout passed, or @cancellable was cancelled. */
static gboolean
wait_for_endpoint (KvamClient * self, KvamApi api, GCancellable * cancellable)
{
  gint64 deadline = g_get_monotonic_time () + self->timeout_us;
  KvamCancelWake wake;
  gboolean found;

  kvam_cancel_wake_connect (&wake, cancellable, &self->lock,
      &self->endpoint_found);
  g_mutex_lock (&self->lock);
  while (!self->endpoints[api] && self->lookups[api] == 0 &&
      !g_cancellable_is_cancelled (cancellable) &&
      g_cond_wait_until (&self->endpoint_found, &self->lock, deadline));
  found = self->endpoints[api] != NULL;
  g_mutex_unlock (&self->lock);
  kvam_cancel_wake_disconnect (&wake);
  return found;
}

void
kvam_client_prepare_endpoint (KvamClient * self, KvamApi api, KvamApi after,
    GCancellable * cancellable)
{
  KvamAwsError err = { 0 };

  /* after: a stream that does not exist, keys that do not work, are found
   * once, by the call that needs them */
  if (!wait_for_endpoint (self, after, cancellable))
    return;
  g_free (data_endpoint (self, api, 0, cancellable, &err));
  if (err.type)
    GST_DEBUG ("looking up the data endpoint of %s ahead failed: %s",
        kvam_api_name (api), err.type);
  kvam_aws_error_clear (&err);
}

void
kvam_client_invalidate_endpoint (KvamClient * self, KvamApi api)
{
  g_mutex_lock (&self->lock);
  if (self->endpoints[api])
    self->stats.endpoint_refreshes++;
  g_clear_pointer (&self->endpoints[api], g_free);
  g_mutex_unlock (&self->lock);
}

/* Every throttled answer is counted, the last of a call's attempts too. */
static void
count_throttle (KvamClient * self, const KvamAwsError * err)
{
  g_mutex_lock (&self->lock);
  if (err->kind == KVAM_AWS_ERROR_THROTTLED)
    self->stats.throttles++;
  g_mutex_unlock (&self->lock);
}

/* After an error: refresh what it points at, and say whether the call is
 * worth trying again. */
static gboolean
prepare_retry (KvamClient * self, KvamApi api, KvamAwsError * err,
    gboolean * refreshed_credentials, gboolean * refreshed_endpoint)
{

  if (err->kind == KVAM_AWS_ERROR_AUTH &&
      (g_strcmp0 (err->type, "ExpiredTokenException") == 0 ||
          (g_strcmp0 (err->type, "NotAuthorizedException") == 0 &&
              !*refreshed_credentials))) {
    /* the keys may have rotated: fetch them again. An expired token is
     * retried with backoff (its replacement may be a moment late); a
     * refusal only once. */
    *refreshed_credentials = TRUE;
    kvam_credentials_provider_invalidate (self->credentials);
    g_mutex_lock (&self->lock);
    self->stats.credential_refreshes++;
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  if (is_clock_skew (err))
    return TRUE;                /* signed by the service's clock this time */
  if (api != KVAM_API_GET_DATA_ENDPOINT &&
      (err->kind == KVAM_AWS_ERROR_NETWORK ||
          (err->kind == KVAM_AWS_ERROR_NOT_FOUND && !*refreshed_endpoint))) {
    /* a stale data endpoint: ask GetDataEndpoint again (a 404 only once:
     * a second one means the stream is gone) */
    *refreshed_endpoint |= err->kind == KVAM_AWS_ERROR_NOT_FOUND;
    kvam_client_invalidate_endpoint (self, api);
    return TRUE;
  }
  return kvam_aws_error_is_retryable (err);
}

/* The longest all of @retries backoffs can take. */
static gint64
backoff_budget_us (guint retries)
{
  gint64 step = BACKOFF_BASE_US, sum = 0;
  guint i;

  for (i = 0; i < retries; i++) {
    sum += MIN (step, BACKOFF_CAP_US);
    step = MIN (step * 2, BACKOFF_CAP_US);
  }
  return sum;
}

/* Tells the notify about a retry, at most once per RETRY_NOTICE_INTERVAL
 * (the retries in between are counted in the next notice). */
static void
notice_retry (KvamClient * self, const KvamAwsError * err, guint attempt,
    gint64 delay_us)
{
  gint64 now = g_get_monotonic_time ();
  guint unreported;

  g_mutex_lock (&self->lock);
  self->stats.retries++;
  if (self->last_retry_notice &&
      now - self->last_retry_notice < RETRY_NOTICE_INTERVAL) {
    self->retries_unreported++;
    g_mutex_unlock (&self->lock);
    return;
  }
  self->last_retry_notice = now;
  unreported = self->retries_unreported;
  self->retries_unreported = 0;
  g_mutex_unlock (&self->lock);
  if (self->on_retry)
    self->on_retry (self->on_retry_data, err, attempt + 1,
        self->retry_attempts, delay_us, unreported);
}

/* The last error of a call that was tried more than once says so. */
static void
note_gave_up (KvamAwsError * err, guint tries, gint64 started)
{
  gchar *message;

  if (tries < 2 || err->kind == KVAM_AWS_ERROR_CANCELLED)
    return;
  message = g_strdup_printf ("%s (gave up after %u tries in %.1f s)",
      err->message ? err->message : "failed", tries,
      (g_get_monotonic_time () - started) / (gdouble) G_USEC_PER_SEC);
  g_free (err->message);
  err->message = message;
}

/* One call, retried as prepare_retry () says: sent, then its 200 read by
 * @read (NULL: the response stream itself is the result). A retry starts
 * only if it can end, request-timeout after it starts, by @deadline (0: a
 * call of its own, with (retry-attempts + 1) x request-timeout and the
 * longest backoffs): however the service fails, the call ends within that,
 * and a service that only times out still gets every try. */
static gpointer
send_with_retries (KvamClient * self, KvamApi api, const gchar * body,
    KvamReadFunc read, gpointer data, gint64 deadline,
    GCancellable * cancellable, KvamAwsError * err)
{
  gboolean refreshed_credentials = FALSE, refreshed_endpoint = FALSE;
  gint64 started = g_get_monotonic_time ();
  guint attempt;

  if (!deadline)
    deadline = started + (self->retry_attempts + 1) * self->timeout_us +
        backoff_budget_us (self->retry_attempts);
  for (attempt = 0;; attempt++) {
    g_autofree gchar *base = data_endpoint (self, api, deadline, cancellable,
        err);
    GInputStream *in;
    gpointer result;
    gint64 delay;

    if (!base)
      return NULL;              /* GetDataEndpoint was retried already */
    in = send_once (self, api, base, body, cancellable, err);
    result = in && read ? read (self, api, in, data, cancellable, err) : in;
    if (in && read)
      g_object_unref (in);
    if (result) {
      kvam_aws_error_clear (err);       /* earlier attempts' errors are past */
      return result;
    }
    count_throttle (self, err);
    delay = kvam_backoff_us (attempt);
    if (attempt >= self->retry_attempts ||
        g_get_monotonic_time () + delay + self->timeout_us > deadline ||
        !prepare_retry (self, api, err, &refreshed_credentials,
            &refreshed_endpoint)) {
      note_gave_up (err, attempt + 1, started);
      return NULL;
    }
    GST_INFO ("%s: %s, retry %u of %u", kvam_api_name (api), err->type,
        attempt + 1, self->retry_attempts);
    notice_retry (self, err, attempt, delay);
    if (!kvam_cancellable_sleep (cancellable, delay)) {
      kvam_aws_error_set (err, KVAM_AWS_ERROR_CANCELLED, kvam_api_name (api), 0,
          "Cancelled", "cancelled", NULL);
      return NULL;
    }
  }
}

static gchar *
finish_body (JsonBuilder * body)
{
  g_autoptr (JsonNode) node = NULL;

  json_builder_end_object (body);
  node = json_builder_get_root (body);
  return json_to_string (node, FALSE);
}

JsonNode *
kvam_client_call (KvamClient * self, KvamApi api, JsonBuilder * body,
    GCancellable * cancellable, KvamAwsError * err)
{
  return kvam_client_call_checked (self, api, body, NULL, NULL, cancellable,
      err);
}

JsonNode *
kvam_client_call_checked (KvamClient * self, KvamApi api, JsonBuilder * body,
    KvamResponseCheck check, gpointer user_data, GCancellable * cancellable,
    KvamAwsError * err)
{
  g_autofree gchar *text = finish_body (body);
  JsonRead r = { check, user_data };

  /* a 200 with a body we cannot read, or that @check refuses, is retried
   * like a failed call, in the same loop */
  return send_with_retries (self, api, text, read_json, &r, 0, cancellable,
      err);
}

GInputStream *
kvam_client_open (KvamClient * self, KvamApi api, JsonBuilder * body,
    GCancellable * cancellable, KvamAwsError * err)
{
  g_autofree gchar *text = finish_body (body);

  return send_with_retries (self, api, text, NULL, NULL, 0, cancellable, err);
}

GInputStream *
kvam_client_open_text (KvamClient * self, KvamApi api, const gchar * body,
    GCancellable * cancellable, KvamAwsError * err)
{
  return send_with_retries (self, api, body, NULL, NULL, 0, cancellable, err);
}

gchar *
kvam_client_finish_body (JsonBuilder * body)
{
  return finish_body (body);
}

KvamPacer *
kvam_client_get_pacer (KvamClient * self, KvamApi api)
{
  return self->pacers[api];
}
