/* kvamsrc: Kinesis Video Streams archived media source
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-kvamsrc
 * @title: kvamsrc
 *
 * kvamsrc plays back archived media of an Amazon Kinesis Video stream. It
 * lists the fragments of a time range (ListFragments), fetches their media
 * (GetMediaForFragmentList) and pushes one continuous Matroska stream.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 kvamsrc stream-name=front-door \
 *     start-time=2026-11-24T10:00:00Z end-time=2026-11-24T10:05:00Z ! \
 *     matroskademux ! h264parse ! mp4mux ! filesink location=clip.mp4
 * ]|
 *
 * Credentials come from the access-key / secret-access-key properties, else
 * the AWS default chain: environment, shared files (profile), container
 * credentials, EC2 instance metadata.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkvamsrc.h"
#include "kvamclient.h"
#include "kvamcredentials.h"
#include "kvamfragmentindex.h"
#include "kvammkvmerger.h"
#include "kvamtime.h"

#include <string.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

GST_DEBUG_CATEGORY_STATIC (gst_kvam_src_debug);
#define GST_CAT_DEFAULT gst_kvam_src_debug

#define DEFAULT_REQUEST_TIMEOUT 15000
#define MAX_REQUEST_TIMEOUT (24 * 3600 * 1000)
#define DEFAULT_RETRY_ATTEMPTS 5
#define MAX_RETRY_ATTEMPTS 100
#define DEFAULT_SELECTOR KVAM_SELECTOR_SERVER
#define DEFAULT_ON_FRAGMENT_ERROR GST_KVAM_SRC_ON_ERROR_SKIP
#define DEFAULT_BLOCKSIZE (64 * 1024)
#define MAX_BLOCKSIZE (16 * 1024 * 1024)
#define LIST_PAGE_SIZE 1000
/* Fragments per GetMediaForFragmentList: the service's maximum. The
 * response is streamed, so a large batch costs no memory; fewer calls mean
 * fewer round trips and a wide margin under the 5 calls/s limit. The first
 * batch is as small as the first listing window, for a quick first byte. */
#define MEDIA_BATCH 1000

typedef enum
{
  GST_KVAM_SRC_ON_ERROR_SKIP,
  GST_KVAM_SRC_ON_ERROR_FAIL,
} GstKvamSrcOnError;

enum
{
  PROP_0,
  PROP_STREAM_NAME,
  PROP_STREAM_ARN,
  PROP_START_TIME,
  PROP_END_TIME,
  PROP_REGION,
  PROP_ACCESS_KEY,
  PROP_SECRET_ACCESS_KEY,
  PROP_SESSION_TOKEN,
  PROP_PROFILE,
  PROP_ENDPOINT_URI,
  PROP_REQUEST_TIMEOUT,
  PROP_RETRY_ATTEMPTS,
  PROP_FRAGMENT_SELECTOR_TYPE,
  PROP_KEEP_TIMECODES,
  PROP_ON_FRAGMENT_ERROR,
  PROP_STATS,
};

struct _GstKvamSrc
{
  GstPushSrc parent;

  /* properties, under the object lock */
  gchar *stream_name;
  gchar *stream_arn;
  gchar *start_time;
  gchar *end_time;
  gchar *region;
  gchar *access_key;
  gchar *secret_access_key;
  gchar *session_token;
  gchar *profile;
  gchar *endpoint_uri;
  guint request_timeout;
  guint retry_attempts;
  KvamSelector selector;
  gboolean keep_timecodes;
  GstKvamSrcOnError on_fragment_error;

  /* set up in start(), used by the streaming thread */
  GCancellable *cancellable;    /* unlock() */
  GCancellable *lister_cancellable;     /* stop() */
  KvamCredentialsProvider *credentials;
  gchar *active_region;
  GstClockTime range_start;     /* ns since the epoch */
  GstClockTime range_end;
  KvamClient *client;
  KvamFragmentIndex *index;
  GThread *lister;

  /* the streaming loop */
  KvamMkvMerger *merger;
  GInputStream *response;
  GPtrArray *batch;             /* const KvamFragment * of the response */
  guint next_fragment;          /* first fragment not completely written */
  KvamMergerResume resume;
  guint failures;               /* consecutive, reset when data arrives */
  guint fragment_failures;      /* in-band errors of next_fragment */
  gboolean discont;
  GPtrArray *pending_messages;  /* posted with the next buffer */
  guint pending_delivered;      /* fragments whose last frame is out */
  gint64 last_progress;         /* monotonic µs: response opened or frames out */
  guint8 *read_buf;             /* one block of the response */
  gsize read_buf_size;

  /* stats, under the object lock */
  guint delivered;
  guint skipped;
  guint64 bytes_out;
  GstClockTime current_producer;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-matroska"));

#define GST_TYPE_KVAM_SRC_SELECTOR (gst_kvam_src_selector_get_type ())
static GType
gst_kvam_src_selector_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {KVAM_SELECTOR_SERVER, "Server timestamps (SERVER_TIMESTAMP)", "server"},
    {KVAM_SELECTOR_PRODUCER, "Producer timestamps (PRODUCER_TIMESTAMP)",
        "producer"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKvamSrcSelector",
            values));
  return type;
}

#define GST_TYPE_KVAM_SRC_ON_ERROR (gst_kvam_src_on_error_get_type ())
static GType
gst_kvam_src_on_error_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KVAM_SRC_ON_ERROR_SKIP, "Skip it with a warning", "skip"},
    {GST_KVAM_SRC_ON_ERROR_FAIL, "Stop with an error", "fail"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstKvamSrcOnError",
            values));
  return type;
}

#define gst_kvam_src_parent_class parent_class
G_DEFINE_TYPE (GstKvamSrc, gst_kvam_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (kvamsrc, "kvamsrc", GST_RANK_NONE,
    GST_TYPE_KVAM_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_kvam_src_debug, "kvamsrc", 0,
        "Kinesis Video Streams archived media source"));

