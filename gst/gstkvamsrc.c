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
#include "gstkvamsrcuri.h"
#include "kvamclient.h"
#include "kvamcredentials.h"
#include "kvamfollow.h"
#include "kvamfragmentindex.h"
#include "kvamseekindex.h"
#include "kvamsession.h"
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
/* measured (README, Performance): 4 responses at 25 MB/s each reach 3.5x
 * one session's speed, and leave the stream's fifth connection to another
 * client */
#define DEFAULT_MAX_CONCURRENT 4
#define DEFAULT_MAX_BYTES_AHEAD (96 * 1024 * 1024)

/* named after the PlaybackMode of AWS's HLS and DASH sessions */
typedef enum
{
  GST_KVAM_SRC_ON_DEMAND,
  GST_KVAM_SRC_LIVE,
  GST_KVAM_SRC_LIVE_REPLAY,
} GstKvamSrcPlaybackMode;

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
  PROP_PLAYBACK_MODE,
  PROP_MAX_CONCURRENT_REQUESTS,
  PROP_MAX_BYTES_AHEAD,
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
  GstKvamSrcPlaybackMode mode;
  guint max_concurrent;
  guint64 max_bytes_ahead;

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
  KvamFollow *follow;           /* live modes: the lister's state */

  /* the streaming state machine */
  KvamSession *session;

  /* stats, under the object lock */
  guint64 bytes_out;
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

#define GST_TYPE_KVAM_SRC_PLAYBACK_MODE (gst_kvam_src_playback_mode_get_type ())
static GType
gst_kvam_src_playback_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KVAM_SRC_ON_DEMAND, "The range from start-time to end-time, then "
          "EOS", "on-demand"},
    {GST_KVAM_SRC_LIVE, "From the newest fragment, following the stream as "
          "it is ingested", "live"},
    {GST_KVAM_SRC_LIVE_REPLAY, "From start-time, catching up at full speed, "
          "then following (until end-time if set)", "live-replay"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static
        ("GstKvamSrcPlaybackMode", values));
  return type;
}

#define gst_kvam_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstKvamSrc, gst_kvam_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_kvam_src_uri_handler_init));
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
      case PROP_PLAYBACK_MODE:
        self->mode = g_value_get_enum (value);
        break;
      case PROP_MAX_CONCURRENT_REQUESTS:
        self->max_concurrent = g_value_get_uint (value);
        break;
      case PROP_MAX_BYTES_AHEAD:
        self->max_bytes_ahead = g_value_get_uint64 (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        break;
    }
  }
  GST_OBJECT_UNLOCK (self);
  /* before READY->PAUSED, which looks at it to skip preroll; it takes the
   * object lock itself */
  if (prop_id == PROP_PLAYBACK_MODE)
    gst_base_src_set_live (GST_BASE_SRC (self),
        g_value_get_enum (value) != GST_KVAM_SRC_ON_DEMAND);
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
  KvamSessionStats ss = { 0 };
  GstStructure *s;

  ss.current_producer = GST_CLOCK_TIME_NONE;
  if (self->session)
    kvam_session_get_stats (self->session, &ss);
  s = gst_structure_new ("kvamsrc-stats",
      "fragments-listed", G_TYPE_UINT,
      self->index ? kvam_fragment_index_get_listed (self->index) : 0,
      "fragments-delivered", G_TYPE_UINT, ss.delivered,
      "fragments-skipped", G_TYPE_UINT, ss.skipped,
      "bytes", G_TYPE_UINT64, self->bytes_out,
      "responses-in-flight", G_TYPE_UINT, ss.in_flight,
      "bytes-ahead", G_TYPE_UINT64, ss.bytes_ahead,
      "concurrent-requests", G_TYPE_UINT, ss.concurrency, NULL);

  /* unset until the first fragment's first frame goes out */
  if (GST_CLOCK_TIME_IS_VALID (ss.current_producer))
    gst_structure_set (s, "current-producer-time", G_TYPE_UINT64,
        ss.current_producer, NULL);
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
      case PROP_PLAYBACK_MODE:
        g_value_set_enum (value, self->mode);
        break;
      case PROP_MAX_CONCURRENT_REQUESTS:
        g_value_set_uint (value, self->max_concurrent);
        break;
      case PROP_MAX_BYTES_AHEAD:
        g_value_set_uint64 (value, self->max_bytes_ahead);
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
  GstClockTime now;

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
  if (!self->start_time && self->mode != GST_KVAM_SRC_LIVE)
    return SETTINGS_ERROR ("No 'start-time': give the start of the range as "
        "ISO 8601 (2026-11-24T10:00:00Z) or epoch seconds");
  /* relative times count from now, when playback starts */
  now = g_get_real_time () * GST_USECOND;
  /* live starts at the newest fragment and follows: its range is open */
  self->range_start = now;
  if (self->mode != GST_KVAM_SRC_LIVE && !kvam_time_parse_relative
      (self->start_time, now, &self->range_start))
    return SETTINGS_ERROR ("Invalid 'start-time' value '%s': expected ISO "
        "8601 (2026-11-24T10:00:00Z), epoch seconds, 'now' or a time "
        "before it (-15m, -1h30m)", self->start_time);
  self->range_end = self->mode == GST_KVAM_SRC_ON_DEMAND ? now :
      GST_CLOCK_TIME_NONE;
  if (self->end_time && !kvam_time_parse_relative (self->end_time, now,
          &self->range_end))
    return SETTINGS_ERROR ("Invalid 'end-time' value '%s': expected ISO 8601 "
        "(2026-11-24T10:00:00Z), epoch seconds, 'now' or a time before it "
        "(-15m, -1h30m)", self->end_time);
  if (GST_CLOCK_TIME_IS_VALID (self->range_end) &&
      self->range_end < self->range_start)
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
  g_clear_pointer (&self->follow, kvam_follow_free);
  g_clear_pointer (&self->session, kvam_session_free);
  g_clear_pointer (&self->index, kvam_fragment_index_free);
  g_clear_pointer (&self->client, kvam_client_free);
  g_clear_pointer (&self->credentials, kvam_credentials_provider_free);
  g_clear_pointer (&self->active_region, g_free);
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

  if (self->follow)
    kvam_follow_run (self->follow);
  else
    kvam_fragment_index_list (self->index, self->client, LIST_PAGE_SIZE,
        self->lister_cancellable);
  return NULL;
}

