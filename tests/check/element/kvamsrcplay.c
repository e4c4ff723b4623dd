/* kvamsrc: playing archived ranges from kvs-emulator
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"
#include "kvamfragmentindex.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define DECODE "matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink"

static KvsEmulator *emu;

static void
setup (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
}

static void
teardown (void)
{
  kvs_emulator_free (emu);
}

static void
start_emulator (void)
{
  GError *err = NULL;

  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err),
      "%s", err ? err->message : "");
}

static void
add_synthetic (const gchar * name, guint count, guint seconds, guint w, guint h)
{
  GError *err = NULL;

  fail_unless (kvs_emulator_add_synthetic (emu, name, count, seconds, w, h,
          &err), "%s", err ? err->message : "");
}

/* Fragment numbers of @name in listing order (the order of play). */
static GPtrArray *
expected_numbers (const gchar * name, gint64 from_ms, gint64 to_ms,
    gboolean by_server)
{
  GPtrArray *out = g_ptr_array_new ();
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, name, &n);

  for (i = 0; i < n; i++) {
    gint64 t = by_server ? f[i].server_ms : f[i].producer_ms;
    if (t >= from_ms && t <= to_ms)
      g_ptr_array_add (out, (gpointer) f[i].number);
  }
  return out;
}

/* ---- ranges -------------------------------------------------------------- */

GST_START_TEST (test_long_range_every_fragment_once_in_order)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764002600", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) want = NULL;
  guint i, media_calls, list_calls;

  add_synthetic ("cam", 2500, 1, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", TRUE, 120, props);
  fail_unless (r->eos && !r->error, "did not reach EOS");

  want = expected_numbers ("cam", START_MS, START_MS + 2600000, FALSE);
  fail_unless_equals_int (want->len, 2500);
  /* every frame at its time in the output stream; the element messages */
  kvam_test_assert_timeline (r, emu, "cam", 0, 2500);
  fail_unless_equals_int (r->fragments->len, 2500);
  for (i = 0; i < want->len; i++)
    fail_unless_equals_string (r->fragments->pdata[i], want->pdata[i]);
  /* several pages and several batches, and the limit never tripped */
  list_calls = kvs_emulator_count (emu, "ListFragments", NULL);
  media_calls = kvs_emulator_count (emu, "GetMediaForFragmentList", NULL);
  fail_unless (list_calls >= 3, "%u ListFragments calls", list_calls);
  fail_unless (media_calls >= 3, "%u media calls", media_calls);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
  GST_INFO ("2500 fragments: %u ListFragments, %u media calls", list_calls,
      media_calls);
}

GST_END_TEST;

/* The first media call's data endpoint is looked up while the range is
 * listed (once the lister found its own), not after: with 200 ms per
 * request that lookup ends with ListFragments, not 200 ms later, a round
 * trip less before the first byte. */
GST_START_TEST (test_media_endpoint_found_while_listing)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000019", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) log = NULL;
  gdouble listed = 0, found = 0, media = 0;
  guint i, endpoints = 0;

  add_synthetic ("cam", 10, 2, 64, 48);
  kvs_emulator_set_latency (emu, 200);
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 60, props);
  fail_unless (r->eos && !r->error, "did not reach EOS");
  /* the times requests were answered */
  log = kvs_emulator_get_log (emu);
  for (i = 0; i < log->len; i++) {
    const KvsLogEntry *e = log->pdata[i];
    if (g_str_equal (e->operation, "GetDataEndpoint") && ++endpoints == 2)
      found = e->time;
    else if (g_str_equal (e->operation, "ListFragments") && listed == 0)
      listed = e->time;
    else if (g_str_equal (e->operation, "GetMediaForFragmentList") &&
        media == 0)
      media = e->time;
  }
  fail_unless_equals_int (endpoints, 2);
  fail_unless (listed > 0 && found > 0 && media > MAX (listed, found));
  GST_INFO ("media endpoint found %.3f s after the listing", found - listed);
  fail_unless (ABS (found - listed) < 0.15, "the media endpoint was found "
      "%.3f s after the listing", found - listed);
}

GST_END_TEST;