static void
clear_secret (gchar ** secret)
{
  if (*secret)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
gst_kvam_src_finalize (GObject * object)
{
  GstKvamSrc *self = GST_KVAM_SRC (object);

  g_free (self->stream_name);
  g_free (self->stream_arn);
  g_free (self->start_time);
  g_free (self->end_time);
  g_free (self->region);
  g_free (self->access_key);
  clear_secret (&self->secret_access_key);
  clear_secret (&self->session_token);
  g_free (self->profile);
  g_free (self->endpoint_uri);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->lister_cancellable);
  g_ptr_array_unref (self->pending_messages);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- properties ---------------------------------------------------------- */

static gchar **
string_property_slot (GstKvamSrc * self, guint prop_id)
{
  switch (prop_id) {
    case PROP_STREAM_NAME:
      return &self->stream_name;
    case PROP_STREAM_ARN:
      return &self->stream_arn;
    case PROP_START_TIME:
      return &self->start_time;
    case PROP_END_TIME:
      return &self->end_time;
    case PROP_REGION:
      return &self->region;
    case PROP_ACCESS_KEY:
      return &self->access_key;
    case PROP_SECRET_ACCESS_KEY:
      return &self->secret_access_key;
    case PROP_SESSION_TOKEN:
      return &self->session_token;
    case PROP_PROFILE:
      return &self->profile;
    case PROP_ENDPOINT_URI:
      return &self->endpoint_uri;
    default:
      return NULL;
  }
}

static gboolean
is_secret_property (guint prop_id)
{
  return prop_id == PROP_SECRET_ACCESS_KEY || prop_id == PROP_SESSION_TOKEN;
}

static void
set_string_property (GstKvamSrc * self, guint prop_id, gchar ** slot,
    const GValue * value, GParamSpec * pspec)
{
  if (is_secret_property (prop_id)) {
    clear_secret (slot);
    GST_DEBUG_OBJECT (self, "%s set", pspec->name);
  } else {
    g_free (*slot);
    GST_DEBUG_OBJECT (self, "%s = %s", pspec->name,
        GST_STR_NULL (g_value_get_string (value)));
  }
  *slot = g_value_dup_string (value);
  if (*slot && **slot == '\0')
    g_clear_pointer (slot, g_free);
}

static void
gst_kvam_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKvamSrc *self = GST_KVAM_SRC (object);
  gchar **slot;

  GST_OBJECT_LOCK (self);
  if (GST_STATE (self) > GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "'%s' can only change in NULL or READY state",
        pspec->name);
    return;
  }
  slot = string_property_slot (self, prop_id);
  if (slot) {
    set_string_property (self, prop_id, slot, value, pspec);
  } else {
    switch (prop_id) {
      case PROP_REQUEST_TIMEOUT:
        self->request_timeout = g_value_get_uint (value);
        break;
      case PROP_RETRY_ATTEMPTS:
        self->retry_attempts = g_value_get_uint (value);
        break;
      case PROP_FRAGMENT_SELECTOR_TYPE:
        self->selector = g_value_get_enum (value);
        break;
      case PROP_KEEP_TIMECODES:
        self->keep_timecodes = g_value_get_boolean (value);
        break;
      case PROP_ON_FRAGMENT_ERROR:
        self->on_fragment_error = g_value_get_enum (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
}

static void
add_client_stats (GstKvamSrc * self, GstStructure * s)
{
  KvamClientStats cs = { 0 };

  if (self->client)
    kvam_client_get_stats (self->client, &cs);
  gst_structure_set (s,
      "requests-get-data-endpoint", G_TYPE_UINT,
      cs.requests[KVAM_API_GET_DATA_ENDPOINT],
      "requests-list-fragments", G_TYPE_UINT,
      cs.requests[KVAM_API_LIST_FRAGMENTS],
      "requests-get-media-for-fragment-list", G_TYPE_UINT,
      cs.requests[KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST],
      "retries", G_TYPE_UINT, cs.retries,
      "throttles", G_TYPE_UINT, cs.throttles,
      "endpoint-refreshes", G_TYPE_UINT, cs.endpoint_refreshes,
      "credential-refreshes", G_TYPE_UINT, cs.credential_refreshes, NULL);
}

/* Called with the object lock held. */
static GstStructure *
create_stats (GstKvamSrc * self)
{
  GstStructure *s = gst_structure_new ("kvamsrc-stats",
      "fragments-listed", G_TYPE_UINT,
      self->index ? kvam_fragment_index_get_listed (self->index) : 0,
      "fragments-delivered", G_TYPE_UINT, self->delivered,
      "fragments-skipped", G_TYPE_UINT, self->skipped,
      "bytes", G_TYPE_UINT64, self->bytes_out, NULL);

  /* unset until the first fragment's first frame goes out */
  if (GST_CLOCK_TIME_IS_VALID (self->current_producer))
    gst_structure_set (s, "current-producer-time", G_TYPE_UINT64,
        self->current_producer, NULL);
  add_client_stats (self, s);
  return s;
}

static void
gst_kvam_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKvamSrc *self = GST_KVAM_SRC (object);
  gchar **slot;

  GST_OBJECT_LOCK (self);
  slot = string_property_slot (self, prop_id);
  if (slot) {
    /* secrets are write-only in practice: reading gives NULL */
    g_value_set_string (value, is_secret_property (prop_id) ? NULL : *slot);
  } else {
    switch (prop_id) {
      case PROP_REQUEST_TIMEOUT:
        g_value_set_uint (value, self->request_timeout);
        break;
      case PROP_RETRY_ATTEMPTS:
        g_value_set_uint (value, self->retry_attempts);
        break;
      case PROP_FRAGMENT_SELECTOR_TYPE:
        g_value_set_enum (value, self->selector);
        break;
      case PROP_KEEP_TIMECODES:
        g_value_set_boolean (value, self->keep_timecodes);
        break;
      case PROP_ON_FRAGMENT_ERROR:
        g_value_set_enum (value, self->on_fragment_error);
        break;
      case PROP_STATS:
        g_value_take_boxed (value, create_stats (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- configuration checks ------------------------------------------------ */

static gboolean
stream_name_is_valid (const gchar * name)
{
  gsize len = strlen (name);
  const gchar *p;

  if (len < 1 || len > 256)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
region_is_valid (const gchar * region)
{
  const gchar *p;

  if (!*region || strlen (region) > 64)
    return FALSE;
  for (p = region; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
endpoint_is_valid (const gchar * uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = parsed ? g_uri_get_scheme (parsed) : NULL;

  return parsed && g_uri_get_host (parsed) && *g_uri_get_host (parsed) &&
      (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0);
}

/* Fails with a message naming the property and its value; called with the
 * object lock held. */
static gboolean
check_settings (GstKvamSrc * self, GError ** error)
{
#define SETTINGS_ERROR(...) \
  (g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, \
      __VA_ARGS__), FALSE)

  if (!self->stream_name && !self->stream_arn)
    return SETTINGS_ERROR ("No stream: set 'stream-name' or 'stream-arn'");
  if (self->stream_name && self->stream_arn)
    return SETTINGS_ERROR ("Both 'stream-name' (%s) and 'stream-arn' (%s) are "
        "set: set only one", self->stream_name, self->stream_arn);
  if (self->stream_name && !stream_name_is_valid (self->stream_name))
    return SETTINGS_ERROR ("Invalid 'stream-name' value '%s': 1 to 256 "
        "characters of a-z, A-Z, 0-9, '_', '.' and '-'", self->stream_name);
  if (self->stream_arn && (!g_str_has_prefix (self->stream_arn,
              "arn:aws") || !strstr (self->stream_arn, ":stream/") ||
          strlen (self->stream_arn) > 1024))
    return SETTINGS_ERROR ("Invalid 'stream-arn' value '%s': expected "
        "arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/ID",
        self->stream_arn);
  if (!self->start_time)
    return SETTINGS_ERROR ("No 'start-time': give the start of the range as "
        "ISO 8601 (2026-11-24T10:00:00Z) or epoch seconds");
  if (!kvam_time_parse (self->start_time, &self->range_start))
    return SETTINGS_ERROR ("Invalid 'start-time' value '%s': expected ISO "
        "8601 (2026-11-24T10:00:00Z) or epoch seconds", self->start_time);
  self->range_end = GST_CLOCK_TIME_NONE;
  if (self->end_time && !kvam_time_parse (self->end_time, &self->range_end))
    return SETTINGS_ERROR ("Invalid 'end-time' value '%s': expected ISO 8601 "
        "(2026-11-24T10:00:00Z) or epoch seconds", self->end_time);
  if (!GST_CLOCK_TIME_IS_VALID (self->range_end))
    self->range_end = g_get_real_time () * GST_USECOND;
  if (self->range_end < self->range_start)
    return SETTINGS_ERROR ("Invalid range: 'end-time' %s is before "
        "'start-time' %s", self->end_time ? self->end_time : "(now)",
        self->start_time);
  if (self->region && !region_is_valid (self->region))
    return SETTINGS_ERROR ("Invalid 'region' value '%s': expected a region "
        "code such as us-west-2", self->region);
  if (self->endpoint_uri && !endpoint_is_valid (self->endpoint_uri))
    return SETTINGS_ERROR ("Invalid 'endpoint-uri' value '%s': expected an "
        "http:// or https:// URL", self->endpoint_uri);
  return TRUE;
#undef SETTINGS_ERROR
}

static const gchar *
stream_label (GstKvamSrc * self)
{
  return self->stream_name ? self->stream_name : self->stream_arn;
}

static void
post_error (GstKvamSrc * self, GError * err)
{
  GstStructure *details = gst_structure_new ("details",
      "stream", G_TYPE_STRING, stream_label (self), NULL);

  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, err->domain, err->code, g_strdup (err->message),
      NULL, __FILE__, GST_FUNCTION, __LINE__, details);
}

/* What an authentication failure means, in words a user can act on. */
static const gchar *
explain_auth_error (const KvamAwsError * err)
{
  if (g_strcmp0 (err->type, "UnrecognizedClientException") == 0)
    return "the access key or session token is not known to AWS";
  if (g_strcmp0 (err->type, "ExpiredTokenException") == 0)
    return "the session token has expired";
  if (err->message && strstr (err->message, "Signature expired"))
    return "the request time is more than 5 minutes off: check the clock";
  if (g_strcmp0 (err->type, "InvalidSignatureException") == 0)
    return "the signature does not match: check the secret access key and "
        "the region";
  return "access denied";
}

/* Posts a failed call as an element error with the AWS details. */
static void
post_aws_error (GstKvamSrc * self, const KvamAwsError * err)
{
  g_autofree gchar *desc = kvam_aws_error_describe (err);
  g_autofree gchar *text = NULL;
  GstStructure *details;
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_READ;

  switch (err->kind) {
    case KVAM_AWS_ERROR_NOT_FOUND:
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      text = g_strdup_printf ("Stream '%s' not found: %s", stream_label (self),
          desc);
      break;
    case KVAM_AWS_ERROR_AUTH:
    case KVAM_AWS_ERROR_CREDENTIALS:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = g_strdup_printf ("Not authorized to read stream '%s' (%s): %s",
          stream_label (self), err->kind == KVAM_AWS_ERROR_CREDENTIALS ?
          "no credentials" : explain_auth_error (err), desc);
      break;
    case KVAM_AWS_ERROR_INVALID:
      code = GST_RESOURCE_ERROR_SETTINGS;
      text = g_strdup_printf ("Stream '%s': the service refused the request: "
          "%s", stream_label (self), desc);
      break;
    default:
      text = g_strdup_printf ("Stream '%s': reading failed after %u retries: "
          "%s", stream_label (self), self->retry_attempts, desc);
      break;
  }
  details = gst_structure_new ("details",
      "stream", G_TYPE_STRING, stream_label (self),
      "api", G_TYPE_STRING, kvam_api_name (err->api),
      "aws-error-type", G_TYPE_STRING, GST_STR_NULL (err->type),
      "http-status", G_TYPE_UINT, err->status,
      "request-id", G_TYPE_STRING, GST_STR_NULL (err->request_id), NULL);
  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, domain, code, g_steal_pointer (&text), NULL,
      __FILE__, GST_FUNCTION, __LINE__, details);
}

/* ---- start and stop ------------------------------------------------------ */

/* A range's index and pages were built on the lister's and streaming
 * threads, each in its own malloc arena, and glibc keeps what they freed.
 * Replaying a day again and again in one process, RSS grew 6.5 MB in 15
 * minutes while the bytes in use stayed at 4.4 MB: hand the free pages back
 * once per range. */
static void
give_back_freed_memory (void)
{
#ifdef HAVE_MALLOC_TRIM
  malloc_trim (0);
#endif
}

static void
release_streaming_state (GstKvamSrc * self)
{
  if (self->lister) {
    g_cancellable_cancel (self->lister_cancellable);
    g_thread_join (self->lister);
    self->lister = NULL;
  }
  g_clear_object (&self->response);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_clear_pointer (&self->merger, kvam_mkv_merger_free);
  g_clear_pointer (&self->index, kvam_fragment_index_free);
  g_clear_pointer (&self->client, kvam_client_free);
  g_clear_pointer (&self->credentials, kvam_credentials_provider_free);
  g_clear_pointer (&self->active_region, g_free);
  g_ptr_array_set_size (self->pending_messages, 0);
  g_clear_pointer (&self->read_buf, g_free);
  self->read_buf_size = 0;
  give_back_freed_memory ();
}

/* Region and credentials; may block on the credential chain. */
static gboolean
resolve_identity (GstKvamSrc * self, GError ** error)
{
  KvamCredentialsConfig config = { 0 };
  g_autoptr (KvamCredentials) creds = NULL;
  g_autofree gchar *desc = NULL;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  self->active_region = kvam_resolve_region (self->region, self->profile,
      &err);
  config.access_key_id = self->access_key;
  config.secret_access_key = self->secret_access_key;
  config.session_token = self->session_token;
  config.profile = self->profile;
  config.timeout_ms = self->request_timeout;
  self->credentials = kvam_credentials_provider_new (&config);
  GST_OBJECT_UNLOCK (self);

  if (!self->active_region) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s", err->message);
    g_error_free (err);
    return FALSE;
  }

  creds = kvam_credentials_provider_get (self->credentials,
      self->lister_cancellable, &err);
  if (!creds) {
    g_set_error (error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_AUTHORIZED, "%s", err->message);
    g_error_free (err);
    return FALSE;
  }
  desc = kvam_credentials_describe (creds);
  GST_INFO_OBJECT (self, "region %s, %s", self->active_region, desc);
  return TRUE;
}

static gpointer
lister_thread (gpointer data)
{
  GstKvamSrc *self = data;

  kvam_fragment_index_list (self->index, self->client, LIST_PAGE_SIZE,
      self->lister_cancellable);
  return NULL;
}

/* The client and the index; listing starts at once, in the background. */
static void
start_listing (GstKvamSrc * self)
{
  KvamClientConfig config = { 0 };
  g_autofree gchar *from = kvam_time_to_iso8601 (self->range_start);
  g_autofree gchar *to = kvam_time_to_iso8601 (self->range_end);

  GST_OBJECT_LOCK (self);
  config.region = self->active_region;
  config.endpoint_uri = self->endpoint_uri;
  config.stream_name = self->stream_name;
  config.stream_arn = self->stream_arn;
  config.timeout_ms = self->request_timeout;
  config.retry_attempts = self->retry_attempts;
  config.credentials = self->credentials;
  self->client = kvam_client_new (&config);
  self->index = kvam_fragment_index_new (self->selector, self->range_start,
      self->range_end);
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "playing %s from %s to %s", stream_label (self),
      from, to);
  self->lister = g_thread_new ("kvamsrc-lister", lister_thread, self);
}

static gboolean
gst_kvam_src_start (GstBaseSrc * src)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);
  GError *err = NULL;
  gboolean ok;

  g_cancellable_reset (self->lister_cancellable);
  GST_OBJECT_LOCK (self);
  ok = check_settings (self, &err);
  self->delivered = self->skipped = 0;
  self->bytes_out = 0;
  self->current_producer = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);

  if (ok)
    ok = resolve_identity (self, &err);
  if (!ok) {
    post_error (self, err);
    g_error_free (err);
    /* basesrc does not call stop() after a failed start() */
    release_streaming_state (self);
    return FALSE;
  }
  self->next_fragment = 0;
  self->failures = self->fragment_failures = 0;
  self->pending_delivered = 0;
  memset (&self->resume, 0, sizeof (self->resume));
  self->discont = FALSE;
  start_listing (self);
  return TRUE;
}

static gboolean
gst_kvam_src_stop (GstBaseSrc * src)
{
  release_streaming_state (GST_KVAM_SRC (src));
  return TRUE;
}

static gboolean
gst_kvam_src_unlock (GstBaseSrc * src)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);

  GST_DEBUG_OBJECT (self, "cancelling pending I/O");
  g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static gboolean
