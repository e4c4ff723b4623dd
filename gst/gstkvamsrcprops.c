/* kvamsrc: properties, their enums and the stats structure
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkvamsrcpriv.h"
#include "kvamsecret.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_kvam_src_debug);
#define GST_CAT_DEFAULT gst_kvam_src_debug

GType
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

GType
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

GType
gst_kvam_src_playback_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_KVAM_SRC_ON_DEMAND, "The range from start-time to end-time, then "
          "EOS", "on-demand"},
    {GST_KVAM_SRC_LIVE, "From the newest fragment, following the stream as "
          "it is ingested", "live"},
    {GST_KVAM_SRC_LIVE_REPLAY,
        "From start-time, catching up as fast as downstream takes it, "
          "then following (until end-time if set)", "live-replay"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static
        ("GstKvamSrcPlaybackMode", values));
  return type;
}

static void
clear_secret (gchar ** secret)
{
  g_clear_pointer (secret, kvam_secret_free);
}

void
gst_kvam_src_clear_properties (GstKvamSrc * self)
{
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
  g_free (self->ssl_ca_file);
  g_free (self->user_agent);
  g_free (self->proxy);
  g_free (self->proxy_id);
  clear_secret (&self->proxy_pw);
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
    case PROP_SSL_CA_FILE:
      return &self->ssl_ca_file;
    case PROP_USER_AGENT:
      return &self->user_agent;
    case PROP_PROXY:
      return &self->proxy;
    case PROP_PROXY_ID:
      return &self->proxy_id;
    case PROP_PROXY_PW:
      return &self->proxy_pw;
    default:
      return NULL;
  }
}

static gboolean
is_secret_property (guint prop_id)
{
  return prop_id == PROP_SECRET_ACCESS_KEY || prop_id == PROP_SESSION_TOKEN
      || prop_id == PROP_PROXY_PW;
}

static void
set_string_property (GstKvamSrc * self, guint prop_id, gchar ** slot,
    const GValue * value, GParamSpec * pspec)
{
  if (is_secret_property (prop_id)) {
    clear_secret (slot);
    GST_DEBUG_OBJECT (self, "%s set", pspec->name);
  } else if (prop_id == PROP_PROXY) {
    /* a proxy URL may carry a password of its own */
    g_autofree gchar *shown = kvam_transport_redact_uri (g_value_get_string
        (value));
    clear_secret (slot);
    GST_DEBUG_OBJECT (self, "%s = %s", pspec->name, GST_STR_NULL (shown));
  } else {
    g_free (*slot);
    GST_DEBUG_OBJECT (self, "%s = %s", pspec->name,
        GST_STR_NULL (g_value_get_string (value)));
  }
  *slot = g_value_dup_string (value);
  if (*slot && **slot == '\0')
    g_clear_pointer (slot, g_free);
}

/* "uri" is the URI handler's, as awss3src's: it sets and reads the other
 * properties itself, so it runs without the object lock. */
static void
set_uri_property (GstKvamSrc * self, const gchar * uri)
{
  g_autoptr (GError) err = NULL;

  if (!uri)
    return;
  if (!gst_uri_handler_set_uri (GST_URI_HANDLER (self), uri, &err))
    GST_WARNING_OBJECT (self, "'uri' not taken: %s", err->message);
}

void
gst_kvam_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstKvamSrc *self = GST_KVAM_SRC (object);
  gchar **slot;

  if (prop_id == PROP_URI) {
    set_uri_property (self, g_value_get_string (value));
    return;
  }
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
      case PROP_SSL_STRICT:
        self->ssl_strict = g_value_get_boolean (value);
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
      "frames-dropped", G_TYPE_UINT64, ss.frames_dropped,
      "fragments-late", G_TYPE_UINT,
      self->index ? kvam_fragment_index_get_late (self->index) : 0,
      "entries-skipped", G_TYPE_UINT,
      self->index ? kvam_fragment_index_get_skipped (self->index) : 0,
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

