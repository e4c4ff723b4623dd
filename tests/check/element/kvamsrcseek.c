/* kvamsrc: seeking, duration and position through the stock matroskademux
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Seeks are sent to the pipeline, as players send them: they travel up
 * from the sink through the decoder and matroskademux, which (in push
 * mode) asks kvamsrc for the Cues and then for a fragment's position.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"
#include "kvamtime.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define FPS 25
#define FRAME (GST_SECOND / FPS)

static KvsEmulator *emu;

typedef struct
{
  GstElement *pipeline;
  GMutex lock;
  GArray *pts;                  /* at the sink, since the last arm() */
  GPtrArray *fragments;         /* kvam-fragment numbers, likewise */
} Player;

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, Player * p)
{
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&p->lock);
  g_array_append_val (p->pts, pts);
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static void
setup (void)
{
  GError *err = NULL;

  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", 20, 1, 64, 48, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
}

static void
teardown (void)
{
  kvs_emulator_free (emu);
}

/* @launch's element "sink" (or playbin's video-sink) is watched. */
static Player *
player_new_launch (const gchar * launch)
{
  Player *p = g_new0 (Player, 1);
  GstElement *sink;
  GstPad *pad;

  g_mutex_init (&p->lock);
  p->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  p->fragments = g_ptr_array_new_with_free_func (g_free);
  p->pipeline = gst_parse_launch (launch, NULL);
  fail_unless (p->pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  if (!sink)
    g_object_get (p->pipeline, "video-sink", &sink, NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) sink_probe, p, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  return p;
}

/* kvamsrc over the emulator's 20 fragments of 1 s, decoded. */
static Player *
player_new (gboolean sync)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc name=src ! "
      "matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink sync=%s",
      sync ? "true" : "false");
  Player *p = player_new_launch (launch);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p->pipeline), "src");

  g_object_set (src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "stream-name", "cam", "start-time",
      START, "end-time", "1764000019.5", "request-timeout", 2000, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "fragment-selector-type",
      "producer");
  gst_object_unref (src);
  return p;
}

static void
player_free (Player * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->pipeline);
  g_array_unref (p->pts);
  g_ptr_array_unref (p->fragments);
  g_mutex_clear (&p->lock);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Player, player_free);

static void
set_state (Player * p, GstState state)
{
  fail_if (gst_element_set_state (p->pipeline, state) ==
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          20 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
}

static void
arm (Player * p)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;

  /* what was posted before counts no more */
  while ((msg = gst_bus_pop (bus)))
    gst_message_unref (msg);
  g_mutex_lock (&p->lock);
  g_array_set_size (p->pts, 0);
  g_ptr_array_set_size (p->fragments, 0);
  g_mutex_unlock (&p->lock);
}

/* The first PTS at the sink since arm(), waiting up to 10 s. */
static GstClockTime
first_pts (Player * p)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GstClockTime t = GST_CLOCK_TIME_NONE;

  while (g_get_monotonic_time () < deadline) {
    g_mutex_lock (&p->lock);
    if (p->pts->len > 0)
      t = g_array_index (p->pts, GstClockTime, 0);
    g_mutex_unlock (&p->lock);
    if (GST_CLOCK_TIME_IS_VALID (t))
      return t;
    g_usleep (10000);
  }
  fail ("no frame after the seek");
  return t;
}

static void
seek (Player * p, GstSeekFlags flags, GstClockTime target)
{
  arm (p);
  fail_unless (gst_element_seek_simple (p->pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | flags, target), "seek to %" GST_TIME_FORMAT
      " refused", GST_TIME_ARGS (target));
}

/* Plays to EOS, collecting kvam-fragment messages; fails on an error. */
static void
play_to_eos (Player * p)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (p->pipeline);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  set_state (p, GST_STATE_PLAYING);
  while (g_get_monotonic_time () < deadline) {
    g_autoptr (GstMessage) msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);
    const GstStructure *s;
    if (!msg)
      continue;
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      return;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      fail ("error: %s", err->message);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name (s, "kvam-fragment"))
      g_ptr_array_add (p->fragments,
          g_strdup (gst_structure_get_string (s, "fragment-number")));
  }
  fail ("no EOS");
}