GST_START_TEST (test_selector_server_vs_producer)
{
  /* fragment 10 starts at +20 s (producer) and is stamped ~1.2 s later by
   * the service: a range ending at +20.5 s holds it only by producer time */
  const gchar *server[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000020.5", NULL
  };
  const gchar *producer[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000020.5", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) a = NULL, b = NULL;

  add_synthetic ("cam", 15, 2, 64, 48);
  start_emulator ();
  a = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, server);
  b = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, producer);
  fail_unless (a->eos && b->eos);
  fail_unless_equals_int (a->fragments->len, 10);
  fail_unless_equals_int (b->fragments->len, 11);
}

GST_END_TEST;

/* ---- what downstream sees ------------------------------------------------ */

/* Every track's frame times only grow (no B-frames in the synthetic
 * video); returns how many tracks there were. */
static guint
assert_tracks_monotonic (GPtrArray * frames)
{
  g_autoptr (GHashTable) last = g_hash_table_new (g_direct_hash,
      g_direct_equal);
  guint i;

  for (i = 0; i < frames->len; i++) {
    guint track;
    gint64 t;
    gpointer prev;
    fail_unless (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT,
            &track, &t) == 2);
    if (g_hash_table_lookup_extended (last, GUINT_TO_POINTER (track), NULL,
            &prev))
      fail_unless (t > (gint64) GPOINTER_TO_SIZE (prev), "frame %u: %s after %"
          G_GSIZE_FORMAT, i, (gchar *) frames->pdata[i],
          GPOINTER_TO_SIZE (prev));
    g_hash_table_insert (last, GUINT_TO_POINTER (track), GSIZE_TO_POINTER (t));
  }
  return g_hash_table_size (last);
}

/* The last sound frame of each fragment starts up to 21 ms after the next
 * fragment's listed start, as producers write them. Each fragment must
 * still start exactly at its listed time: nothing accumulates. */
GST_START_TEST (test_audio_does_not_drift)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  GError *err = NULL;
  const guint n = 100;
  guint k;

  fail_unless (kvs_emulator_add_synthetic_full (emu, "cam", n, 2, 64, 48,
          KVS_SYNTHETIC_AUDIO, &err), "%s", err ? err->message : "");
  start_emulator ();
  kvs_emulator_set_rate_limit (emu, FALSE);
  r = kvam_test_play (emu, "matroskademux name=d d.video_0 ! queue ! "
      "h264parse ! avdec_h264 ! fakesink name=sink d.audio_0 ! queue ! "
      "aacparse ! avdec_aac ! fakesink name=asink", TRUE, 120, props);
  fail_unless (r->eos, "%s", r->error ? "error" : "no EOS");
  fail_unless_equals_int (r->fragments->len, n);
  for (k = 0; k < n; k++)
    fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, k),
        k * 2 * GST_SECOND);
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  fail_unless_equals_int (assert_tracks_monotonic (frames), 2);
  fail_unless_equals_int (r->frames, n * 2 * 25);
  fail_unless (r->audio_frames > n * 90, "%u sound frames", r->audio_frames);
  /* decoded: the pictures end at 200 s, the sound within a frame of them */
  fail_unless_equals_uint64 (r->end, n * 2 * GST_SECOND);
  fail_unless (ABS (GST_CLOCK_DIFF (r->end, r->audio_end)) <= 40 * GST_MSECOND,
      "pictures end at %" GST_TIME_FORMAT ", sound at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (r->end), GST_TIME_ARGS (r->audio_end));
}

GST_END_TEST;

typedef struct
{
  guint samples;
  guint mid_response;           /* samples with 0 < delivered < total */
  guint last;
  gboolean went_back;
} Progress;

static void
watch_progress (GstElement * src, gpointer data)
{
  Progress *p = data;
  GstStructure *s = NULL;
  guint delivered = 0;

  g_object_get (src, "stats", &s, NULL);
  gst_structure_get_uint (s, "fragments-delivered", &delivered);
  p->samples++;
  p->went_back |= delivered < p->last;
  p->last = delivered;
  if (delivered > 0 && delivered < 6)
    p->mid_response++;
  gst_structure_free (s);
}

/* stats can drive a progress bar: fragments count as they play, not when
 * the (single) media response ends; the producer time is unset before the
 * first fragment. */