gst_kvam_src_unlock_stop (GstBaseSrc * src)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);

  g_cancellable_reset (self->cancellable);
  return TRUE;
}

static gboolean
gst_kvam_src_is_seekable (GstBaseSrc * src)
{
  return FALSE;
}

/* basesrc answers a SEEK sent to the element itself (not through the pad)
 * without asking is_seekable(): a BYTES seek "succeeded", flushed, and the
 * stream went on without a new segment. Refuse what is not implemented. */
static gboolean
gst_kvam_src_send_event (GstElement * element, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    GST_DEBUG_OBJECT (element, "refusing %" GST_PTR_FORMAT ": not seekable",
        event);
    gst_event_unref (event);
    return FALSE;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ---- fragments and messages ---------------------------------------------- */

static const KvamFragment *
batch_fragment (GstKvamSrc * self, guint i)
{
  return i < self->batch->len ? self->batch->pdata[i] : NULL;
}

/* The message that goes out with the buffer holding a fragment's first
 * frame. The AWS tags it carried are checked against the listing. */
static void
queue_fragment_message (GstKvamSrc * self, const KvamMergerEvent * ev)
{
  const KvamFragment *f = batch_fragment (self, ev->fragment);
  GstStructure *s;

  if (!f)
    return;
  if (ev->producer_tag) {
    gdouble tag = g_ascii_strtod (ev->producer_tag, NULL);
    if (ABS (tag * 1000.0 - (gdouble) (f->producer / GST_MSECOND)) > 1.0)
      GST_WARNING_OBJECT (self, "fragment %s: producer time tag %s differs "
          "from the listing", f->number, ev->producer_tag);
  }
  s = gst_structure_new ("kvam-fragment",
      "fragment-number", G_TYPE_STRING, f->number,
      "producer-timestamp", G_TYPE_UINT64, f->producer,
      "server-timestamp", G_TYPE_UINT64, f->server,
      "duration", G_TYPE_UINT64, f->duration,
      "size", G_TYPE_UINT64, f->size,
      "timestamp", G_TYPE_UINT64, ev->first_frame, NULL);
  g_ptr_array_add (self->pending_messages,
      gst_message_new_element (GST_OBJECT (self), s));
  GST_OBJECT_LOCK (self);
  self->current_producer = f->producer;
  GST_OBJECT_UNLOCK (self);
}

static void
post_pending_messages (GstKvamSrc * self)
{
  guint i;

  for (i = 0; i < self->pending_messages->len; i++)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_ref (self->pending_messages->pdata[i]));
  g_ptr_array_set_size (self->pending_messages, 0);
}