/* The frames from @from to the end of the range, each once, in order. */
static void
assert_frames_from (Player * p, GstClockTime from)
{
  guint i, want = (guint) ((20 * GST_SECOND - from) / FRAME);

  fail_unless_equals_int (p->pts->len, want);
  for (i = 0; i < p->pts->len; i++)
    fail_unless_equals_uint64 (g_array_index (p->pts, GstClockTime, i),
        from + i * FRAME);
}

GST_START_TEST (test_duration_and_seeking_queries)
{
  g_autoptr (Player) p = player_new (FALSE);
  g_autoptr (GstQuery) q = gst_query_new_seeking (GST_FORMAT_TIME);
  gint64 duration = -1, start = -1, end = -1;
  gboolean seekable = FALSE;

  set_state (p, GST_STATE_PAUSED);
  fail_unless (gst_element_query_duration (p->pipeline, GST_FORMAT_TIME,
          &duration));
  fail_unless_equals_int64 (duration, 20 * GST_SECOND);
  fail_unless (gst_element_query (p->pipeline, q));
  gst_query_parse_seeking (q, NULL, &seekable, &start, &end);
  fail_unless (seekable);
  fail_unless_equals_int64 (start, 0);
  fail_unless_equals_int64 (end, 20 * GST_SECOND);
}

GST_END_TEST;

/* KEY_UNIT: the key frame at or before the target (SNAP_AFTER: after);
 * playing on gives exactly the frames from there to the end, and
 * kvam-fragment messages for the fragments pushed after the seek. */
GST_START_TEST (test_key_unit_seek)
{
  g_autoptr (Player) p = player_new (FALSE);
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &n);

  set_state (p, GST_STATE_PAUSED);
  seek (p, GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_AFTER,
      10500 * GST_MSECOND);
  fail_unless_equals_uint64 (first_pts (p), 11 * GST_SECOND);
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 10500 * GST_MSECOND);
  fail_unless_equals_uint64 (first_pts (p), 10 * GST_SECOND);
  play_to_eos (p);
  assert_frames_from (p, 10 * GST_SECOND);
  fail_unless_equals_int (p->fragments->len, 10);
  for (i = 0; i < 10; i++)
    fail_unless_equals_string (p->fragments->pdata[i], f[10 + i].number);
}

GST_END_TEST;

/* ACCURATE: the first frame shown is the one at the target. */
GST_START_TEST (test_accurate_seek)
{
  g_autoptr (Player) p = player_new (FALSE);
  GstClockTime t;

  set_state (p, GST_STATE_PAUSED);
  seek (p, GST_SEEK_FLAG_ACCURATE, 5520 * GST_MSECOND);
  t = first_pts (p);
  fail_unless (t >= 5520 * GST_MSECOND - FRAME && t <= 5520 * GST_MSECOND,
      "first frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (t));
  play_to_eos (p);
  assert_frames_from (p, t);
}

GST_END_TEST;

/* Back while PLAYING (in real time), then on to the end. */
GST_START_TEST (test_backward_seek_while_playing)
{
  g_autoptr (Player) p = player_new (TRUE);
  GstClockTime pos = 0;

  set_state (p, GST_STATE_PLAYING);
  g_usleep (1500 * 1000);
  fail_unless (gst_element_query_position (p->pipeline, GST_FORMAT_TIME,
          (gint64 *) & pos) && pos > 500 * GST_MSECOND);
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 17200 * GST_MSECOND);
  fail_unless_equals_uint64 (first_pts (p), 17 * GST_SECOND);
  g_usleep (500 * 1000);
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 16300 * GST_MSECOND);
  fail_unless_equals_uint64 (first_pts (p), 16 * GST_SECOND);
  play_to_eos (p);
  assert_frames_from (p, 16 * GST_SECOND);
}

GST_END_TEST;

/* A user dragging the seek bar: ten seeks 100 ms apart end at the last
 * target, and the service's 5 calls/s per API are never exceeded. */
