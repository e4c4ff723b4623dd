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
#include "kvamcredentials.h"
#include "kvamtime.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_kvam_src_debug);
#define GST_CAT_DEFAULT gst_kvam_src_debug

#define DEFAULT_REQUEST_TIMEOUT 15000
#define MAX_REQUEST_TIMEOUT (24 * 3600 * 1000)
#define DEFAULT_RETRY_ATTEMPTS 5
#define MAX_RETRY_ATTEMPTS 100

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

  /* streaming state, set up in start() */
  GCancellable *cancellable;
  KvamCredentialsProvider *credentials;
  gchar *active_region;
  GstClockTime range_start;     /* ns since the epoch */
  GstClockTime range_end;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-matroska"));

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

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* String properties that may only change while the element is stopped. */
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
  } else if (prop_id == PROP_REQUEST_TIMEOUT) {
    self->request_timeout = g_value_get_uint (value);
  } else if (prop_id == PROP_RETRY_ATTEMPTS) {
    self->retry_attempts = g_value_get_uint (value);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
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
  } else if (prop_id == PROP_REQUEST_TIMEOUT) {
    g_value_set_uint (value, self->request_timeout);
  } else if (prop_id == PROP_RETRY_ATTEMPTS) {
    g_value_set_uint (value, self->retry_attempts);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- configuration checks ---------------------------------------------- */

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
  if (self->stream_arn && (!g_str_has_prefix (self->stream_arn, "arn:") ||
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
  if (GST_CLOCK_TIME_IS_VALID (self->range_end) &&
      self->range_end < self->range_start)
    return SETTINGS_ERROR ("Invalid range: 'end-time' %s is before "
        "'start-time' %s", self->end_time, self->start_time);
  if (self->region && !region_is_valid (self->region))
    return SETTINGS_ERROR ("Invalid 'region' value '%s': expected a region "
        "code such as us-west-2", self->region);
  if (self->endpoint_uri && !endpoint_is_valid (self->endpoint_uri))
    return SETTINGS_ERROR ("Invalid 'endpoint-uri' value '%s': expected an "
        "http:// or https:// URL", self->endpoint_uri);
  if (self->request_timeout == 0)
    return SETTINGS_ERROR ("Invalid 'request-timeout' value 0: give at least "
        "1 ms");
  return TRUE;
#undef SETTINGS_ERROR
}

static void
post_error (GstKvamSrc * self, GError * err)
{
  GstStructure *details = gst_structure_new ("details",
      "stream", G_TYPE_STRING,
      self->stream_name ? self->stream_name : self->stream_arn, NULL);

  gst_element_message_full_with_details (GST_ELEMENT (self),
      GST_MESSAGE_ERROR, err->domain, err->code, g_strdup (err->message),
      NULL, __FILE__, GST_FUNCTION, __LINE__, details);
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

  creds = kvam_credentials_provider_get (self->credentials, self->cancellable,
      &err);
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

static void
release_streaming_state (GstKvamSrc * self)
{
  g_clear_pointer (&self->credentials, kvam_credentials_provider_free);
  g_clear_pointer (&self->active_region, g_free);
}

static gboolean
gst_kvam_src_start (GstBaseSrc * src)
{
  GstKvamSrc *self = GST_KVAM_SRC (src);
  GError *err = NULL;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  ok = check_settings (self, &err);
  GST_OBJECT_UNLOCK (self);

  if (ok)
    ok = resolve_identity (self, &err);
  if (!ok) {
    post_error (self, err);
    g_error_free (err);
    /* basesrc does not call stop() after a failed start() */
    release_streaming_state (self);
  }
  return ok;
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

static GstFlowReturn
gst_kvam_src_create (GstPushSrc * src, GstBuffer ** buf)
{
  GST_ELEMENT_ERROR (src, CORE, NOT_IMPLEMENTED,
      ("Fetching media is not implemented yet."), (NULL));
  return GST_FLOW_ERROR;
}

static void
install_string (GObjectClass * klass, guint id, const gchar * name,
    const gchar * nick, const gchar * blurb)
{
  g_object_class_install_property (klass, id, g_param_spec_string (name, nick,
          blurb, NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
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
          "Longest wait, in milliseconds, for a connection or for the next "
          "bytes of a response, before the request is retried",
          1, MAX_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RETRY_ATTEMPTS,
      g_param_spec_uint ("retry-attempts", "Retry attempts",
          "How many times a failing request is tried again, with "
          "exponential backoff, before the element errors out",
          0, MAX_RETRY_ATTEMPTS, DEFAULT_RETRY_ATTEMPTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
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
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_kvam_src_create);
}

static void
gst_kvam_src_init (GstKvamSrc * self)
{
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
  self->retry_attempts = DEFAULT_RETRY_ATTEMPTS;
  self->cancellable = g_cancellable_new ();
  self->range_start = self->range_end = GST_CLOCK_TIME_NONE;
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
}