GST_START_TEST (test_stats_follow_playback)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GstElement) fresh = gst_element_factory_make ("kvamsrc", NULL);
  GstStructure *s = NULL;
  Progress p = { 0 };
  guint count;
  guint64 producer = 0;
  const KvsFragment *f;

  g_object_get (fresh, "stats", &s, NULL);
  fail_if (gst_structure_has_field (s, "current-producer-time"));
  gst_structure_free (s);

  add_synthetic ("cam", 6, 1, 64, 48);
  start_emulator ();
  r = kvam_test_play_full (emu, "matroskademux ! h264parse ! avdec_h264 ! "
      "fakesink name=sink sync=true", FALSE, 30, props, watch_progress, &p);
  fail_unless (r->eos);
  fail_unless_equals_int (kvs_emulator_count (emu, "GetMediaForFragmentList",
          "*"), 1);
  /* 6 s of real-time play sampled every 100 ms */
  fail_unless (p.mid_response >= 20, "%u of %u samples mid-response",
      p.mid_response, p.samples);
  fail_if (p.went_back);
  fail_unless (gst_structure_get_uint64 (r->stats, "current-producer-time",
          &producer));
  f = kvs_emulator_get_fragments (emu, "cam", &count);
  fail_unless_equals_uint64 (producer, f[5].producer_ms * GST_MSECOND);
}

GST_END_TEST;

/* Until seeking is built, a seek sent to the element is refused rather
 * than "done" with nothing happening. */
GST_START_TEST (test_seek_refused)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autofree gchar *url = NULL;

  add_synthetic ("cam", 20, 1, 64, 48);
  start_emulator ();
  url = kvs_emulator_get_url (emu);
  pipeline = gst_parse_launch ("kvamsrc name=src ! fakesink sync=true", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "stream-name", "cam", "start-time",
      START, NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  fail_if (gst_element_send_event (src, gst_event_new_seek (1.0,
              GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 1000,
              GST_SEEK_TYPE_NONE, -1)));
  fail_if (gst_element_seek_simple (pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 2 * GST_SECOND));
  /* and playing goes on without an error */
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

GST_END_TEST;

GST_START_TEST (test_captures_decode_as_one_segment)
{
  static const gchar *captures[] = { "output_get_media.mkv",
    "output_get_media_sparse_fragments.mkv",
    "kinesis_video_renderer_example_output.mkv",
    "output-get-media-non-increasing-timecode.mkv",
    "output-get-media-equal-timecode.mkv", "test_mixed_tags.mkv",
  };
  const gchar *props[] = { "stream-name", NULL, "start-time", "0",
    "end-time", "2000000000", NULL
  };
  guint i, others;
  gchar *first_other;

  for (i = 0; i < G_N_ELEMENTS (captures); i++) {
    g_autofree gchar *rel = g_build_filename ("kvs-captures", captures[i],
        NULL);
    g_autofree gchar *path = kvam_test_fixture_path (rel);
    GError *err = NULL;
    fail_unless (kvs_emulator_add_capture (emu, captures[i], path, &err));
  }
  start_emulator ();
  kvs_emulator_set_rate_limit (emu, FALSE);

  for (i = 0; i < G_N_ELEMENTS (captures); i++) {
    g_autoptr (KvamPlayResult) r = NULL;
    guint n;

    kvs_emulator_get_fragments (emu, captures[i], &n);
    props[1] = captures[i];
    /* test_mixed_tags.mkv holds 100-byte stand-ins for MJPEG frames: it is
     * checked at the demuxer's output; the others are decoded */
    r = kvam_test_play (emu, strstr (captures[i], "mixed") ?
        "matroskademux ! fakesink name=sink" :
        "matroskademux ! decodebin ! fakesink name=sink", FALSE, 60, props);
    fail_unless (r->eos, "%s: no EOS (%s)", captures[i], r->error ?
        gst_structure_to_string (gst_message_get_structure (r->error)) : "");
    fail_unless (r->frames > 0, "%s: no frames", captures[i]);
    fail_unless_equals_int (r->segments, 1);
    fail_unless (r->monotonic, "%s: timestamps went back", captures[i]);
    fail_unless_equals_int (r->fragments->len, n);
    /* two captures end inside their last cluster (it declares 4121 and
     * 4660 bytes more than the file holds): that fragment is given up on,
     * with a warning, after the frames that did arrive */
    /* (the responses cut there are retried first, with warnings of
     * their own) */
    others = kvam_test_other_warnings (r, &first_other);
    fail_unless (others == (strstr (captures[i], "-timecode") ? 1 : 0),
        "%s: %u warnings, first: %s", captures[i], others, first_other);
    g_free (first_other);
    GST_INFO ("%s: %u fragments, %u frames", captures[i], n, r->frames);
  }
}

GST_END_TEST;

GST_START_TEST (test_empty_capture_is_not_an_error)
{
  g_autofree gchar *path = kvam_test_fixture_path
      ("kvs-captures/empty-mkv-with-tags.mkv");
  const gchar *props[] = { "stream-name", "empty", "start-time", "0",
    "end-time", "2000000000", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  GError *err = NULL;

  fail_unless (kvs_emulator_add_capture (emu, "empty", path, &err));
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", TRUE, 30, props);
  /* one fragment with no frames: the stream ends, nothing is retried */
  fail_unless (r->eos && !r->error);
  fail_unless_equals_int (kvs_emulator_count (emu, "GetMediaForFragmentList",
          NULL), 1);
}

GST_END_TEST;

GST_START_TEST (test_sync_playback_in_real_time)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000019", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;

  add_synthetic ("cam", 10, 2, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "matroskademux ! h264parse ! avdec_h264 ! "
      "fakesink name=sink sync=true", FALSE, 60, props);
  fail_unless (r->eos && !r->error);
  fail_unless_equals_int (r->frames, 10 * 2 * 25);
  fail_unless_equals_int (r->segments, 1);
  /* 20 s of media play in 20 s (+-1.5 s) */
  fail_unless (r->seconds > 18.5 && r->seconds < 21.5, "played in %.2f s",
      r->seconds);
}

GST_END_TEST;

GST_START_TEST (test_resolution_change_decodes_both_sizes)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  gboolean small = FALSE, large = FALSE;
  guint i;

  add_synthetic ("cam", 3, 1, 160, 120);
  add_synthetic ("cam", 3, 1, 320, 240);
  start_emulator ();
  r = kvam_test_play (emu, DECODE, FALSE, 60, props);
  fail_unless (r->eos && !r->error);
  fail_unless_equals_int (r->frames, 6 * 25);
  fail_unless_equals_int (r->segments, 1);
  for (i = 0; i < r->widths->len; i++) {
    small |= g_str_equal (r->widths->pdata[i], "160x120");
    large |= g_str_equal (r->widths->pdata[i], "320x240");
  }
  fail_unless (small && large, "decoded sizes do not include both");
}