GST_START_TEST (test_rapid_seeks_end_at_the_last)
{
  g_autoptr (Player) p = player_new (FALSE);
  guint i, listed, before = G_MAXUINT;

  set_state (p, GST_STATE_PAUSED);
  /* the listing is done once the calls stop (short pages: several) */
  while ((listed = kvs_emulator_count (emu, "ListFragments", "*")) != before) {
    before = listed;
    g_usleep (500 * 1000);
  }
  for (i = 0; i < 10; i++) {
    fail_unless (gst_element_seek_simple (p->pipeline, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT,
            (2 + i) * GST_SECOND + 300 * GST_MSECOND));
    g_usleep (100 * 1000);
  }
  arm (p);
  fail_unless_equals_int (gst_element_get_state (p->pipeline, NULL, NULL,
          10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  play_to_eos (p);
  assert_frames_from (p, 11 * GST_SECOND);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
  /* listed once, however often it was sought */
  fail_unless_equals_int (kvs_emulator_count (emu, "ListFragments", "*"),
      listed);
}

GST_END_TEST;

/* A seek while a media response is stalled returns at once (unlock()
 * cancels the read), and the seek goes through. */
GST_START_TEST (test_seek_during_a_stall)
{
  g_autoptr (Player) p = player_new (FALSE);
  gint64 t0;
  guint n;

  kvs_emulator_add_stall (emu, 1, 40000);
  set_state (p, GST_STATE_PLAYING);
  /* the first response stops after 40 000 bytes (a few fragments) and
   * stays open: request-timeout (2 s) has not run out when the seek comes */
  g_usleep (700 * 1000);
  g_mutex_lock (&p->lock);
  n = p->pts->len;
  g_mutex_unlock (&p->lock);
  fail_unless (n > 0 && n < 20 * FPS, "%u frames before the seek", n);
  t0 = g_get_monotonic_time ();
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 15 * GST_SECOND);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC, "%"
      G_GINT64_FORMAT " us", g_get_monotonic_time () - t0);
  fail_unless_equals_uint64 (first_pts (p), 15 * GST_SECOND);
}

GST_END_TEST;

/* After a seek everything else still holds: the response that follows it
 * is cut (resumed, every frame once), a fragment keeps failing in-band
 * (skipped with a warning), and stats and messages count what was pushed. */
GST_START_TEST (test_seek_then_cut_and_in_band_error)
{
  g_autoptr (Player) p = player_new (FALSE);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p->pipeline), "src");
  g_autoptr (GstStructure) stats = NULL;
  guint n, i, k = 0, skipped = 0;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &n);

  g_object_set (src, "retry-attempts", 2, NULL);
  kvs_emulator_add_cut (emu, 2, 20000);
  kvs_emulator_add_fragment_error (emu, "cam", 15, 9, NULL);
  set_state (p, GST_STATE_PAUSED);
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 10 * GST_SECOND);
  fail_unless_equals_uint64 (first_pts (p), 10 * GST_SECOND);
  play_to_eos (p);
  /* fragments 10..19 but 15, each frame once, at its time */
  fail_unless_equals_int (p->pts->len, 9 * FPS);
  for (i = 0; i < p->pts->len; i++) {
    GstClockTime want = 10 * GST_SECOND + (i + (i >= 5 * FPS ? FPS : 0)) *
        FRAME;
    fail_unless_equals_uint64 (g_array_index (p->pts, GstClockTime, i), want);
  }
  fail_unless_equals_int (p->fragments->len, 9);
  for (i = 10; i < 20; i++)
    if (i != 15)
      fail_unless_equals_string (p->fragments->pdata[k++], f[i].number);
  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "fragments-skipped", &skipped));
  fail_unless_equals_int (skipped, 1);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) >= 3);
  gst_object_unref (src);
}

GST_END_TEST;

/* ---- kvs:// URIs and relative times ------------------------------------- */

static gchar *
get_string (GstElement * e, const gchar * name)
{
  gchar *v = NULL;

  g_object_get (e, name, &v, NULL);
  return v;
}

