/* examples/kvam-export against kvs-emulator: MP4 and Matroska files with
 * every frame at its time, errors as exit status, and shards that stitch
 * back into exactly the whole range (docs/scale-out.md)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "kvamtestutil.h"
#include "kvsemulator.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define FRAGMENTS 20
#define FRAMES_PER_FRAGMENT 50  /* 2 s at 25 fps */

static KvsEmulator *emu;
static gchar *dir;

static void
setup (void)
{
  GError *err = NULL;

  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  g_setenv ("AWS_ACCESS_KEY_ID", KVS_EMULATOR_DEFAULT_ACCESS_KEY, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", KVS_EMULATOR_DEFAULT_SECRET_KEY, TRUE);
  g_setenv ("AWS_REGION", KVS_EMULATOR_DEFAULT_REGION, TRUE);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", FRAGMENTS, 2, 64, 48,
          &err));
  fail_unless (kvs_emulator_add_synthetic_full (emu, "av", 10, 2, 64, 48,
          KVS_SYNTHETIC_AUDIO, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
  dir = g_dir_make_tmp ("kvam-export-XXXXXX", NULL);
}

static void
teardown (void)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
  }
  g_rmdir (dir);
  g_free (dir);
  kvs_emulator_free (emu);
}

/* Runs kvam-export with @args (NULL-terminated, after the common ones);
 * returns its exit status, its stderr in *@err_out. */
static gint
run_export (const gchar * stream, const gchar * out, gchar ** err_out,
    const gchar * const *args)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *exe = g_build_filename (KVAM_TEST_BUILD_DIR, "examples",
      "kvam-export", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  gint status = -1;
  guint i;

  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, (gpointer) "--stream");
  g_ptr_array_add (argv, (gpointer) stream);
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) out);
  g_ptr_array_add (argv, (gpointer) "--endpoint-uri");
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, (gpointer) "--fragment-selector-type");
  g_ptr_array_add (argv, (gpointer) "producer");
  for (i = 0; args && args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, 0, NULL,
          NULL, NULL, err_out, &status, &error), "%s", error ? error->message :
      "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static gchar *
out_path (const gchar * name)
{
  return g_build_filename (dir, name, NULL);
}

static GPtrArray *
frames_of (const gchar * path)
{
  g_autofree gchar *data = NULL;
  gsize size;

  fail_unless (g_file_get_contents (path, &data, &size, NULL), "no %s", path);
  return kvam_test_frames ((const guint8 *) data, size);
}

static void
count_frame (GstElement * sink, GstBuffer * buf, GstPad * pad, guint * n)
{
  (*n)++;
}