/* A fragment counts as delivered once its last frame has gone out: the
 * merger knows a document ended only when the next one begins (or the
 * response ends), by which time its last frame was returned. */
static void
count_delivered (GstKvamSrc * self)
{
  if (self->pending_delivered == 0)
    return;
  GST_OBJECT_LOCK (self);
  self->delivered += self->pending_delivered;
  GST_OBJECT_UNLOCK (self);
  self->pending_delivered = 0;
}

/* A fragment that keeps failing (in-band errors, or a document that never
 * arrives whole): skip it with a warning, or stop, as the property says. */
static gboolean
give_up_on_fragment (GstKvamSrc * self, const KvamFragment * f,
    const gchar * code, const gchar * message)
{
  if (self->on_fragment_error == GST_KVAM_SRC_ON_ERROR_FAIL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, READ,
        ("Stream '%s': fragment %s failed: %s (%s)", stream_label (self),
            f->number, code, GST_STR_NULL (message)), (NULL),
        ("stream", G_TYPE_STRING, stream_label (self),
            "fragment-number", G_TYPE_STRING, f->number,
            "aws-error-type", G_TYPE_STRING, code, NULL));
    return FALSE;
  }
  GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, READ,
      ("Stream '%s': skipping fragment %s after %u attempts: %s (%s)",
          stream_label (self), f->number, self->retry_attempts + 1, code,
          GST_STR_NULL (message)), (NULL),
      ("stream", G_TYPE_STRING, stream_label (self),
          "fragment-number", G_TYPE_STRING, f->number,
          "aws-error-type", G_TYPE_STRING, code, NULL));
  GST_OBJECT_LOCK (self);
  self->skipped++;
  GST_OBJECT_UNLOCK (self);
  self->next_fragment++;
  self->fragment_failures = 0;
  self->failures = 0;
  memset (&self->resume, 0, sizeof (self->resume));
  self->discont = TRUE;
  return TRUE;
}