GST_START_TEST (test_uri_round_trip)
{
  g_autoptr (GstElement) a = gst_element_factory_make ("kvamsrc", NULL);
  g_autoptr (GstElement) b = gst_element_factory_make ("kvamsrc", NULL);
  g_autoptr (GstElement) c = gst_element_factory_make ("kvamsrc", NULL);
  g_autofree gchar *uri = NULL, *again = NULL, *endpoint = NULL, *name = NULL;
  g_autofree gchar *arn = NULL, *start = NULL;
  guint retries = 0;
  gint selector = -1;
  GError *err = NULL;

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (a),
          "kvs://front-door.cam_1?start-time=-1h30m&end-time=now&"
          "region=eu-west-1&endpoint-uri=http%3A%2F%2F127.0.0.1%3A4566&"
          "retry-attempts=3&fragment-selector-type=producer", &err), "%s",
      err ? err->message : "");
  name = get_string (a, "stream-name");
  start = get_string (a, "start-time");
  endpoint = get_string (a, "endpoint-uri");
  g_object_get (a, "retry-attempts", &retries, "fragment-selector-type",
      &selector, NULL);
  fail_unless_equals_string (name, "front-door.cam_1");
  fail_unless_equals_string (start, "-1h30m");
  fail_unless_equals_string (endpoint, "http://127.0.0.1:4566");
  fail_unless_equals_int (retries, 3);
  fail_unless_equals_int (selector, 1);
  /* what get_uri gives sets another element the same way */
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (a));
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (b), uri, NULL), "%s",
      uri);
  again = gst_uri_handler_get_uri (GST_URI_HANDLER (b));
  fail_unless_equals_string (again, uri);

  /* a stream by ARN */
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (c),
          "kvs:///?stream-arn=arn%3Aaws%3Akinesisvideo%3Aus-west-2%3A1234%3A"
          "stream%2Fcam%2F99&start-time=1764000000", NULL));
  arn = get_string (c, "stream-arn");
  fail_unless_equals_string (arn,
      "arn:aws:kinesisvideo:us-west-2:1234:stream/cam/99");
  g_free (name);
  name = get_string (c, "stream-name");
  fail_unless (name == NULL);
}

GST_END_TEST;

/* Secrets and unknown keys are refused, and a refused URI changes
 * nothing; the secret is not repeated in the error. */
GST_START_TEST (test_uri_refuses_secrets)
{
  g_autoptr (GstElement) e = gst_element_factory_make ("kvamsrc", NULL);
  static const gchar *const refused[] = {
    "kvs://cam?start-time=now&session-token=TOKENVALUE",
    "kvs://cam?start-time=now&secret-access-key=TOKENVALUE",
    "kvs://cam?start-time=now&color=TOKENVALUE",
    "kvs://cam?start-time=now&retry-attempts=TOKENVALUE",
    "http://cam?start-time=now",
  };
  g_autofree gchar *name = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    GError *err = NULL;
    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (e), refused[i], &err),
        "%s taken", refused[i]);
    fail_unless (err && err->domain == GST_URI_ERROR);
    fail_if (i < 2 && strstr (err->message, "TOKENVALUE"), "%s", err->message);
    g_error_free (err);
  }
  name = get_string (e, "stream-name");
  fail_unless (name == NULL);
}

GST_END_TEST;

/* A URI by itself may not lower transport security or send the user's
 * credentials elsewhere: no ssl-strict, ssl-ca-file, proxy, proxy-id (nor
 * a proxy URL with a password in it); endpoint-uri only https or this
 * machine, in any case of the scheme, unless the user's environment opts
 * in. */