/* Video frames and the last one's PTS, read back with qtdemux. */
static guint
mp4_video_frames (const gchar * path, GstClockTime * last)
{
  g_autofree gchar *launch = g_strdup_printf ("filesrc location=%s ! qtdemux "
      "name=d d.video_0 ! fakesink name=sink sync=false", path);
  GstElement *pipe = gst_parse_launch (launch, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstMessage *msg;
  guint frames = 0;
  GstBuffer *buf = NULL;

  g_object_set (sink, "enable-last-sample", TRUE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (count_frame), &frames);
  g_object_set (sink, "signal-handoffs", TRUE, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe), 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  {
    GstSample *s = NULL;
    g_object_get (sink, "last-sample", &s, NULL);
    buf = gst_sample_get_buffer (s);
    *last = GST_BUFFER_PTS (buf);
    gst_sample_unref (s);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return frames;
}

GST_START_TEST (test_export_mp4_and_mkv)
{
  g_autofree gchar *mp4 = out_path ("clip.mp4");
  g_autofree gchar *mkv = out_path ("clip.mkv");
  g_autofree gchar *err = NULL, *err2 = NULL;
  const gchar *range[] = { "--start", START, "--end", "1764000019", NULL };
  g_autoptr (GPtrArray) frames = NULL;
  GstClockTime last = 0;
  guint video = 0, audio = 0, i;

  /* 10 fragments of video and sound into MP4 */
  fail_unless_equals_int (run_export ("av", mp4, &err, range), 0);
  fail_unless (strstr (err, "100% of the range, 10 fragments") != NULL, "%s",
      err);
  fail_unless_equals_int (mp4_video_frames (mp4, &last),
      10 * FRAMES_PER_FRAGMENT);
  fail_unless_equals_uint64 (last, 20 * GST_SECOND - GST_SECOND / 25);

  /* the same into Matroska: both tracks, every video frame at k x 40 ms */
  fail_unless_equals_int (run_export ("av", mkv, &err2, range), 0);
  frames = frames_of (mkv);
  for (i = 0; i < frames->len; i++) {
    const gchar *f = frames->pdata[i];
    if (g_str_has_prefix (f, "track 1 at ")) {
      fail_unless_equals_int (g_ascii_strtoull (f + 11, NULL, 10), video * 40);
      video++;
    } else {
      audio++;
    }
  }
  fail_unless_equals_int (video, 10 * FRAMES_PER_FRAGMENT);
  fail_unless (audio > 10 * 90, "%u sound frames", audio);
}

GST_END_TEST;

/* big-endian, a byte at a time: the data has no alignment */
static guint64
read_be (const guint8 * p, guint n)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

/* The creation time (seconds since 1904) of every mvhd, tkhd and mdhd
 * under moov in @data[off, end), appended to @times. */
static void
mp4_creation_times (const guint8 * data, gsize off, gsize end, GArray * times)
{
  while (off + 8 <= end) {
    gsize size = read_be (data + off, 4);
    const gchar *type = (const gchar *) data + off + 4;
    guint64 t;

    fail_unless (size >= 8 && size <= end - off, "box size %" G_GSIZE_FORMAT,
        size);
    if (!strncmp (type, "moov", 4) || !strncmp (type, "trak", 4) ||
        !strncmp (type, "mdia", 4))
      mp4_creation_times (data, off + 8, off + size, times);
    if (!strncmp (type, "mvhd", 4) || !strncmp (type, "tkhd", 4) ||
        !strncmp (type, "mdhd", 4)) {
      t = data[off + 8] == 1 ? read_be (data + off + 12, 8) :
          read_be (data + off + 12, 4);
      g_array_append_val (times, t);
    }
    off += size;
  }
}

/* The first datetime tag reaching a sink behind matroskademux. */
static GstDateTime *
mkv_datetime (const gchar * path)
{
  g_autofree gchar *launch = g_strdup_printf ("filesrc location=%s ! "
      "matroskademux ! fakesink sync=false", path);
  GstElement *pipe = gst_parse_launch (launch, NULL);
  GstDateTime *dt = NULL;
  GstMessage *msg;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (!dt && (msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe),
              20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
              GST_MESSAGE_TAG))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_TAG) {
      GstTagList *tags = NULL;
      gst_message_parse_tag (msg, &tags);
      gst_tag_list_get_date_time (tags, GST_TAG_DATE_TIME, &dt);
      gst_tag_list_unref (tags);
    }
    gst_message_unref (msg);
    if (type != GST_MESSAGE_TAG)
      break;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  return dt;
}

/* An export says when it was recorded, not when it was made: the MP4's
 * creation times (movie and each track) and the Matroska DateUTC are the
 * range's first producer time. */
GST_START_TEST (test_export_carries_the_recording_date)
{
  g_autofree gchar *mp4 = out_path ("dated.mp4");
  g_autofree gchar *mkv = out_path ("dated.mkv");
  g_autofree gchar *err = NULL, *err2 = NULL, *data = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstDateTime *dt;
  GDateTime *gdt;
  /* from the 6th fragment on (2 s each from START): not the stream's start */
  const gchar *range[] = { "--start", "1764000010", "--end", "1764000019",
    NULL
  };
  const guint64 recorded = START_MS / 1000 + 10;
  gsize size;
  guint i;

  fail_unless_equals_int (run_export ("av", mp4, &err, range), 0);
  fail_unless (g_file_get_contents (mp4, &data, &size, NULL));
  mp4_creation_times ((const guint8 *) data, 0, size, times);
  /* the movie, and tkhd and mdhd of the video and the sound track */
  fail_unless_equals_int (times->len, 5);
  for (i = 0; i < times->len; i++)
    fail_unless_equals_uint64 (g_array_index (times, guint64, i) -
        G_GUINT64_CONSTANT (2082844800), recorded);

  fail_unless_equals_int (run_export ("av", mkv, &err2, range), 0);
  dt = mkv_datetime (mkv);
  fail_unless (dt != NULL, "no datetime tag in %s", mkv);
  gdt = gst_date_time_to_g_date_time (dt);
  fail_unless_equals_int64 (g_date_time_to_unix (gdt), recorded);
  g_date_time_unref (gdt);
  gst_date_time_unref (dt);
}

GST_END_TEST;

