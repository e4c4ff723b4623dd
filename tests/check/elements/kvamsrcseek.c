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

/* kvamsrc over the emulator's 20 fragments of 1 s, decoded. */
static Player *
player_new (gboolean sync)
{
  Player *p = g_new0 (Player, 1);
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc name=src ! "
      "matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink sync=%s",
      sync ? "true" : "false");
  GstElement *src, *sink;
  GstPad *pad;

  g_mutex_init (&p->lock);
  p->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  p->fragments = g_ptr_array_new_with_free_func (g_free);
  p->pipeline = gst_parse_launch (launch, NULL);
  src = gst_bin_get_by_name (GST_BIN (p->pipeline), "src");
  g_object_set (src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "stream-name", "cam", "start-time",
      START, "end-time", "1764000019.5", "request-timeout", 2000, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "fragment-selector-type",
      "producer");
  sink = gst_bin_get_by_name (GST_BIN (p->pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) sink_probe, p, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
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
  guint i;

  set_state (p, GST_STATE_PAUSED);
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
  fail_unless_equals_int (kvs_emulator_count (emu, "ListFragments", "*"), 1);
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
  return s;
}

GST_CHECK_MAIN (kvamsrcseek);
