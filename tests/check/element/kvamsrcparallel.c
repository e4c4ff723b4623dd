/* kvamsrc: exports read ahead on several connections give what one gives
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The emulator caps each media response (as AWS caps each at 25 MB/s), so
 * an export waits on the network and kvamsrc reads the next batches ahead.
 * Whatever the number of responses at once, the output must hold the same
 * frames (track, time, bytes, order) and the same kvam-fragment messages.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define FRAGMENTS 300
/* 300 fragments of ~30 KB: ~9 s through one response at 1 MB/s */
#define BANDWIDTH 1000000

static KvsEmulator *emu;

static void
setup (void)
{
  GError *err = NULL;

  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", FRAGMENTS, 2, 320,
          240, &err));
  kvs_emulator_set_bandwidth (emu, BANDWIDTH);
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
}

static void
teardown (void)
{
  kvs_emulator_free (emu);
}

static KvamPlayResult *
export (const gchar * concurrency)
{
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 2 * FRAGMENTS - 1);
  /* 2 MiB ahead: batches of 512 KiB, about 17 fragments: 18 calls, well
   * within the 5 calls/s pacing */
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "end-time", end, "fragment-selector-type", "producer",
    "max-bytes-ahead", "2097152", "max-concurrent-requests", concurrency,
    NULL
  };
  KvamPlayResult *r = kvam_test_play (emu, "fakesink name=sink sync=false",
      TRUE, 120, props);

  fail_unless (r->eos, "no EOS");
  fail_unless (r->error == NULL);
  return r;
}


/* Same frames, same messages; never more than 5 connections, never a
 * throttle. */
static void
assert_same_export (KvamPlayResult * one, KvamPlayResult * many)
{
  g_autoptr (GPtrArray) want = kvam_test_frames (one->raw->data, one->raw->len);
  g_autoptr (GPtrArray) got = kvam_test_frames (many->raw->data,
      many->raw->len);
  g_autofree gchar *diff = kvam_test_frames_diff (got, want);
  guint i;

  fail_unless (want->len > FRAGMENTS * 10);
  fail_unless (diff == NULL, "%s", diff);
  fail_unless_equals_int (many->fragments->len, FRAGMENTS);
  fail_unless_equals_int (many->fragments->len, one->fragments->len);
  for (i = 0; i < one->fragments->len; i++) {
    fail_unless_equals_string (many->fragments->pdata[i],
        one->fragments->pdata[i]);
    fail_unless_equals_uint64 (g_array_index (many->fragment_times, guint64,
            i), g_array_index (one->fragment_times, guint64, i));
  }
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
  fail_unless (kvs_emulator_get_peak_media_connections (emu, "cam") <= 5);
}

GST_START_TEST (test_parallel_export_is_the_same)
{
  g_autoptr (KvamPlayResult) one = export ("1");
  g_autoptr (KvamPlayResult) many = NULL;
  guint peak, requests, connections = kvs_emulator_get_connections (emu);

  fail_unless_equals_int (kvs_emulator_get_peak_media_connections (emu,
          "cam"), 1);
  /* ~20 POSTs, on kept-alive connections: libsoup opens a new one per POST
   * unless the message says it is idempotent; at most the lister's and the
   * streaming thread's requests overlap */
  g_print ("one response at a time: %u media calls, %u requests in all, on "
      "%u connections\n", kvs_emulator_get_media_calls (emu),
      kvs_emulator_count (emu, NULL, "*"), connections);
  fail_unless (kvs_emulator_get_media_calls (emu) >= 10);
  fail_unless (connections <= 3, "%u connections", connections);
  many = export ("4");
  assert_same_export (one, many);
  peak = kvs_emulator_get_peak_media_connections (emu, "cam");
  gst_structure_get_uint (many->stats, "requests-get-media-for-fragment-list",
      &requests);
  g_print ("one response at a time: %.2f s; up to 4: %.2f s, %u at once at "
      "the peak, %u requests\n", one->seconds, many->seconds, peak, requests);
  fail_unless (peak >= 3, "only %u responses at once", peak);
  /* faster: the point of it (loose: the machine is shared) */
  fail_unless (many->seconds < one->seconds * 0.8);
}

GST_END_TEST;

/* Cuts in two responses read ahead: each resumed, the output unchanged. */
GST_START_TEST (test_parallel_export_with_cuts)
{
  g_autoptr (KvamPlayResult) one = export ("1");
  g_autoptr (KvamPlayResult) many = NULL;
  guint before = kvs_emulator_get_media_calls (emu);

  kvs_emulator_clear_log (emu);
  /* by then 3-4 responses are open at once: these are read-ahead ones */
  kvs_emulator_add_cut (emu, before + 9, 200000);
  kvs_emulator_add_cut (emu, before + 12, 30000);
  many = export ("4");
  fail_unless_equals_int (kvs_emulator_count_cuts (emu), 2);
  assert_same_export (one, many);
}