GST_START_TEST (test_uri_cannot_lower_trust)
{
  g_autoptr (GstElement) e = gst_element_factory_make ("kvamsrc", NULL);
  static const gchar *const refused[] = {
    "kvs://cam?start-time=now&ssl-strict=false",
    "kvs://cam?start-time=now&ssl-ca-file=%2Ftmp%2Fmine.pem",
    "kvs://cam?start-time=now&proxy=http%3A%2F%2Fuser%3APROXYPW%40evil%3A3128",
    "kvs://cam?start-time=now&proxy-id=user",
    "kvs://cam?start-time=now&endpoint-uri=http%3A%2F%2Fevil.example%3A80",
    "kvs://cam?start-time=now&endpoint-uri=HTTP%3A%2F%2F10.0.0.1",
  };
  static const gchar *const taken[] = {
    "kvs://cam?start-time=now&endpoint-uri=https%3A%2F%2Fkinesisvideo.eu-west-1.amazonaws.com",
    "kvs://cam?start-time=now&endpoint-uri=HTTPS%3A%2F%2Fvpce.example",
    "kvs://cam?start-time=now&endpoint-uri=http%3A%2F%2F127.0.0.1%3A4566",
    "kvs://cam?start-time=now&endpoint-uri=http%3A%2F%2Flocalhost%3A4566",
    "kvs://cam?start-time=now&endpoint-uri=http%3A%2F%2F%5B%3A%3A1%5D%3A4566",
  };
  g_autofree gchar *endpoint = NULL;
  GError *err = NULL;
  guint i;

  g_unsetenv ("KVAMSRC_URI_ANY_ENDPOINT");
  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (e), refused[i], &err),
        "%s taken", refused[i]);
    fail_unless (err && err->domain == GST_URI_ERROR);
    fail_unless (strstr (err->message, i < 4 ? "take no" : "is refused"),
        "%s: %s", refused[i], err->message);
    fail_if (strstr (err->message, "PROXYPW"), "%s", err->message);
    g_clear_error (&err);
  }
  endpoint = get_string (e, "endpoint-uri");
  fail_unless (endpoint == NULL, "a refused URI set endpoint-uri %s", endpoint);
  for (i = 0; i < G_N_ELEMENTS (taken); i++) {
    fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (e), taken[i],
            &err), "%s: %s", taken[i], err ? err->message : "");
  }
  /* the user's environment may opt in */
  g_setenv ("KVAMSRC_URI_ANY_ENDPOINT", "1", TRUE);
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (e), refused[4],
          &err), "%s", err ? err->message : "");
  g_unsetenv ("KVAMSRC_URI_ANY_ENDPOINT");
  /* what a URI cannot say, a property still can */
  g_object_set (e, "ssl-strict", FALSE, "proxy", "http://127.0.0.1:3128", NULL);
}

GST_END_TEST;

/* playbin (what gst-play-1.0 runs) opens a kvs:// URI, knows its duration
 * and seeks it; the keys come from the environment. */
GST_START_TEST (test_playbin_opens_a_kvs_uri)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *escaped = g_uri_escape_string (url, NULL, FALSE);
  g_autofree gchar *launch = g_strdup_printf ("playbin uri=\"kvs://cam?"
      "start-time=" START "&end-time=1764000019.5&region=%s&"
      "fragment-selector-type=producer&endpoint-uri=%s\" "
      "video-sink=\"fakesink sync=false\" audio-sink=fakesink",
      KVS_EMULATOR_DEFAULT_REGION, escaped);
  g_autoptr (Player) p = NULL;
  GstElement *src = NULL;
  GError *err = NULL;
  gint64 duration = -1;

  g_setenv ("AWS_ACCESS_KEY_ID", KVS_EMULATOR_DEFAULT_ACCESS_KEY, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", KVS_EMULATOR_DEFAULT_SECRET_KEY, TRUE);
  p = player_new_launch (launch);
  set_state (p, GST_STATE_PAUSED);
  g_object_get (p->pipeline, "source", &src, NULL);
  fail_unless (src && g_str_equal (G_OBJECT_TYPE_NAME (src), "GstKvamSrc"));
  /* running: the URI stays */
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "kvs://other?"
          "start-time=now", &err));
  fail_unless (g_error_matches (err, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE));
  g_clear_error (&err);
  gst_object_unref (src);
  fail_unless (gst_element_query_duration (p->pipeline, GST_FORMAT_TIME,
          &duration));
  fail_unless_equals_int64 (duration, 20 * GST_SECOND);
  seek (p, GST_SEEK_FLAG_KEY_UNIT, 12300 * GST_MSECOND);
  fail_unless_equals_uint64 (first_pts (p), 12 * GST_SECOND);
  play_to_eos (p);
  assert_frames_from (p, 12 * GST_SECOND);
  g_unsetenv ("AWS_ACCESS_KEY_ID");
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
}

GST_END_TEST;