GST_END_TEST;

GST_START_TEST (test_timestamps_rebased_with_gaps)
{
  g_autofree gchar *path = kvam_test_fixture_path
      ("kvs-captures/output_get_media_sparse_fragments.mkv");
  const gchar *props[] = { "stream-name", "sparse", "start-time", "0",
    "end-time", "2000000000", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  const KvsFragment *f;
  guint n, i;
  GError *err = NULL;

  fail_unless (kvs_emulator_add_capture (emu, "sparse", path, &err));
  start_emulator ();
  f = kvs_emulator_get_fragments (emu, "sparse", &n);
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  fail_unless (r->eos);
  fail_unless_equals_int (r->fragment_times->len, n);
  /* the first starts at 0; the others where their listed times put them,
   * gaps included */
  fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, 0), 0);
  for (i = 1; i < n; i++)
    fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, i),
        (f[i].producer_ms - f[0].producer_ms) * GST_MSECOND);
}

GST_END_TEST;

/* blocksize=0 or a huge one (basesrc allows both) still plays */
GST_START_TEST (test_absurd_blocksizes)
{
  const gchar *zero[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "blocksize", "0", NULL
  };
  const gchar *huge[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "blocksize", "4294967295", NULL
  };
  g_autoptr (KvamPlayResult) a = NULL, b = NULL;

  add_synthetic ("cam", 3, 1, 64, 48);
  start_emulator ();
  kvs_emulator_set_rate_limit (emu, FALSE);
  a = kvam_test_play (emu, DECODE, FALSE, 30, zero);
  b = kvam_test_play (emu, DECODE, FALSE, 30, huge);
  fail_unless (a->eos && b->eos);
  fail_unless_equals_int (a->frames, 3 * 25);
  fail_unless_equals_int (b->frames, 3 * 25);
}

