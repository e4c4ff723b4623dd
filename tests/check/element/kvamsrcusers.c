/* kvamsrc: what users run, against a service as the API allows it: short
 * ListFragments pages in no order (the suite's default), fragments stored
 * truncated but listed whole, sound that overlaps the next fragment, and
 * all of it at once for fixed seeds. Every frame's track, time and bytes
 * are compared with what the emulator served.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define AAC_FRAME_NS (1024 * GST_SECOND / 48000)

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
add_stream (guint count, KvsSyntheticFlags flags)
{
  GError *err = NULL;

  fail_unless (kvs_emulator_add_synthetic_full (emu, "cam", count, 2, 64, 48,
          flags, &err), "%s", err ? err->message : "");
}

static void
start_emulator (void)
{
  GError *err = NULL;

  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err),
      "%s", err ? err->message : "");
}

static gboolean
have_decoders (const gchar * test)
{
  GstElementFactory *aac = gst_element_factory_find ("avdec_aac");

  if (!aac) {
    g_print ("SKIP %s: avdec_aac (gstreamer1.0-libav) is not installed\n",
        test);
    return FALSE;
  }
  gst_object_unref (aac);
  return TRUE;
}

/* The warnings of @r that name fragment @number. */
static guint
warnings_naming (KvamPlayResult * r, const gchar * number)
{
  guint i, n = 0;

  for (i = 0; i < r->warnings->len; i++) {
    GError *err = NULL;
    gst_message_parse_warning (r->warnings->pdata[i], &err, NULL);
    n += strstr (err->message, number) != NULL;
    g_error_free (err);
  }
  return n;
}

/* The time of the first frame of @track in kvam_test_frames' list (ms). */
static gint64
first_time_of (GPtrArray * frames, guint track)
{
  guint i, t;
  gint64 ms;

  for (i = 0; i < frames->len; i++)
    if (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT, &t,
            &ms) == 2 && t == track)
      return ms;
  return -1;
}

/* 1000 fragments whose sound is longer than the fragment (each begins
 * with the last 64 ms of the one before) through matroskademux and the
 * decoders: every picture at its producer time, the repeated sound frames
 * dropped (and counted), and the decoded sound as long as its span: it
 * ends with the pictures, within 50 ms, after 2000 s. */
GST_START_TEST (test_overlapping_sound_over_a_long_range)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764002000", "fragment-selector-type", "producer", NULL
  };
  const guint n = 1000;
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  guint64 dropped = 0;
  GstClockTime sound, span;
  gint64 first_sound;

  if (!have_decoders ("test_overlapping_sound_over_a_long_range"))
    return;
  add_stream (n, KVS_SYNTHETIC_AUDIO | KVS_SYNTHETIC_AUDIO_OVERLAP);
  start_emulator ();
  kvs_emulator_set_rate_limit (emu, FALSE);
  r = kvam_test_play (emu, "matroskademux name=d d.video_0 ! queue ! "
      "h264parse ! avdec_h264 ! fakesink name=sink d.audio_0 ! queue ! "
      "aacparse ! avdec_aac ! fakesink name=asink", TRUE, 600, props);
  fail_unless (r->eos, "%s", r->error ? "error" : "no EOS");
  /* every frame of both tracks where the emulator put it, less the sound
   * that repeats */
  kvam_test_assert_timeline (r, emu, "cam", 0, n);
  fail_unless_equals_int (r->fragments->len, n);
  fail_unless (gst_structure_get_uint64 (r->stats, "frames-dropped", &dropped));
  fail_unless (dropped >= 3 * (n - 1), "%" G_GUINT64_FORMAT " dropped",
      dropped);
  /* decoded: the pictures end at 2000 s, the sound within 50 ms */
  fail_unless_equals_int (r->frames, n * 2 * 25);
  fail_unless_equals_uint64 (r->end, n * 2 * GST_SECOND);
  fail_unless (ABS (GST_CLOCK_DIFF (r->end, r->audio_end)) <= 50 *
      GST_MSECOND, "pictures end at %" GST_TIME_FORMAT ", sound at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (r->end), GST_TIME_ARGS (r->audio_end));
  /* and no sound twice: as many frames as its span holds */
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  first_sound = first_time_of (frames, 2);
  fail_unless (first_sound >= 0);
  sound = r->audio_frames * AAC_FRAME_NS;
  span = r->audio_end - first_sound * GST_MSECOND;
  fail_unless (ABS (GST_CLOCK_DIFF (sound, span)) <= 50 * GST_MSECOND,
      "%u sound frames (%" GST_TIME_FORMAT ") over %" GST_TIME_FORMAT,
      r->audio_frames, GST_TIME_ARGS (sound), GST_TIME_ARGS (span));
}

GST_END_TEST;

/* Fragment 7 of 20 stored truncated at 60 % (inside a frame), the next
 * document right after, still listed with its whole size: its frames
 * before the break once, every later fragment whole at its times, one
 * warning naming it, EOS. */
GST_START_TEST (test_truncated_fragment_listed_whole)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000040", "fragment-selector-type", "producer", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  const KvsFragment *f;
  guint n;

  add_stream (20, KVS_SYNTHETIC_AUDIO);
  kvs_emulator_truncate_fragment_at (emu, "cam", 7, 0.6, TRUE);
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  fail_unless (g_bytes_get_size (f[7].document) < f[7].size);
  start_emulator ();
  r = kvam_test_play (emu, "matroskademux ! fakesink name=sink", TRUE, 120,
      props);
  fail_unless (r->eos, "no EOS: %s", r->error ?
      gst_structure_to_string (gst_message_get_structure (r->error)) : "");
  kvam_test_assert_timeline (r, emu, "cam", 0, 20);
  fail_unless_equals_int (r->warnings->len, 1);
  fail_unless_equals_int (warnings_naming (r, f[7].number), 1);
  /* the others announced, the damaged one too (its first frames went out) */
  fail_unless_equals_int (r->fragments->len, 20);
}