/* A fragment whose document broke off in the middle of a response (stored
 * truncated, say): the merger kept what came before and went on with the
 * next one. Warn and mark the gap, or stop, as on-fragment-error says. */
static gboolean
fragment_damaged (GstKvamSrc * self, const KvamFragment * f,
    const gchar * why)
{
  if (self->on_fragment_error == GST_KVAM_SRC_ON_ERROR_FAIL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, DEMUX,
        ("Stream '%s': fragment %s is damaged: %s", stream_label (self),
            f->number, why), (NULL),
        ("stream", G_TYPE_STRING, stream_label (self),
            "fragment-number", G_TYPE_STRING, f->number, NULL));
    return FALSE;
  }
  GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, DEMUX,
      ("Stream '%s': fragment %s is damaged (%s): the rest of it is skipped",
          stream_label (self), f->number, why), (NULL),
      ("stream", G_TYPE_STRING, stream_label (self),
          "fragment-number", G_TYPE_STRING, f->number, NULL));
  GST_OBJECT_LOCK (self);
  self->skipped++;
  GST_OBJECT_UNLOCK (self);
  self->discont = TRUE;
  return TRUE;
}

/* Events of the last push: messages, counts, in-band errors. FALSE to stop
 * (error posted); *@abandon when the response must be dropped. */