/* gst-discoverer-1.0, run as a user would, reports the range's duration. */
GST_START_TEST (test_discoverer_reports_duration)
{
  g_autofree gchar *discoverer = g_find_program_in_path ("gst-discoverer-1.0");
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *escaped = g_uri_escape_string (url, NULL, FALSE);
  g_autofree gchar *uri = NULL, *out = NULL, *err_out = NULL;
  g_auto (GStrv) env = NULL;
  gint status = -1;

#ifdef __SANITIZE_ADDRESS__
  /* the program is not built with AddressSanitizer, the plugin it would
   * load is: ASan refuses to run so; the plain build runs this test */
  g_print ("SKIP test_discoverer_reports_duration under AddressSanitizer: "
      "gst-discoverer-1.0 cannot load an ASan-built plugin\n");
  return;
#endif
  if (!discoverer) {
    g_print ("SKIP test_discoverer_reports_duration: gst-discoverer-1.0 "
        "absent (gstreamer1.0-plugins-base-apps)\n");
    return;
  }
  uri = g_strdup_printf ("kvs://cam?start-time=" START "&end-time="
      "1764000019.5&fragment-selector-type=producer&region=%s&"
      "endpoint-uri=%s", KVS_EMULATOR_DEFAULT_REGION, escaped);
  env = g_get_environ ();
  env = g_environ_setenv (env, "AWS_ACCESS_KEY_ID",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, TRUE);
  env = g_environ_setenv (env, "AWS_SECRET_ACCESS_KEY",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, TRUE);
  {
    const gchar *argv[] = { discoverer, uri, NULL };
    fail_unless (g_spawn_sync (NULL, (gchar **) argv, env, 0, NULL, NULL,
            &out, &err_out, &status, NULL));
  }
  fail_unless (strstr (out, "Duration: 0:00:20.000000000") != NULL, "%s%s",
      out, err_out);
  fail_unless (strstr (out, "Seekable: yes") != NULL, "%s", out);
}

GST_END_TEST;

/* "now", "-15m" and "+10s" count from when playback starts; a value that
 * is no time says what is wrong with it. */
GST_START_TEST (test_relative_times)
{
  static const struct
  {
    const gchar *text, *why;
  } bad[] = {
    {"-", NULL}, {"-5x", "unknown unit 'x'"}, {"--5m", NULL},
    {"-15", "a unit must follow 15"}, {"2026-13-01", "month 13 does not exist"},
    {"2026-02-30T00:00:00Z", "February 2026 has 28 days, not 30"},
    {"2028-02-30T00:00:00Z", "February 2028 has 29 days, not 30"},
    {"2026-11-24T24:00:00Z", "hour 24 does not exist"},
    {"2026-11-24T10:61:00Z", "minute 61 does not exist"},
    {"1764000000000", "milliseconds since the epoch: give seconds "
          "(1764000000.000)"},
    {"20000000000", "after 2262-01-01T00:00:00Z"},
    {"2300-01-01T00:00:00Z", "after 2262-01-01T00:00:00Z"},
    {"1969-12-31T23:59:59Z", "before 1970"},
    {"-100000d", "before 1970"}, {"yesterday", "not ISO 8601"},
    /* found by fuzz_time: a signed "year" reached GLib's date checks */
    {"-0-1-2-1224TT\264'", NULL}, {"0000-02-30", "not ISO 8601"},
    {" 2026-02-30", "not ISO 8601"},
  };
  GstClockTime now = 1764000000 * GST_SECOND, t;
  guint i;

  fail_unless (kvam_time_parse_relative ("now", now, &t, NULL));
  fail_unless_equals_uint64 (t, now);
  fail_unless (kvam_time_parse_relative ("-1h30m", now, &t, NULL));
  fail_unless_equals_uint64 (t, now - 5400 * GST_SECOND);
  fail_unless (kvam_time_parse_relative ("-2d", now, &t, NULL));
  fail_unless_equals_uint64 (t, now - 2 * 86400 * GST_SECOND);
  fail_unless (kvam_time_parse_relative ("-90s", now, &t, NULL));
  fail_unless_equals_uint64 (t, now - 90 * GST_SECOND);
  /* an end-time in the future (live-replay) */
  fail_unless (kvam_time_parse_relative ("+15m", now, &t, NULL));
  fail_unless_equals_uint64 (t, now + 900 * GST_SECOND);
  fail_unless (kvam_time_parse_relative ("2026-11-24T10:00:00Z", now, &t,
          NULL));
  fail_unless_equals_uint64 (t, 1795514400 * GST_SECOND);
  /* ISO 8601 also has lower case and a date alone (its midnight, UTC) */
  fail_unless (kvam_time_parse_relative ("2026-11-24t10:00:00.5z", now, &t,
          NULL));
  fail_unless_equals_uint64 (t, 1795514400 * GST_SECOND + GST_SECOND / 2);
  fail_unless (kvam_time_parse_relative ("2026-11-24", now, &t, NULL));
  fail_unless_equals_uint64 (t, 1795478400 * GST_SECOND);
  /* the same through the absolute parser (a critical before) */
  fail_if (kvam_time_parse ("-0-1-2-1224TT\264'", &t));
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree gchar *why = NULL;

    fail_if (kvam_time_parse_relative (bad[i].text, now, &t, &why),
        "%s parsed", bad[i].text);
    fail_unless (why != NULL, "%s: no reason", bad[i].text);
    fail_unless (bad[i].why == NULL || strstr (why, bad[i].why) != NULL,
        "%s: %s", bad[i].text, why);
  }
}