GST_END_TEST;

GST_START_TEST (test_keep_timecodes)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "keep-timecodes", "true", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;

  add_synthetic ("cam", 2, 1, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  fail_unless (r->eos);
  /* the emulator writes absolute epoch milliseconds, as kvssink does */
  fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, 0),
      START_MS * GST_MSECOND);
}

GST_END_TEST;

GST_START_TEST (test_output_is_a_valid_file)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("kvam-mkv-XXXXXX", NULL);
  g_autofree gchar *file = g_build_filename (dir, "out.mkv", NULL);
  g_autofree gchar *cmd = NULL, *out = NULL;
  g_autofree gchar *mkvmerge = g_find_program_in_path ("mkvmerge");
  gint status = -1;

  add_synthetic ("cam", 4, 1, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", TRUE, 30, props);
  fail_unless (r->eos);
  fail_unless (g_file_set_contents (file, (gchar *) r->raw->data,
          r->raw->len, NULL));
  if (!mkvmerge) {
    g_print ("SKIP mkvmerge check: mkvtoolnix is not installed\n");
  } else {
    cmd = g_strdup_printf ("mkvmerge -J %s", file);
    fail_unless (g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL));
    /* exit 0: no warnings, no errors */
    fail_unless (status == 0, "mkvmerge: %s", out);
    fail_unless (strstr (out, "\"codec\": \"AVC/H.264/MPEG-4p10\"") != NULL,
        "%s", out);
  }
  g_unlink (file);
  g_rmdir (dir);
}

GST_END_TEST;

/* The stream's date is the recording's: the first fragment's producer
 * time as DateUTC, which matroskademux posts as GST_TAG_DATE_TIME (the
 * fragments' own DateUTC is when they were muxed). */
GST_START_TEST (test_date_is_the_first_fragment)
{
  g_autofree gchar *from = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 10);
  g_autofree gchar *to = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 19);
  const gchar *props[] = { "stream-name", "cam", "start-time", from,
    "end-time", to, "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GDateTime) dt = NULL;
  const KvsFragment *f;
  guint n, i;

  add_synthetic ("cam", 20, 2, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "matroskademux ! fakesink name=sink", FALSE, 30,
      props);
  fail_unless (r->eos);
  fail_unless (r->datetime != NULL, "no date-time tag");
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  for (i = 0; i < n && f[i].producer_ms < START_MS + 10000; i++);
  fail_unless (i < n);
  fail_unless_equals_string (r->fragments->pdata[0], f[i].number);
  dt = gst_date_time_to_g_date_time (r->datetime);
  fail_unless_equals_int64 (g_date_time_to_unix (dt), f[i].producer_ms / 1000);
}

GST_END_TEST;

/* ---- errors -------------------------------------------------------------- */

GST_START_TEST (test_unknown_stream)
{
  const gchar *props[] = { "stream-name", "nope", "start-time", START, NULL };
  g_autoptr (KvamPlayResult) r = NULL;
  const GstStructure *details = NULL;

  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "'nope'");
  {
    GError *e = NULL;
    g_autofree gchar *url = kvs_emulator_get_url (emu);
    g_autofree gchar *where = g_strdup_printf ("not found in region %s "
        "(endpoint %s)", KVS_EMULATOR_DEFAULT_REGION, url);

    /* the usual cause, another region or endpoint, named */
    gst_message_parse_error (r->error, &e, NULL);
    fail_unless (strstr (e->message, where) != NULL, "%s", e->message);
    g_error_free (e);
  }
  gst_message_parse_error_details (r->error, &details);
  fail_unless_equals_string (gst_structure_get_string (details,
          "aws-error-type"), "ResourceNotFoundException");
  fail_unless_equals_string (gst_structure_get_string (details, "stream"),
      "nope");
  fail_unless (gst_structure_get_string (details, "request-id") != NULL);
  {
    guint status = 0;
    gst_structure_get_uint (details, "http-status", &status);
    fail_unless_equals_int (status, 404);
  }
}

GST_END_TEST;