/* Called with the object lock held. */
static KvamFollow *
create_follow (GstKvamSrc * self)
{
  KvamFollowConfig config = { 0 };

  config.element = GST_ELEMENT (self);
  config.stream = stream_label (self);
  config.index = self->index;
  config.client = self->client;
  config.max_results = LIST_PAGE_SIZE;
  config.from_newest = self->mode == GST_KVAM_SRC_LIVE;
  config.end = self->range_end;
  config.cancellable = self->lister_cancellable;
  return kvam_follow_new (&config);
}

/* Called with the object lock held. */
static KvamSession *
create_session (GstKvamSrc * self)
{
  KvamSessionConfig config = { 0 };

  config.element = GST_ELEMENT (self);
  config.stream = stream_label (self);
  config.client = self->client;
  config.index = self->index;
  config.cancellable = self->cancellable;
  config.selector = self->selector;
  config.range_start = self->range_start;
  config.range_end = self->range_end;
  config.retry_attempts = self->retry_attempts;
  config.request_timeout_ms = self->request_timeout;
  config.keep_timecodes = self->keep_timecodes;
  config.live = self->mode != GST_KVAM_SRC_ON_DEMAND;
  config.max_concurrent = self->max_concurrent;
  config.max_bytes_ahead = self->max_bytes_ahead;
  config.fail_on_fragment_error =
      self->on_fragment_error == GST_KVAM_SRC_ON_ERROR_FAIL;
  return kvam_session_new (&config);
}

/* The client and the index; listing starts at once, in the background. */
static void
start_listing (GstKvamSrc * self)
{
  KvamClientConfig config = { 0 };
  g_autofree gchar *from = kvam_time_to_iso8601 (self->range_start);
  g_autofree gchar *to = GST_CLOCK_TIME_IS_VALID (self->range_end) ?
      kvam_time_to_iso8601 (self->range_end) : g_strdup ("(following)");

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
      GST_CLOCK_TIME_IS_VALID (self->range_end) ? self->range_end :
      KVAM_TIME_MAX_SECONDS * GST_SECOND);
  if (self->mode != GST_KVAM_SRC_ON_DEMAND)
    self->follow = create_follow (self);
  self->session = create_session (self);
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
  self->bytes_out = 0;
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

/* A live stream has no end to seek within (live-replay could seek back:
 * not yet). */
static gboolean
gst_kvam_src_is_seekable (GstBaseSrc * src)
{
  return !gst_base_src_is_live (src);
}