GST_END_TEST;

/* A stream that ends now, played from 10 s back to now. */
GST_START_TEST (test_relative_range_plays)
{
  const gchar *props[] = { "stream-name", "live", "start-time", "-10s",
    "end-time", "now", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  GError *err = NULL;
  KvsEmulator *recent = kvs_emulator_new ();
  guint n, i, head;
  const KvsFragment *f;
  gint64 before_ms, after_ms;

  /* no start time: 30 fragments of 1 s ending now */
  fail_unless (kvs_emulator_add_synthetic (recent, "live", 30, 1, 64, 48,
          &err));
  fail_unless (kvs_emulator_start (recent, "127.0.0.1", 0, NULL, NULL, &err));
  before_ms = g_get_real_time () / 1000;
  r = kvam_test_play (recent, "fakesink name=sink", FALSE, 30, props);
  after_ms = g_get_real_time () / 1000;
  f = kvs_emulator_get_fragments (recent, "live", &n);
  fail_unless (r->eos);
  fail_unless (r->fragments->len >= 1 && r->fragments->len < n, "%u",
      r->fragments->len);
  /* "now" is read as playback starts, between before_ms and after_ms (a
   * slow machine moves it, and with it how many of the stream's last
   * fragments are in the range): the first played is the one that holds
   * or follows now - 10 s, and every later one of the stream plays once,
   * in order, up to its end, which is before now */
  for (head = 0; head < n && g_strcmp0 (f[head].number,
          r->fragments->pdata[0]); head++);
  fail_unless (head < n, "first %s", (gchar *) r->fragments->pdata[0]);
  fail_unless (f[head].producer_ms + 1000 > before_ms - 10000 &&
      f[head].producer_ms < after_ms - 10000 + 1000, "first played starts %"
      G_GINT64_FORMAT " ms before playback started", before_ms -
      f[head].producer_ms);
  fail_unless_equals_int (r->fragments->len, n - head);
  for (i = 0; i < r->fragments->len; i++)
    fail_unless_equals_string (r->fragments->pdata[i], f[head + i].number);
  kvs_emulator_free (recent);
}

GST_END_TEST;

static Suite *
kvamsrcseek_suite (void)
{
  Suite *s = suite_create ("kvamsrcseek");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_duration_and_seeking_queries);
  tcase_add_test (tc, test_key_unit_seek);
  tcase_add_test (tc, test_accurate_seek);
  tcase_add_test (tc, test_backward_seek_while_playing);
  tcase_add_test (tc, test_rapid_seeks_end_at_the_last);
  tcase_add_test (tc, test_seek_during_a_stall);
  tcase_add_test (tc, test_seek_then_cut_and_in_band_error);
  tcase_add_test (tc, test_uri_round_trip);
  tcase_add_test (tc, test_uri_refuses_secrets);
  tcase_add_test (tc, test_uri_cannot_lower_trust);
  tcase_add_test (tc, test_playbin_opens_a_kvs_uri);
  tcase_add_test (tc, test_discoverer_reports_duration);
  tcase_add_test (tc, test_relative_times);
  tcase_add_test (tc, test_relative_range_plays);
  return s;
}

GST_CHECK_MAIN (kvamsrcseek);
