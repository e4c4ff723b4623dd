/* kvamsrc: the element's state, shared by its files (not API)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstkvamsrc.c: life cycle, GstBaseSrc glue, queries, seeking.
 * gstkvamsrcprops.c: properties, their enums, stats.
 * gstkvamsrcuri.c: the kvs:// URI handler.
 */
#pragma once

#include "gstkvamsrc.h"
#include "kvamclient.h"
#include "kvamcredentials.h"
#include "kvamfollow.h"
#include "kvamfragmentindex.h"
#include "kvamsession.h"
#include "kvamtransport.h"

G_BEGIN_DECLS

#define DEFAULT_REQUEST_TIMEOUT 15000
#define MAX_REQUEST_TIMEOUT (24 * 3600 * 1000)
#define DEFAULT_RETRY_ATTEMPTS 5
#define MAX_RETRY_ATTEMPTS 100
#define DEFAULT_SELECTOR KVAM_SELECTOR_SERVER
#define DEFAULT_ON_FRAGMENT_ERROR GST_KVAM_SRC_ON_ERROR_SKIP
#define DEFAULT_BLOCKSIZE (64 * 1024)
#define MAX_BLOCKSIZE (16 * 1024 * 1024)
/* 4 responses at 25 MB/s each beat 3x one session's speed
 * (docs/performance.md) and leave the stream's fifth connection to
 * another client */
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
  PROP_SSL_CA_FILE,
  PROP_SSL_STRICT,
  PROP_USER_AGENT,
  PROP_PROXY,
  PROP_PROXY_ID,
  PROP_PROXY_PW,
  PROP_URI,
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
  gchar *ssl_ca_file;
  gboolean ssl_strict;
  gchar *user_agent;            /* NULL: the default */
  gchar *proxy;
  gchar *proxy_id;
  gchar *proxy_pw;
  guint request_timeout;
  guint retry_attempts;
  KvamSelector selector;
  gboolean keep_timecodes;
  GstKvamSrcOnError on_fragment_error;
  GstKvamSrcPlaybackMode mode;
  guint max_concurrent;
  guint64 max_bytes_ahead;

  /* made in init(), for the element's life; thread-safe objects */
  GCancellable *cancellable;    /* unlock() cancels, unlock_stop() resets */
  GCancellable *lister_cancellable;     /* stop() cancels */

  /* Running state: exists only between start() and stop(). Set by start()
   * and taken away by stop() (release_streaming_state ()) under the object
   * lock; the streaming and lister threads use it without the lock, since
   * they run only between the two; other threads (stats, queries, seeks)
   * read it under the object lock. */
  KvamTransport *transport;
  KvamCredentialsProvider *credentials;
  gchar *active_region;
  GstClockTime range_start;     /* ns since the epoch; check_settings () */
  GstClockTime range_end;
  KvamClient *client;
  KvamFragmentIndex *index;
  GThread *lister;              /* start()/stop() only */
  KvamFollow *follow;           /* live modes: the lister's state */
  KvamSession *session;         /* the streaming state machine */

  /* stats: under the object lock */
  guint64 bytes_out;
};

#define GST_TYPE_KVAM_SRC_SELECTOR (gst_kvam_src_selector_get_type ())
GType gst_kvam_src_selector_get_type (void);
#define GST_TYPE_KVAM_SRC_ON_ERROR (gst_kvam_src_on_error_get_type ())
GType gst_kvam_src_on_error_get_type (void);
#define GST_TYPE_KVAM_SRC_PLAYBACK_MODE (gst_kvam_src_playback_mode_get_type ())
GType gst_kvam_src_playback_mode_get_type (void);

/* gstkvamsrcprops.c */
void gst_kvam_src_install_properties (GObjectClass * gobject_class);
void gst_kvam_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
void gst_kvam_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
/* Frees the string properties, wiping the secrets. */
void gst_kvam_src_clear_properties (GstKvamSrc * self);

G_END_DECLS