GST_START_TEST (test_export_errors)
{
  g_autofree gchar *mkv = out_path ("none.mkv");
  g_autofree gchar *err = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL;
  const gchar *range[] = { "--start", START, "--end", "1764000019", NULL };
  const gchar *bad_shard[] = { "--start", START, "--end", "1764000019",
    "--shard", "4/4", NULL
  };
  const gchar *backwards[] = { "--start", START, "--end", "1763999999",
    "--shard", "0/4", NULL
  };
  const gchar *no_date[] = { "--start", "2026-02-30", "--end", "1764000019",
    "--shard", "0/4", NULL
  };

  fail_unless_equals_int (run_export ("nope", mkv, &err, range), 1);
  fail_unless (strstr (err, "Stream 'nope' not found") != NULL, "%s", err);
  /* a failed export leaves nothing a script could take for a file */
  fail_if (g_file_test (mkv, G_FILE_TEST_EXISTS));
  {
    g_autofree gchar *part = g_strconcat (mkv, ".part", NULL);
    fail_if (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  fail_unless_equals_int (run_export ("cam", mkv, &err2, bad_shard), 2);
  fail_unless (strstr (err2, "--shard 4/4") != NULL, "%s", err2);
  /* a shard's range: what is wrong with it, named */
  fail_unless_equals_int (run_export ("cam", mkv, &err3, backwards), 2);
  fail_unless (strstr (err3, "--end 1763999999 is before --start") != NULL,
      "%s", err3);
  fail_unless_equals_int (run_export ("cam", mkv, &err4, no_date), 2);
  fail_unless (strstr (err4, "--start 2026-02-30: February 2026 has 28 days, "
          "not 30") != NULL, "%s", err4);
}

GST_END_TEST;

/* A shard in a recording gap: exit 0 with a note, no file (an Indexed Job
 * with restartPolicy: OnFailure would retry a failure for ever); the same
 * range not as a shard is an error. */
GST_START_TEST (test_empty_shard_is_no_failure)
{
  g_autofree gchar *mkv = out_path ("gap.mkv");
  g_autofree gchar *err = NULL, *err2 = NULL;
  const gchar *gap[] = { "--start", "1764000100", "--end", "1764000199",
    "--shard", "1/2", NULL
  };
  const gchar *whole[] = { "--start", "1764000100", "--end", "1764000199",
    NULL
  };

  fail_unless_equals_int (run_export ("cam", mkv, &err, gap), 0);
  fail_unless (strstr (err, "shard 1/2 holds no fragment "
          "(2025-11-24T16:02:29.500Z to 2025-11-24T16:03:19.000Z): no file "
          "written") != NULL, "%s", err);
  fail_if (g_file_test (mkv, G_FILE_TEST_EXISTS));
  fail_unless_equals_int (run_export ("cam", mkv, &err2, whole), 1);
  fail_unless (strstr (err2, "has no fragments between") != NULL, "%s", err2);
}

GST_END_TEST;

/* Usage errors say what is missing or wrong; --version answers. */
GST_START_TEST (test_usage_names_the_problem)
{
  g_autofree gchar *mov = out_path ("clip.mov");
  g_autofree gchar *upper = out_path ("CLIP.MP4");
  g_autofree gchar *err = NULL, *err2 = NULL, *err3 = NULL, *out = NULL;
  g_autofree gchar *exe = g_build_filename (KVAM_TEST_BUILD_DIR, "examples",
      "kvam-export", NULL);
  const gchar *range[] = { "--start", START, "--end", "1764000003", NULL };
  const gchar *argv[] = { exe, "--output", "x.mp4", "--start", START, NULL };
  const gchar *version[] = { exe, "--version", NULL };
  GstClockTime last = 0;
  gint status = -1;

  fail_unless_equals_int (run_export ("cam", mov, &err, range), 2);
  fail_unless (strstr (err, "clip.mov: the output must end in .mp4 or .mkv")
      != NULL, "%s", err);
  /* upper case is a name like another */
  fail_unless_equals_int (run_export ("cam", upper, &err2, range), 0);
  fail_unless (mp4_video_frames (upper, &last) > 0);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL,
          NULL, &err3, &status, NULL));
  fail_unless (strstr (err3, "missing --stream --end") != NULL, "%s", err3);
  fail_unless (g_spawn_sync (NULL, (gchar **) version, NULL, 0, NULL, NULL,
          &out, NULL, &status, NULL));
  fail_unless (g_str_has_prefix (out, "kvam-export (kvamsrc) " VERSION),
      "%s", out);
}

GST_END_TEST;

/* 4 shards, stitched with mkvmerge, hold exactly the frames and times of
 * one export of the whole range (both through mkvmerge, so that one muxer
 * wrote both). */