GST_END_TEST;

/* The emulator's --gather-chunks, which the benchmark's (c) measures
 * kvamsrc against: one write a chunk, one connection a response. The
 * export is the same as through libsoup's server. */
GST_START_TEST (test_gathered_export_is_the_same)
{
  g_autoptr (KvamPlayResult) one = export ("1");
  g_autoptr (KvamPlayResult) gathered = NULL;
  guint calls = kvs_emulator_get_media_calls (emu);
  guint connections = kvs_emulator_get_connections (emu);

  kvs_emulator_set_bandwidth (emu, 0);  /* gathered: uncapped ones only */
  kvs_emulator_set_gather_chunks (emu, TRUE);
  gathered = export ("4");
  assert_same_export (one, gathered);
  calls = kvs_emulator_get_media_calls (emu) - calls;
  connections = kvs_emulator_get_connections (emu) - connections;
  /* each gathered response closed its connection */
  fail_unless (calls >= 10);
  fail_unless (connections >= calls, "%u connections for %u media calls",
      connections, calls);
}

GST_END_TEST;

typedef struct
{
  KvamPlayResult *r;
} Job;

static gpointer
export_thread (gpointer data)
{
  ((Job *) data)->r = export ("4");
  return NULL;
}

/* Two exports of one stream in one process share its 5 connections. */
GST_START_TEST (test_two_exports_share_the_connections)
{
  Job a = { NULL }, b = { NULL };
  GThread *ta = g_thread_new ("a", export_thread, &a);
  GThread *tb = g_thread_new ("b", export_thread, &b);
  g_autoptr (GPtrArray) fa = NULL;
  g_autoptr (GPtrArray) fb = NULL;
  g_autofree gchar *diff = NULL;

  g_thread_join (ta);
  g_thread_join (tb);
  fa = kvam_test_frames (a.r->raw->data, a.r->raw->len);
  fb = kvam_test_frames (b.r->raw->data, b.r->raw->len);
  diff = kvam_test_frames_diff (fa, fb);
  fail_unless (diff == NULL, "%s", diff);
  g_print ("two exports: peak %u responses at once\n",
      kvs_emulator_get_peak_media_connections (emu, "cam"));
  fail_unless (kvs_emulator_get_peak_media_connections (emu, "cam") <= 5);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
  kvam_play_result_free (a.r);
  kvam_play_result_free (b.r);
}

GST_END_TEST;

/* ---- seeking and stopping with responses in flight ----------------------- */

static guint
in_flight (GstElement * src)
{
  g_autoptr (GstStructure) st = NULL;
  guint n = 0;

  g_object_get (src, "stats", &st, NULL);
  gst_structure_get_uint (st, "responses-in-flight", &n);
  return n;
}

/* Waits up to 60 s (a loaded machine, AddressSanitizer) for @n responses
 * at once. */
static void
wait_for_in_flight (GstElement * src, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (in_flight (src) < n && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  fail_unless (in_flight (src) >= n, "never %u responses at once", n);
}

/* The first buffer after the seek's flush: one the streaming thread was
 * pushing as the seek began must not count. */
typedef struct
{
  gint flushed;                 /* atomic: FLUSH_STOP went by */
  GstClockTime first;
} FirstPts;

static GstPadProbeReturn
first_pts_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  FirstPts *f = data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_FLUSH) {
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) ==
        GST_EVENT_FLUSH_STOP)
      g_atomic_int_set (&f->flushed, 1);
  } else if (g_atomic_int_get (&f->flushed) &&
      !GST_CLOCK_TIME_IS_VALID (f->first)) {
    f->first = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  }
  return GST_PAD_PROBE_OK;
}

static void
wait_for_pts (FirstPts * f)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!GST_CLOCK_TIME_IS_VALID (*(volatile GstClockTime *) &f->first) &&
      g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
}

/* A seek while responses are read ahead drops them and plays from the
 * target; NULL then closes every connection within 1 s. */
GST_START_TEST (test_seek_and_stop_with_responses_in_flight)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 2 * FRAGMENTS - 1);
  g_autoptr (GstElement) pipe = gst_parse_launch ("kvamsrc name=src ! "
      "matroskademux ! fakesink name=sink sync=false", NULL);
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_autoptr (GstPad) pad = gst_element_get_static_pad (sink, "sink");
  FirstPts after_seek = { 0, GST_CLOCK_TIME_NONE };
  gint64 t0, stop_us, closed_us;

  g_object_set (src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "stream-name", "cam", "start-time",
      START, "end-time", end, "max-bytes-ahead", (guint64) 2097152,
      "max-concurrent-requests", 4, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "fragment-selector-type",
      "producer");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* 2, not more: under AddressSanitizer downstream is slower, and the
   * session aims for fewer */
  wait_for_in_flight (src, 2);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_FLUSH, first_pts_probe, &after_seek, NULL);
  fail_unless (gst_element_seek_simple (pipe, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT, 401 * GST_SECOND));
  wait_for_pts (&after_seek);
  /* fragments are 2 s, each starting on a key frame */
  fail_unless_equals_uint64 (after_seek.first, 400 * GST_SECOND);
  /* and it reads again from there (how many at once the session aims for
   * depends on how busy the machine is: a state, not a timing, is checked) */
  wait_for_in_flight (src, 1);

  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_NULL);
  stop_us = g_get_monotonic_time () - t0;
  while (kvs_emulator_get_open_media_connections (emu, "cam") > 0 &&
      g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC)
    g_usleep (10 * 1000);
  closed_us = g_get_monotonic_time () - t0;
  g_print ("NULL with responses in flight: %.3f s; the emulator saw every "
      "connection closed after %.3f s\n", stop_us / 1e6, closed_us / 1e6);
  fail_unless (stop_us < G_USEC_PER_SEC);
  fail_unless (closed_us < G_USEC_PER_SEC);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
}