static gboolean
handle_merger_events (GstKvamSrc * self, gboolean * abandon)
{
  g_autoptr (GPtrArray) events = kvam_mkv_merger_take_events (self->merger);
  guint i;

  for (i = 0; i < events->len; i++) {
    KvamMergerEvent *ev = events->pdata[i];

    if (ev->type == KVAM_MERGER_FRAGMENT_STARTED) {
      queue_fragment_message (self, ev);
    } else if (ev->type == KVAM_MERGER_FRAGMENT_DONE) {
      self->fragment_failures = 0;
      self->pending_delivered++;
    } else if (ev->type == KVAM_MERGER_FRAGMENT_DAMAGED) {
      self->fragment_failures = 0;
      if (!fragment_damaged (self, batch_fragment (self, ev->fragment),
              ev->message))
        return FALSE;
    } else {
      *abandon = TRUE;
      self->fragment_failures++;
      GST_INFO_OBJECT (self, "fragment %s: %s (attempt %u)",
          batch_fragment (self, ev->fragment)->number, ev->code,
          self->fragment_failures);
      /* positions before it were completed by DONE events */
      if (self->fragment_failures > self->retry_attempts)
        return give_up_on_fragment (self, batch_fragment (self, ev->fragment),
            ev->code, ev->message);
    }
  }
  return TRUE;
}

/* ---- the streaming loop -------------------------------------------------- */

/* Closes the response and moves past what it completed. */
static void
finish_response (GstKvamSrc * self)
{
  guint complete = kvam_mkv_merger_end_response (self->merger, &self->resume);
  g_autoptr (GPtrArray) events = kvam_mkv_merger_take_events (self->merger);
  guint i;

  /* the DONE event of the ending is counted, not handled: the in-band
   * failure count stays, it belongs to the fragment now next */
  for (i = 0; i < events->len; i++)
    if (((KvamMergerEvent *) events->pdata[i])->type ==
        KVAM_MERGER_FRAGMENT_DONE)
      self->pending_delivered++;
  count_delivered (self);
  self->next_fragment += complete;
  g_clear_object (&self->response);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
}

/* Blocks until fragments past next_fragment are known. Returns
 * GST_FLOW_OK with a batch, EOS after the last one, or an error. */
static GstFlowReturn
next_batch (GstKvamSrc * self)
{
  KvamAwsError err = { 0 };
  gboolean complete;
  guint published, i;

  if (!kvam_fragment_index_wait (self->index, self->next_fragment,
          self->cancellable, &published, &complete)) {
    if (g_cancellable_is_cancelled (self->cancellable))
      return GST_FLOW_FLUSHING;
    kvam_fragment_index_get_error (self->index, &err);
    post_aws_error (self, &err);
    kvam_aws_error_clear (&err);
    return GST_FLOW_ERROR;
  }
  if (published <= self->next_fragment) {
    g_autofree gchar *from = kvam_time_to_iso8601 (self->range_start);
    g_autofree gchar *to = kvam_time_to_iso8601 (self->range_end);
    if (self->next_fragment > 0)
      return GST_FLOW_EOS;
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_FOUND,
        ("Stream '%s' has no fragments between %s and %s (%s timestamps)",
            stream_label (self), from, to,
            self->selector == KVAM_SELECTOR_SERVER ? "server" : "producer"),
        (NULL), ("stream", G_TYPE_STRING, stream_label (self),
            NULL));
    return GST_FLOW_ERROR;
  }

  self->batch = g_ptr_array_new ();
  for (i = self->next_fragment;
      i < published && self->batch->len < MEDIA_BATCH; i++)
    g_ptr_array_add (self->batch, (gpointer) kvam_fragment_index_get
        (self->index, i));
  if (!self->merger)
    self->merger = kvam_mkv_merger_new (self->keep_timecodes ?
        GST_CLOCK_TIME_NONE : ((const KvamFragment *)
            self->batch->pdata[0])->producer);
  return GST_FLOW_OK;
}

static GstFlowReturn
open_response (GstKvamSrc * self)
{
  JsonBuilder *body = kvam_client_begin_body (self->client);
  KvamAwsError err = { 0 };
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  json_builder_set_member_name (body, "Fragments");
  json_builder_begin_array (body);
  for (i = 0; i < self->batch->len; i++)
    json_builder_add_string_value (body, batch_fragment (self, i)->number);
  json_builder_end_array (body);
  GST_DEBUG_OBJECT (self, "requesting %u fragments from %s", self->batch->len,
      batch_fragment (self, 0)->number);

  self->response = kvam_client_open (self->client,
      KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, body, self->cancellable, &err);
  g_object_unref (body);
  if (!self->response) {
    if (err.kind == KVAM_AWS_ERROR_CANCELLED) {
      ret = GST_FLOW_FLUSHING;
    } else {
      post_aws_error (self, &err);
      ret = GST_FLOW_ERROR;
    }
    g_clear_pointer (&self->batch, g_ptr_array_unref);
  } else {
    kvam_mkv_merger_begin_response (self->merger,
        (const KvamFragment * const *) self->batch->pdata, self->batch->len,
        &self->resume);
    self->last_progress = g_get_monotonic_time ();
  }
  kvam_aws_error_clear (&err);
  return ret;
}

/* Waits before a retry; FALSE when flushing. */
static gboolean
back_off (GstKvamSrc * self, guint attempt)
{
  return kvam_cancellable_sleep (self->cancellable, kvam_backoff_us (attempt));
}

/* The response ended short (cut, stalled): try again from the first
 * fragment not completely written, within retry-attempts. A fragment whose
 * document never arrives whole is then given up on like an in-band error. */