/* Only the positions kvamsrc gives out (the Cues, each fragment's first
 * cluster: kvamseekindex.h) and 0 can be served. Checked before basesrc
 * flushes: a refused seek after a flush would lose the bytes in flight. */
static gboolean
seek_is_possible (GstKvamSrc * self, GstEvent * event)
{
  GstFormat format;
  GstSeekType start_type;
  gint64 start;
  gboolean ok;

  gst_event_parse_seek (event, NULL, &format, NULL, &start_type, &start,
      NULL, NULL);
  GST_OBJECT_LOCK (self);
  ok = format == GST_FORMAT_BYTES && start_type == GST_SEEK_TYPE_SET &&
      start >= 0 && (self->session ? kvam_session_can_seek (self->session,
          start) : start == 0);
  GST_OBJECT_UNLOCK (self);
  if (!ok)
    GST_DEBUG_OBJECT (self, "refusing %" GST_PTR_FORMAT ": not a position "
        "kvamsrc serves", event);
  return ok;
}

static gboolean
gst_kvam_src_event (GstBaseSrc * src, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK &&
      !seek_is_possible (GST_KVAM_SRC (src), event))
    return FALSE;
  return GST_BASE_SRC_CLASS (parent_class)->event (src, event);
}

/* A SEEK sent to the element itself does not go through event(). */
static gboolean
gst_kvam_src_send_event (GstElement * element, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK &&
      !seek_is_possible (GST_KVAM_SRC (element), event)) {
    gst_event_unref (event);
    return FALSE;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* matroskademux takes a source as seekable only with a known size: the
 * byte space's, which every position kvamsrc gives out lies within. */
static gboolean
gst_kvam_src_get_size (GstBaseSrc * src, guint64 * size)
{
  if (gst_base_src_is_live (src))
    return FALSE;
  *size = KVAM_SEEK_CUES_POSITION * 2;
  return TRUE;
}

/* Live: frames reach the sinks up to the follower's latency after their
 * fragment's first frame could have; answered for the sinks to wait so
 * long, with no upper bound (nothing is captured into a ring buffer). */
static gboolean
answer_latency (GstKvamSrc * self, GstQuery * query)
{
  GstClockTime latency = KVAM_FOLLOW_DEFAULT_FRAGMENT + KVAM_FOLLOW_POLL +
      KVAM_FOLLOW_STRAGGLER_WAIT;

  if (!gst_base_src_is_live (GST_BASE_SRC (self)))
    return FALSE;
  GST_OBJECT_LOCK (self);
  if (self->follow)
    latency = kvam_follow_get_latency (self->follow);
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "latency: live, %" GST_TIME_FORMAT,
      GST_TIME_ARGS (latency));
  gst_query_set_latency (query, TRUE, latency, GST_CLOCK_TIME_NONE);
  return TRUE;
}

static gboolean
gst_kvam_src_query (GstBaseSrc * src, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_SCHEDULING) {
    /* seekable, but in push mode only: a position is not a byte of a
     * file that can be read in any order */
    gst_query_set_scheduling (query, gst_base_src_is_live (src) ? 0 :
        GST_SCHEDULING_FLAG_SEEKABLE, 1, -1, 0);
    gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY &&
      answer_latency (GST_KVAM_SRC (src), query))
    return TRUE;
  return GST_BASE_SRC_CLASS (parent_class)->query (src, query);
}

static gboolean
gst_kvam_src_do_seek (GstBaseSrc * src, GstSegment * segment)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);

  if (segment->format != GST_FORMAT_BYTES)
    return FALSE;
  if (!self->session)
    return segment->start == 0;
  if (!kvam_session_seek (self->session, segment->start))
    return FALSE;
  GST_OBJECT_LOCK (self);
  self->bytes_out = segment->start;
  GST_OBJECT_UNLOCK (self);
  segment->time = segment->start;
  return TRUE;
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
  if (kvam_session_take_discont (self->session))
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