static void
assert_auth_error (const gchar * key, const gchar * secret,
    const gchar * token, const gchar * needle)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "access-key", key, "secret-access-key", secret,
    token ? "session-token" : NULL, token, NULL
  };
  g_autoptr (KvamPlayResult) r = kvam_test_play (emu, "fakesink name=sink",
      FALSE, 30, props);

  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, needle);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "'cam'");
}

GST_START_TEST (test_bad_credentials_say_which)
{
  add_synthetic ("cam", 2, 1, 64, 48);
  start_emulator ();
  kvs_emulator_add_credentials (emu, KVS_EMULATOR_DEFAULT_ACCESS_KEY,
      KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL);
  kvs_emulator_add_credentials (emu, "ASIAEXPIRED", "s", "tok");
  kvs_emulator_expire_credentials (emu, "ASIAEXPIRED");

  assert_auth_error (KVS_EMULATOR_DEFAULT_ACCESS_KEY, "wrong", NULL,
      "signature does not match");
  assert_auth_error ("AKIDUNKNOWN", "whatever", NULL, "not known");
  assert_auth_error ("ASIAEXPIRED", "s", "tok", "expired");
}

GST_END_TEST;

GST_START_TEST (test_no_fragments_in_range)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", "1700000000",
    "end-time", "1700000100", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;

  add_synthetic ("cam", 2, 1, 64, 48);
  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "no fragments between 2023-11-14T22:13:20.000Z");
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "'cam'");
}

GST_END_TEST;

GST_START_TEST (test_invalid_range)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1763000000", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;

  start_emulator ();
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "'end-time' 1763000000 is before 'start-time'");
}

GST_END_TEST;

/* ---- blocking calls give way --------------------------------------------- */

GST_START_TEST (test_stop_mid_response_is_prompt)
{
  g_autofree gchar *url = NULL;
  GstElement *pipe = gst_parse_launch ("kvamsrc name=src ! fakesink", NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gint64 t0;

  add_synthetic ("cam", 5, 1, 64, 48);
  start_emulator ();
  /* the first media response stops after 3000 bytes and never ends */
  kvs_emulator_add_stall (emu, 1, 3000);
  url = kvs_emulator_get_url (emu);
  g_object_set (src, "stream-name", "cam", "start-time", START,
      "endpoint-uri", url, "region", KVS_EMULATOR_DEFAULT_REGION,
      "access-key", KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "request-timeout", 60000, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* wait until the stalled response is being read */
  t0 = g_get_monotonic_time ();
  while (kvs_emulator_count (emu, "GetMediaForFragmentList", "*") == 0 &&
      g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC)
    g_usleep (10000);
  g_usleep (300000);

  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_NULL);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC,
      "stopping took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
  gst_object_unref (src);
  gst_object_unref (pipe);
}

GST_END_TEST;

static Suite *
kvamsrcplay_suite (void)
{
  Suite *s = suite_create ("kvamsrcplay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_long_range_every_fragment_once_in_order);
  tcase_add_test (tc, test_media_endpoint_found_while_listing);
  tcase_add_test (tc, test_selector_server_vs_producer);
  if (kvam_test_fixtures_available ("kvs-captures")) {
    tcase_add_test (tc, test_captures_decode_as_one_segment);
    tcase_add_test (tc, test_empty_capture_is_not_an_error);
    tcase_add_test (tc, test_timestamps_rebased_with_gaps);
  }
  tcase_add_test (tc, test_sync_playback_in_real_time);
  tcase_add_test (tc, test_resolution_change_decodes_both_sizes);
  tcase_add_test (tc, test_keep_timecodes);
  tcase_add_test (tc, test_absurd_blocksizes);
  tcase_add_test (tc, test_audio_does_not_drift);
  tcase_add_test (tc, test_stats_follow_playback);
  tcase_add_test (tc, test_seek_refused);
  tcase_add_test (tc, test_output_is_a_valid_file);
  tcase_add_test (tc, test_date_is_the_first_fragment);
  tcase_add_test (tc, test_unknown_stream);
  tcase_add_test (tc, test_bad_credentials_say_which);
  tcase_add_test (tc, test_no_fragments_in_range);
  tcase_add_test (tc, test_invalid_range);
  tcase_add_test (tc, test_stop_mid_response_is_prompt);
  return s;
}

GST_CHECK_MAIN (kvamsrcplay);