void
gst_kvam_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstKvamSrc *self = GST_KVAM_SRC (object);
  gchar **slot;

  if (prop_id == PROP_URI) {
    g_value_take_string (value, gst_uri_handler_get_uri (GST_URI_HANDLER
            (self)));
    return;
  }
  GST_OBJECT_LOCK (self);
  slot = string_property_slot (self, prop_id);
  if (prop_id == PROP_USER_AGENT && !self->user_agent) {
    g_value_take_string (value, kvam_transport_default_user_agent ());
  } else if (prop_id == PROP_PROXY) {
    g_value_take_string (value, kvam_transport_redact_uri (self->proxy));
  } else if (slot) {
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
      case PROP_SSL_STRICT:
        g_value_set_boolean (value, self->ssl_strict);
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

/* souphttpsrc's names, and what the AWS SDKs read from the environment */
static void
install_transport_properties (GObjectClass * gobject_class)
{
  g_autofree gchar *default_user_agent = kvam_transport_default_user_agent ();

  install_string (gobject_class, PROP_SSL_CA_FILE, "ssl-ca-file",
      "SSL CA file", "PEM file of the certificate authorities to trust "
      "instead of the system's. Unset: AWS_CA_BUNDLE, else the system's");
  g_object_class_install_property (gobject_class, PROP_SSL_STRICT,
      g_param_spec_boolean ("ssl-strict", "SSL strict",
          "Refuse a server whose TLS certificate is not trusted (an error "
          "naming the host and the reason). FALSE accepts it with a warning: "
          "for test set-ups only", TRUE, RW_READY));
  g_object_class_install_property (gobject_class, PROP_USER_AGENT,
      g_param_spec_string ("user-agent", "User-Agent", "User-Agent of every "
          "request. Default: kvamsrc/VERSION GStreamer/VERSION, with "
          "app/AWS_SDK_UA_APP_ID appended when that is set, as the AWS SDKs "
          "do", default_user_agent, RW_READY));
  install_string (gobject_class, PROP_PROXY, "proxy", "Proxy",
      "HTTP proxy for every AWS request, http://host:port (HTTPS goes "
      "through it with CONNECT). Unset: HTTPS_PROXY / HTTP_PROXY and "
      "NO_PROXY from the environment. Instance metadata and container "
      "credentials never use a proxy");
  install_string (gobject_class, PROP_PROXY_ID, "proxy-id", "Proxy user id",
      "User name for proxy authentication");
  install_string (gobject_class, PROP_PROXY_PW, "proxy-pw", "Proxy password",
      "Password for proxy authentication. Never logged; reads back as NULL");
}

static void
install_playback_properties (GObjectClass * gobject_class)
{
  g_object_class_install_property (gobject_class, PROP_FRAGMENT_SELECTOR_TYPE,
      g_param_spec_enum ("fragment-selector-type", "Fragment selector type",
          "Which fragment timestamps start-time and end-time refer to, and "
          "the order of play: server (as AWS's HLS, DASH and clip APIs) or "
          "producer", GST_TYPE_KVAM_SRC_SELECTOR, DEFAULT_SELECTOR, RW_READY));
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
          "up as fast as downstream takes it (with a synchronised sink: in "
          "real time, staying behind), then following; EOS after end-time "
          "when set. "
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
          "quarter of it (the first at most 32 MiB)", 256 * 1024,
          G_GUINT64_CONSTANT (1) << 34, DEFAULT_MAX_BYTES_AHEAD, RW_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Fragments listed, delivered (each as its last frame goes out) "
          "and skipped, fragments listed too late to play (live), listing "
          "entries skipped (unusable times, or far ahead of the clock), "
          "frames dropped (not after their track's last frame: "
          "sound that overlaps the next fragment), bytes written, media "
          "responses in flight, bytes "
          "read ahead, concurrent requests aimed for, requests per API, "
          "retries, throttles, endpoint and credential refreshes, and the "
          "producer time of the current fragment (current-producer-time, ns "
          "since the epoch; absent until the first fragment plays)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

void
gst_kvam_src_install_properties (GObjectClass * gobject_class)
{
  install_string (gobject_class, PROP_STREAM_NAME, "stream-name",
      "Stream name", "Name of the Kinesis video stream to play "
      "(1-256 characters of a-z A-Z 0-9 _ . -). Set this or stream-arn");
  install_string (gobject_class, PROP_STREAM_ARN, "stream-arn", "Stream ARN",
      "ARN of the Kinesis video stream to play. Set this or stream-name");
  install_string (gobject_class, PROP_START_TIME, "start-time", "Start time",
      "Start of the range to play (inclusive, on fragment start times): "
      "ISO 8601 such as 2026-11-24T10:00:00Z, +01:00 offsets or a date "
      "alone (its midnight, UTC), epoch seconds such as 1764000000.25, or "
      "relative to when playback starts: now, -15m, -1h30m, -2d, +10s. "
      "Required except in playback-mode=live");
  install_string (gobject_class, PROP_END_TIME, "end-time", "End time",
      "End of the range to play (inclusive), in the same forms as "
      "start-time; it may lie in the future (live-replay: +10m). Unset "
      "means now, the moment playback starts (in the live playback modes: "
      "no end)");
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
  install_string (gobject_class, PROP_URI, "uri", "URI",
      "The stream, its range and settings as a kvs:// URI (kvs://NAME?"
      "start-time=...&...: every property but secrets and the transport's "
      "trust), as the URI handler takes it; reading it gives the current "
      "settings as one");
  install_string (gobject_class, PROP_ENDPOINT_URI, "endpoint-uri",
      "Endpoint URI", "Kinesis Video control-plane URL, such as "
      "http://127.0.0.1:4566 for a local emulator. Unset: "
      "AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL or the profile's "
      "endpoint_url, else https://kinesisvideo.REGION.amazonaws.com");

  g_object_class_install_property (gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint ("request-timeout", "Request timeout",
          "Longest wait, in milliseconds (rounded up to whole seconds), for "
          "a connection or for the next bytes of a response, before the "
          "request is retried", 1, MAX_REQUEST_TIMEOUT,
          DEFAULT_REQUEST_TIMEOUT, RW_READY));
  g_object_class_install_property (gobject_class, PROP_RETRY_ATTEMPTS,
      g_param_spec_uint ("retry-attempts", "Retry attempts",
          "How many times in a row a failing request is tried again, with "
          "exponential backoff and jitter and a warning, before the element "
          "errors out; a failing request errors out within "
          "(retry-attempts + 1) x request-timeout plus the backoff",
          0, MAX_RETRY_ATTEMPTS, DEFAULT_RETRY_ATTEMPTS, RW_READY));
  install_playback_properties (gobject_class);
  install_transport_properties (gobject_class);
}