GST_END_TEST;

/* ---- the byte budget ------------------------------------------------------ */

/* 3000 fragments of 2 s, ~30 KB each: more than one batch of 1000 */
#define MANY 3000

/* Exports the MANY fragments of @emu's "many" through @budget bytes ahead
 * and 4 responses at once: every fragment, then EOS, however the budget is
 * shared (the head response must always be able to read). */
static void
export_through_budget (KvsEmulator * e, const gchar * budget, guint count)
{
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      START_MS / 1000 + 2 * count - 1);
  const gchar *props[] = { "stream-name", "many", "start-time", START,
    "end-time", end, "fragment-selector-type", "producer",
    "max-bytes-ahead", budget, "max-concurrent-requests", "4", NULL
  };
  g_autoptr (KvamPlayResult) r = kvam_test_play (e,
      "matroskademux ! fakesink name=sink sync=false", FALSE, 120, props);
  guint64 ahead = 0;

  gst_structure_get_uint64 (r->stats, "bytes-ahead", &ahead);
  g_print ("max-bytes-ahead=%s: %u of %u fragments in %.2f s, %u media calls,"
      " peak %u at once, %" G_GUINT64_FORMAT " bytes ahead at the end\n",
      budget, r->fragments->len, count, r->seconds,
      kvs_emulator_get_media_calls (e),
      kvs_emulator_get_peak_media_connections (e, "many"), ahead);
  fail_unless (r->error == NULL);
  fail_unless (r->eos, "stalled after %u of %u fragments", r->fragments->len,
      count);
  fail_unless_equals_int (r->fragments->len, count);
}

static KvsEmulator *
budget_emulator (void)
{
  KvsEmulator *e = kvs_emulator_new ();
  GError *err = NULL;

  kvs_emulator_set_stream_start (e, START_MS);
  fail_unless (kvs_emulator_add_synthetic (e, "many", MANY, 2, 320, 240, &err));
  /* the listing is not what this is about: whole pages, listed at once */
  kvs_emulator_set_short_pages (e, 0);
  fail_unless (kvs_emulator_start (e, "127.0.0.1", 0, NULL, NULL, &err));
  return e;
}

/* Responses faster than the budget: read-ahead ones fill it while the
 * session reads the head one, which must still find room. */
GST_START_TEST (test_small_budget_completes)
{
  g_autoptr (KvsEmulator) e = budget_emulator ();

  /* AWS's 25 MB/s a response: batches timed at a second of it are larger
   * than the budget. The smallest budget takes many small batches at 5
   * calls/s: a shorter range */
  kvs_emulator_set_bandwidth (e, 25000000);
  export_through_budget (e, "16777216", MANY);
  export_through_budget (e, "262144", 150);
}

GST_END_TEST;

/* A listing that gives every fragment a FragmentSizeInBytes of 1: batches
 * planned by it take 1000 fragments, far over the budget. */
GST_START_TEST (test_lying_sizes_complete)
{
  g_autoptr (KvsEmulator) e = budget_emulator ();

  kvs_emulator_set_bandwidth (e, 4000000);
  kvs_emulator_set_listed_size (e, 1);
  export_through_budget (e, "100663296", MANY);
  export_through_budget (e, "1048576", 600);
}

GST_END_TEST;

static Suite *
kvamsrcparallel_suite (void)
{
  Suite *s = suite_create ("kvamsrcparallel");
  TCase *tc = tcase_create ("parallel");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_parallel_export_is_the_same);
  tcase_add_test (tc, test_small_budget_completes);
  tcase_add_test (tc, test_lying_sizes_complete);
  tcase_add_test (tc, test_seek_and_stop_with_responses_in_flight);
  tcase_add_test (tc, test_parallel_export_with_cuts);
  tcase_add_test (tc, test_two_exports_share_the_connections);
  tcase_add_test (tc, test_gathered_export_is_the_same);
  return s;
}

GST_CHECK_MAIN (kvamsrcparallel);