static GstFlowReturn
retry_after_short_response (GstKvamSrc * self, const gchar * why,
    gboolean transport_error)
{
  KvamAwsError err = { 0 };
  const KvamFragment *stuck;

  if (++self->failures <= self->retry_attempts) {
    GST_INFO_OBJECT (self, "%s; resuming at fragment %u (attempt %u of %u)",
        why, self->next_fragment, self->failures, self->retry_attempts);
    return back_off (self, self->failures - 1) ? GST_FLOW_OK :
        GST_FLOW_FLUSHING;
  }
  stuck = kvam_fragment_index_get (self->index, self->next_fragment);
  if (!transport_error && stuck) {
    return give_up_on_fragment (self, stuck, "IncompleteFragment", why) ?
        GST_FLOW_OK : GST_FLOW_ERROR;
  }
  kvam_aws_error_set (&err, KVAM_AWS_ERROR_NETWORK,
      KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, 0, "IncompleteResponse", why,
      NULL);
  post_aws_error (self, &err);
  kvam_aws_error_clear (&err);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
end_of_response (GstKvamSrc * self, GError * read_error, gboolean abandoned)
{
  guint asked = self->batch->len;
  guint first = self->next_fragment;
  g_autofree gchar *why = NULL;

  finish_response (self);
  if (abandoned)                /* an in-band error: retried or skipped */
    return self->fragment_failures == 0 ||
        back_off (self, self->fragment_failures - 1) ? GST_FLOW_OK :
        GST_FLOW_FLUSHING;
  if (self->next_fragment - first == asked && !read_error)
    return GST_FLOW_OK;
  why = g_strdup_printf ("media response ended after %u of %u fragments%s%s",
      self->next_fragment - first, asked, read_error ? ": " : "",
      read_error ? read_error->message : "");
  /* a connection that broke may point at a stale endpoint */
  if (read_error && !g_error_matches (read_error, G_IO_ERROR,
          G_IO_ERROR_TIMED_OUT))
    kvam_client_invalidate_endpoint (self->client,
        KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST);
  return retry_after_short_response (self, why, read_error != NULL);
}

/* Reads one block of the response and merges it; *@out may stay NULL when
 * the block completed no output. */
static GstFlowReturn
read_and_merge (GstKvamSrc * self, guint blocksize, GBytes ** out)
{
  g_autoptr (GBytes) merged = NULL;
  GError *err = NULL;
  gboolean abandon = FALSE;
  GstFlowReturn ret;
  gssize n;

  if (self->read_buf_size < blocksize) {
    g_free (self->read_buf);
    self->read_buf = g_malloc (blocksize);
    self->read_buf_size = blocksize;
  }
  n = g_input_stream_read (self->response, self->read_buf, blocksize,
      self->cancellable, &err);
  if (n < 0 && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (err);
    return GST_FLOW_FLUSHING;
  }
  if (n <= 0) {
    ret = end_of_response (self, err, FALSE);
    g_clear_error (&err);
    return ret;
  }

  merged = kvam_mkv_merger_push (self->merger, self->read_buf, n, &err);
  if (!merged) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, DEMUX,
        ("Stream '%s': %s", stream_label (self), err->message), (NULL),
        ("stream", G_TYPE_STRING, stream_label (self), NULL));
    g_error_free (err);
    return GST_FLOW_ERROR;
  }
  if (!handle_merger_events (self, &abandon))
    return GST_FLOW_ERROR;
  if (g_bytes_get_size (merged) > 0) {
    self->failures = 0;         /* data arrived */
    self->last_progress = g_get_monotonic_time ();
    *out = g_steal_pointer (&merged);
  } else {
    count_delivered (self);     /* their last frames went out already */
    if (!abandon && g_get_monotonic_time () - self->last_progress >
        (gint64) self->request_timeout * 1000) {
      /* bytes that never make a frame (Void elements forever) are a stall
       * like no bytes at all */
      err = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no frame for %u "
          "ms although bytes kept coming", self->request_timeout);
      ret = end_of_response (self, err, FALSE);
      g_error_free (err);
      return ret;
    }
  }
  if (abandon)
    return end_of_response (self, NULL, TRUE);
  return GST_FLOW_OK;
}

/* Wraps and takes @bytes. */
static GstBuffer *
make_buffer (GstKvamSrc * self, GBytes * bytes)
{
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (bytes);

  g_bytes_unref (bytes);        /* the buffer holds its own reference */
  GST_OBJECT_LOCK (self);
  GST_BUFFER_OFFSET (buf) = self->bytes_out;
  self->bytes_out += gst_buffer_get_size (buf);
  GST_BUFFER_OFFSET_END (buf) = self->bytes_out;
  GST_OBJECT_UNLOCK (self);
  if (self->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  return buf;
}

static GstFlowReturn
gst_kvam_src_create (GstPushSrc * src, GstBuffer ** outbuf)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);
  guint blocksize = gst_base_src_get_blocksize (GST_BASE_SRC (src));
  GstFlowReturn ret = GST_FLOW_OK;
  GBytes *out = NULL;

  /* basesrc lets blocksize be 0 or 4 GiB: neither is a read size */
  if (blocksize == 0)
    blocksize = DEFAULT_BLOCKSIZE;
  blocksize = MIN (blocksize, MAX_BLOCKSIZE);

  while (!out && ret == GST_FLOW_OK) {
    if (!self->response) {
      ret = next_batch (self);
      if (ret == GST_FLOW_OK)
        ret = open_response (self);
      continue;
    }
    ret = read_and_merge (self, blocksize, &out);
  }
  if (out) {
    post_pending_messages (self);
    *outbuf = make_buffer (self, out);
    count_delivered (self);
    return GST_FLOW_OK;
  }
  if (ret == GST_FLOW_EOS)
    GST_INFO_OBJECT (self, "all %u fragments of the range written",
        self->next_fragment);
  return ret;
}

/* ---- class --------------------------------------------------------------- */