GST_END_TEST;

/* One listing entry with a producer time of -1: skipped with one warning
 * naming it (and counted), and the rest of the range plays to EOS, each
 * fragment at its time. */
GST_START_TEST (test_unusable_entry_skipped)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000040", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  const KvsFragment *f;
  guint n, i, k, skipped = 0;

  add_stream (20, 0);
  fail_unless (kvs_emulator_list_unusable_time (emu, "cam", 5));
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  start_emulator ();
  r = kvam_test_play (emu, "matroskademux ! fakesink name=sink", FALSE, 120,
      props);
  fail_unless (r->eos, "no EOS: %s", r->error ?
      gst_structure_to_string (gst_message_get_structure (r->error)) : "");
  fail_unless_equals_int (r->warnings->len, 1);
  fail_unless_equals_int (warnings_naming (r, f[5].number), 1);
  fail_unless (gst_structure_get_uint (r->stats, "entries-skipped", &skipped));
  fail_unless_equals_int (skipped, 1);
  fail_unless_equals_int (r->fragments->len, n - 1);
  for (i = 0, k = 0; i < n; i++) {
    if (i == 5)
      continue;
    fail_unless_equals_string (r->fragments->pdata[k], f[i].number);
    /* the default selector is server time; output time is producer time
     * from the first */
    fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, k),
        (guint64) (f[i].producer_ms - f[0].producer_ms) * GST_MSECOND);
    k++;
  }
}

GST_END_TEST;

/* What one seed makes of the service: short pages (the suite's default),
 * cuts, a stall, throttling, a truncated fragment listed whole, sound that
 * overlaps itself. */
static void
randomize (guint32 seed, guint n, guint * damaged)
{
  GRand *rand = g_rand_new_with_seed (seed);
  const KvsFragment *f;
  guint64 total = 0;
  guint count, i;

  f = kvs_emulator_get_fragments (emu, "cam", &count);
  for (i = 0; i < count; i++)
    total += f[i].size;
  /* the first two responses cut anywhere, the third stalls */
  kvs_emulator_add_cut (emu, 1, g_rand_int_range (rand, 1000, total / 2));
  kvs_emulator_add_cut (emu, 2, g_rand_int_range (rand, 1000, total / 2));
  kvs_emulator_add_stall (emu, 3, g_rand_int_range (rand, 0, total / 3));
  kvs_emulator_set_throttle_every (emu, g_rand_int_range (rand, 4, 9));
  *damaged = g_rand_int_range (rand, 1, n - 1);
  kvs_emulator_truncate_fragment_at (emu, "cam", *damaged,
      g_rand_double_range (rand, 0.05, 0.95), TRUE);
  g_rand_free (rand);
}

static void
play_randomized (guint32 seed)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", "1764000240", "fragment-selector-type", "producer",
    "request-timeout", "1500", "retry-attempts", "8", NULL
  };
  const guint n = 120;
  g_autoptr (KvamPlayResult) r = NULL;
  const KvsFragment *f;
  guint damaged, count;

  add_stream (n, KVS_SYNTHETIC_AUDIO | KVS_SYNTHETIC_AUDIO_OVERLAP);
  randomize (seed, n, &damaged);
  f = kvs_emulator_get_fragments (emu, "cam", &count);
  start_emulator ();
  r = kvam_test_play (emu, "matroskademux name=d d.video_0 ! queue ! "
      "fakesink name=sink d.audio_0 ! queue ! fakesink name=asink", TRUE,
      300, props);
  fail_unless (r->eos, "seed %u: no EOS: %s", seed, r->error ?
      gst_structure_to_string (gst_message_get_structure (r->error)) : "");
  g_print ("seed %u: fragment %u damaged, %u cuts, %u throttles, %u list "
      "calls\n", seed, damaged, kvs_emulator_count_cuts (emu),
      kvs_emulator_count (emu, NULL, "ClientLimitExceededException"),
      kvs_emulator_count (emu, "ListFragments", "*"));
  kvam_test_assert_timeline (r, emu, "cam", 0, n);
  fail_unless (warnings_naming (r, f[damaged].number) == 1,
      "seed %u: %u warnings name fragment %u", seed,
      warnings_naming (r, f[damaged].number), damaged);
  fail_unless (kvs_emulator_count_cuts (emu) >= 2, "seed %u: %u cuts", seed,
      kvs_emulator_count_cuts (emu));
}

/* Fixed seeds, so a failure can be run again: the seed is in every
 * message. */
GST_START_TEST (test_randomized_service)
{
  static const guint32 seeds[] = { 1, 7, 2026 };

  play_randomized (seeds[__i__]);
}

GST_END_TEST;

static Suite *
kvamsrcusers_suite (void)
{
  Suite *s = suite_create ("kvamsrcusers");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 900);
  tcase_add_test (tc, test_truncated_fragment_listed_whole);
  tcase_add_test (tc, test_unusable_entry_skipped);
  tcase_add_loop_test (tc, test_randomized_service, 0, 3);
  tcase_add_test (tc, test_overlapping_sound_over_a_long_range);
  return s;
}

GST_CHECK_MAIN (kvamsrcusers);