GST_START_TEST (test_shards_stitch_to_the_whole)
{
  g_autofree gchar *mkvmerge = g_find_program_in_path ("mkvmerge");
  g_autofree gchar *whole = out_path ("whole.mkv");
  g_autofree gchar *whole2 = out_path ("whole2.mkv");
  g_autofree gchar *stitched = out_path ("stitched.mkv");
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 2 * FRAGMENTS - 1);
  const gchar *range[] = { "--start", START, "--end", end, NULL };
  g_autoptr (GPtrArray) merge = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) want = NULL, got = NULL;
  g_autofree gchar *diff = NULL;
  guint i, total = 0;
  gint status;

  if (!mkvmerge) {
    g_print ("SKIP test_shards_stitch_to_the_whole: mkvmerge (mkvtoolnix) "
        "is not installed\n");
    return;
  }
  fail_unless_equals_int (run_export ("cam", whole, NULL, range), 0);
  g_ptr_array_add (merge, g_strdup (mkvmerge));
  g_ptr_array_add (merge, g_strdup ("-q"));
  g_ptr_array_add (merge, g_strdup ("-o"));
  g_ptr_array_add (merge, g_strdup (stitched));
  for (i = 0; i < 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("part%u.mkv", i);
    g_autofree gchar *shard = g_strdup_printf ("%u/4", i);
    gchar *part = out_path (name);
    const gchar *args[] = { "--start", START, "--end", end, "--shard", shard,
      NULL
    };
    g_autoptr (GPtrArray) frames = NULL;
    fail_unless_equals_int (run_export ("cam", part, NULL, args), 0);
    frames = frames_of (part);
    total += frames->len;
    if (i > 0)
      g_ptr_array_add (merge, g_strdup ("+"));
    g_ptr_array_add (merge, part);
  }
  g_ptr_array_add (merge, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) merge->pdata, NULL, 0, NULL,
          NULL, NULL, NULL, &status, NULL));
  {
    const gchar *again[] = { mkvmerge, "-q", "-o", whole2, whole, NULL };
    fail_unless (g_spawn_sync (NULL, (gchar **) again, NULL, 0, NULL, NULL,
            NULL, NULL, &status, NULL));
  }
  want = frames_of (whole2);
  got = frames_of (stitched);
  fail_unless_equals_int (want->len, FRAGMENTS * FRAMES_PER_FRAGMENT);
  /* every fragment in exactly one shard */
  fail_unless_equals_int (total, want->len);
  diff = kvam_test_frames_diff (got, want);
  fail_unless (diff == NULL, "%s", diff);
}

GST_END_TEST;

/* Ctrl-C (SIGINT) or SIGTERM mid-export: a playable file of what was
 * exported so far, and an exit status a script can tell from a whole
 * export (130, 143). The emulator is slowed so the export is still
 * running. */
static void
interrupt_export (gint signum)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *exe = g_build_filename (KVAM_TEST_BUILD_DIR, "examples",
      "kvam-export", NULL);
  g_autofree gchar *mp4 = out_path ("cut.mp4");
  g_autofree gchar *part = g_strconcat (mp4, ".part", NULL);
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 2 * FRAGMENTS - 1);
  const gchar *argv[] = { exe, "--stream", "cam", "--start", START, "--end",
    end, "--fragment-selector-type", "producer", "--endpoint-uri", url, "-o",
    mp4, NULL
  };
  GPid pid;
  gint status;
  guint frames;
  GstClockTime last = 0;

  /* ~20 KB/s: the 20 fragments take many seconds */
  kvs_emulator_set_bandwidth (emu, 20000);
  fail_unless (g_spawn_async (NULL, (gchar **) argv, NULL,
          G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL));
  g_usleep (3 * G_USEC_PER_SEC);
  kill (pid, signum);
  fail_unless (waitpid (pid, &status, 0) == pid);
  g_spawn_close_pid (pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 128 + signum,
      "status %d", status);
  fail_if (g_file_test (part, G_FILE_TEST_EXISTS), "%s left", part);
  frames = mp4_video_frames (mp4, &last);
  g_print ("interrupted export: %u frames, the last at %" GST_TIME_FORMAT
      "\n", frames, GST_TIME_ARGS (last));
  fail_unless (frames > 0 && frames < FRAGMENTS * FRAMES_PER_FRAGMENT);
  fail_unless_equals_uint64 (last, (frames - 1) * GST_SECOND / 25);
}

GST_START_TEST (test_interrupt_finishes_the_file)
{
  interrupt_export (SIGINT);
}

GST_END_TEST;

GST_START_TEST (test_sigterm_finishes_the_file)
{
  interrupt_export (SIGTERM);
}

GST_END_TEST;

static Suite *
kvamexport_suite (void)
{
  Suite *s = suite_create ("kvamexport");
  TCase *tc = tcase_create ("export");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_export_mp4_and_mkv);
  tcase_add_test (tc, test_export_carries_the_recording_date);
  tcase_add_test (tc, test_export_errors);
  tcase_add_test (tc, test_shards_stitch_to_the_whole);
  tcase_add_test (tc, test_interrupt_finishes_the_file);
  tcase_add_test (tc, test_sigterm_finishes_the_file);
  tcase_add_test (tc, test_empty_shard_is_no_failure);
  tcase_add_test (tc, test_usage_names_the_problem);
  return s;
}

GST_CHECK_MAIN (kvamexport);