static GstFlowReturn
gst_kvam_src_create (GstPushSrc * src, GstBuffer ** outbuf)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);
  guint blocksize = gst_base_src_get_blocksize (GST_BASE_SRC (src));
  GstFlowReturn ret;
  GBytes *out = NULL;

  /* basesrc lets blocksize be 0 or 4 GiB: neither is a read size */
  if (blocksize == 0)
    blocksize = DEFAULT_BLOCKSIZE;
  blocksize = MIN (blocksize, MAX_BLOCKSIZE);

  ret = kvam_session_read (self->session, blocksize, &out);
  if (ret == GST_FLOW_OK)
    *outbuf = make_buffer (self, out);
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
  g_object_class_install_property (gobject_class, PROP_PLAYBACK_MODE,
      g_param_spec_enum ("playback-mode", "Playback mode",
          "on-demand: the range from start-time to end-time (unset: now), "
          "then EOS. live: a live source starting at the newest fragment "
          "and following the stream as it is ingested (start-time is "
          "ignored). live-replay: a live source from start-time, catching "
          "up at full speed, then following; EOS after end-time when set. "
          "The names are those of AWS's HLS and DASH playback modes",
          GST_TYPE_KVAM_SRC_PLAYBACK_MODE, GST_KVAM_SRC_ON_DEMAND, RW_READY));
  g_object_class_install_property (gobject_class,
      PROP_MAX_CONCURRENT_REQUESTS, g_param_spec_uint
      ("max-concurrent-requests", "Max concurrent requests",
          "Most GetMediaForFragmentList responses read at once: while the "
          "output waits on the network (AWS caps each response at 25 MB/s), "
          "the next batches are read ahead on up to this many connections, "
          "fewer when downstream is slower; never more than the service's 5 "
          "per stream across the whole process", 1, 5,
          DEFAULT_MAX_CONCURRENT, RW_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_BYTES_AHEAD,
      g_param_spec_uint64 ("max-bytes-ahead", "Max bytes ahead",
          "Most bytes of read-ahead responses held in memory; at the cap "
          "they stop reading and TCP slows the sender. A batch is at most a "
          "quarter of it (and 32 MiB)", 256 * 1024, G_GUINT64_CONSTANT (1) <<
          34, DEFAULT_MAX_BYTES_AHEAD, RW_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Fragments listed, delivered (each as its last frame goes out) "
          "and skipped, bytes written, media responses in flight, bytes "
          "read ahead, concurrent requests aimed for, requests per API, "
          "retries, throttles, endpoint and credential refreshes, and the "
          "producer time of the current fragment (current-producer-time, ns "
          "since the epoch; absent until the first fragment plays)",
          GST_TYPE_STRUCTURE,
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
      "ISO 8601 such as 2026-11-24T10:00:00Z or +01:00 offsets, epoch "
      "seconds such as 1764000000.25, or relative to when playback starts: "
      "now, -15m, -1h30m, -2d. Required, but in playback-mode=live");
  install_string (gobject_class, PROP_END_TIME, "end-time", "End time",
      "End of the range to play (inclusive), in the same forms as "
      "start-time. Unset means now, the moment playback starts (in the "
      "live playback modes: no end)");
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
      "Matroska stream",
      "The kvamsrc developers (https://github.com/kvamsrc/kvamsrc)");
  gst_element_class_add_static_metadata (element_class,
      GST_ELEMENT_METADATA_DOC_URI,
      "https://github.com/kvamsrc/kvamsrc/blob/main/docs/kvamsrc.md");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_kvam_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_kvam_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_kvam_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_kvam_src_unlock_stop);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_kvam_src_is_seekable);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_kvam_src_send_event);
  basesrc_class->event = GST_DEBUG_FUNCPTR (gst_kvam_src_event);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_kvam_src_do_seek);
  basesrc_class->get_size = GST_DEBUG_FUNCPTR (gst_kvam_src_get_size);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_kvam_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_kvam_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_KVAM_SRC_SELECTOR, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KVAM_SRC_ON_ERROR, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_KVAM_SRC_PLAYBACK_MODE, 0);
}

static void
gst_kvam_src_init (GstKvamSrc * self)
{
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->retry_attempts = DEFAULT_RETRY_ATTEMPTS;
  self->selector = DEFAULT_SELECTOR;
  self->on_fragment_error = DEFAULT_ON_FRAGMENT_ERROR;
  self->max_concurrent = DEFAULT_MAX_CONCURRENT;
  self->max_bytes_ahead = DEFAULT_MAX_BYTES_AHEAD;
  self->cancellable = g_cancellable_new ();
  self->lister_cancellable = g_cancellable_new ();
  self->range_start = self->range_end = GST_CLOCK_TIME_NONE;
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
  gst_base_src_set_blocksize (GST_BASE_SRC (self), DEFAULT_BLOCKSIZE);
}