static void
install_string (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (klass, id, g_param_spec_string (name, nick,
          blurb, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

#define RW_READY (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static void
install_playback_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_FRAGMENT_SELECTOR_TYPE,
      g_param_spec_enum ("fragment-selector-type", "Fragment selector type",
          "Which fragment timestamps start-time and end-time refer to, and "
          "the order of play: server (as AWS's HLS, DASH and clip APIs) or "
          "producer", GST_TYPE_KVAM_SRC_SELECTOR, DEFAULT_SELECTOR,
          RW_READY));
  g_object_class_install_property (gobject_class, PROP_KEEP_TIMECODES,
      g_param_spec_boolean ("keep-timecodes", "Keep timecodes",
          "Keep the producer's cluster timecodes instead of rebasing them so "
          "the first fragment starts at 0 (producers whose timecodes restart "
          "then give non-monotonic output)", FALSE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_ON_FRAGMENT_ERROR,
      g_param_spec_enum ("on-fragment-error", "On fragment error",
          "What to do with a fragment the service keeps returning as an "
          "in-band error after retry-attempts tries: skip it with a warning "
          "and a DISCONT, or fail", GST_TYPE_KVAM_SRC_ON_ERROR,
          DEFAULT_ON_FRAGMENT_ERROR, RW_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Fragments listed, delivered (each as its last frame goes out) "
          "and skipped, bytes written, requests per API, retries, throttles, "
          "endpoint and credential refreshes, and the producer time of the "
          "current fragment (current-producer-time, ns since the epoch; "
          "absent until the first fragment plays)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_kvam_src_install_properties (GObjectClass * gobject_class)
{
  install_string (gobject_class, PROP_STREAM_NAME, "stream-name",
      "Stream name", "Name of the Kinesis video stream to play "
      "(1-256 characters of a-z A-Z 0-9 _ . -). Set this or stream-arn");
  install_string (gobject_class, PROP_STREAM_ARN, "stream-arn", "Stream ARN",
      "ARN of the Kinesis video stream to play. Set this or stream-name");
  install_string (gobject_class, PROP_START_TIME, "start-time", "Start time",
      "Start of the range to play (inclusive, on fragment start times): "
      "ISO 8601 such as 2026-11-24T10:00:00Z or +01:00 offsets, or epoch "
      "seconds such as 1764000000.25. Required");
  install_string (gobject_class, PROP_END_TIME, "end-time", "End time",
      "End of the range to play (inclusive), in the same forms as "
      "start-time. Unset means the moment playback starts");
  install_string (gobject_class, PROP_REGION, "region", "Region",
      "AWS region of the stream, such as us-west-2. Unset: AWS_REGION, "
      "AWS_DEFAULT_REGION, then the profile's region");
  install_string (gobject_class, PROP_ACCESS_KEY, "access-key",
      "Access key ID", "AWS access key ID. Unset: the AWS default "
      "credential chain (environment, profile, container, instance)");
  install_string (gobject_class, PROP_SECRET_ACCESS_KEY, "secret-access-key",
      "Secret access key", "AWS secret access key, used with access-key. "
      "Never logged; reads back as NULL");
  install_string (gobject_class, PROP_SESSION_TOKEN, "session-token",
      "Session token", "AWS session token for temporary keys, used with "
      "access-key. Never logged; reads back as NULL");
  install_string (gobject_class, PROP_PROFILE, "profile", "Profile",
      "Profile of the AWS shared config and credentials files. Unset: "
      "AWS_PROFILE, else 'default'");
  install_string (gobject_class, PROP_ENDPOINT_URI, "endpoint-uri",
      "Endpoint URI", "Kinesis Video control-plane URL, such as "
      "http://127.0.0.1:4566 for a local emulator. Unset: "
      "https://kinesisvideo.REGION.amazonaws.com");

  g_object_class_install_property (gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint ("request-timeout", "Request timeout",
          "Longest wait, in milliseconds (rounded up to whole seconds), for "
          "a connection or for the next bytes of a response, before the "
          "request is retried", 1, MAX_REQUEST_TIMEOUT,
          DEFAULT_REQUEST_TIMEOUT, RW_READY));
  g_object_class_install_property (gobject_class, PROP_RETRY_ATTEMPTS,
      g_param_spec_uint ("retry-attempts", "Retry attempts",
          "How many times in a row a failing request is tried again, with "
          "exponential backoff and jitter, before the element errors out",
          0, MAX_RETRY_ATTEMPTS, DEFAULT_RETRY_ATTEMPTS, RW_READY));
  install_playback_properties (gobject_class);
}

static void
gst_kvam_src_class_init (GstKvamSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_kvam_src_set_property;
  gobject_class->get_property = gst_kvam_src_get_property;
  gobject_class->finalize = gst_kvam_src_finalize;
  gst_kvam_src_install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Kinesis Video Streams archived media source", "Source/Network",
      "Plays a time range of an Amazon Kinesis Video stream's archive as one "
      "Matroska stream", "kvamsrc authors");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_kvam_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_kvam_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_kvam_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_kvam_src_unlock_stop);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_kvam_src_is_seekable);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_kvam_src_send_event);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_kvam_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_KVAM_SRC_SELECTOR, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KVAM_SRC_ON_ERROR, 0);
}

static void
gst_kvam_src_init (GstKvamSrc * self)
{
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->retry_attempts = DEFAULT_RETRY_ATTEMPTS;
  self->selector = DEFAULT_SELECTOR;
  self->on_fragment_error = DEFAULT_ON_FRAGMENT_ERROR;
  self->cancellable = g_cancellable_new ();
  self->lister_cancellable = g_cancellable_new ();
  self->pending_messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  self->range_start = self->range_end = GST_CLOCK_TIME_NONE;
  self->current_producer = GST_CLOCK_TIME_NONE;
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
}
