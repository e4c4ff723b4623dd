/* kvamsrc: live and live-replay over a stream kvs-emulator grows
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The emulator lists a fragment only once its server time has passed, so
 * these tests run in real time: seconds each, not minutes. Each checks
 * which fragments came, in which order, at which output times, and how
 * long after they became listable.
 */
#include <gst/check/gstcheck.h>
#include <gst/base/gstbasesrc.h>
#include <string.h>

#include "kvsemulator.h"
#include "kvamtestplay.h"

#define FRAGMENT_MS 2000

static KvsEmulator *emu;

typedef struct
{
  gchar *number;
  guint64 producer;
  guint64 timestamp;            /* output time of its first frame */
  gint64 wall_ms;               /* when it was posted */
} Delivered;

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GMutex lock;
  GArray *delivered;            /* Delivered */
  GArray *pts;                  /* at the sink */
  guint qos;
  gint64 quiet_ms, resumed_ms;  /* when posted, 0: not */
  GstClockTime quiet_for;       /* from the resumed message */
  GstMessage *error;
  GPtrArray *warnings;
  GPtrArray *late;              /* fragment-number of kvam-fragment-late */
  gboolean eos;
} Live;

static void
delivered_clear (Delivered * d)
{
  g_free (d->number);
}

/* Runs in the posting thread: the time a message is posted is the time a
 * fragment was delivered. */
static GstBusSyncReply
on_message (GstBus * bus, GstMessage * msg, Live * l)
{
  const GstStructure *s = gst_message_get_structure (msg);
  gint64 now = g_get_real_time () / 1000;

  g_mutex_lock (&l->lock);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (s, "kvam-fragment")) {
    Delivered d = { 0 };
    d.number = g_strdup (gst_structure_get_string (s, "fragment-number"));
    gst_structure_get_uint64 (s, "producer-timestamp", &d.producer);
    gst_structure_get_uint64 (s, "timestamp", &d.timestamp);
    d.wall_ms = now;
    g_array_append_val (l->delivered, d);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (s, "kvam-stream-quiet")) {
    if (!l->quiet_ms)
      l->quiet_ms = now;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (s, "kvam-stream-resumed")) {
    if (!l->resumed_ms)
      l->resumed_ms = now;
    gst_structure_get_uint64 (s, "quiet-for", &l->quiet_for);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      gst_structure_has_name (s, "kvam-fragment-late")) {
    g_ptr_array_add (l->late, g_strdup (gst_structure_get_string (s,
                "fragment-number")));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_QOS) {
    l->qos++;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && !l->error) {
    l->error = gst_message_ref (msg);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_ptr_array_add (l->warnings, gst_message_ref (msg));
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    l->eos = TRUE;
  }
  g_mutex_unlock (&l->lock);
  return GST_BUS_PASS;
}

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, Live * l)
{
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_mutex_lock (&l->lock);
  g_array_append_val (l->pts, pts);
  g_mutex_unlock (&l->lock);
  return GST_PAD_PROBE_OK;
}

static Live *
live_new (const gchar * tail, const gchar * const *props)
{
  Live *l = g_new0 (Live, 1);
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc name=src ! %s", tail);
  GstElement *sink;
  GstPad *pad;
  GstBus *bus;
  guint i;

  g_mutex_init (&l->lock);
  l->delivered = g_array_new (FALSE, TRUE, sizeof (Delivered));
  g_array_set_clear_func (l->delivered, (GDestroyNotify) delivered_clear);
  l->pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  l->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  l->late = g_ptr_array_new_with_free_func (g_free);
  l->pipeline = gst_parse_launch (launch, NULL);
  fail_unless (l->pipeline != NULL);
  l->src = gst_bin_get_by_name (GST_BIN (l->pipeline), "src");
  g_object_set (l->src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "stream-name", "cam", NULL);
  for (i = 0; props && props[i]; i += 2)
    gst_util_set_object_arg (G_OBJECT (l->src), props[i], props[i + 1]);
  sink = gst_bin_get_by_name (GST_BIN (l->pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) sink_probe, l, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);
  bus = gst_element_get_bus (l->pipeline);
  gst_bus_set_sync_handler (bus, (GstBusSyncHandler) on_message, l, NULL);
  gst_object_unref (bus);
  return l;
}

/* Plays for @seconds (or to an error or EOS), leaving it playing. */
static void
live_run_until (Live * l, gdouble seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  gboolean done = FALSE;

  gst_element_set_state (l->pipeline, GST_STATE_PLAYING);
  while (!done && g_get_monotonic_time () < deadline) {
    g_usleep (20 * 1000);
    g_mutex_lock (&l->lock);
    done = l->error != NULL || l->eos;
    g_mutex_unlock (&l->lock);
  }
}

/* Goes to NULL; returns how long that took, in ms. */
static gint64
live_stop (Live * l)
{
  gint64 t = g_get_monotonic_time ();

  gst_element_set_state (l->pipeline, GST_STATE_NULL);
  return (g_get_monotonic_time () - t) / 1000;
}

/* Plays for @seconds (or to an error or EOS); returns how long NULL took,
 * in ms. */
static gint64
live_run (Live * l, gdouble seconds)
{
  live_run_until (l, seconds);
  return live_stop (l);
}

static void
live_free (Live * l)
{
  GstBus *bus = gst_element_get_bus (l->pipeline);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (l->src);
  gst_object_unref (l->pipeline);
  g_array_unref (l->delivered);
  g_array_unref (l->pts);
  g_ptr_array_unref (l->warnings);
  g_ptr_array_unref (l->late);
  g_clear_pointer (&l->error, gst_message_unref);
  g_mutex_clear (&l->lock);
  g_free (l);
}

static void
assert_no_error (Live * l)
{
  GError *err = NULL;

  if (l->error) {
    gst_message_parse_error (l->error, &err, NULL);
    fail ("error: %s", err->message);
  }
}

/* Index of @number among the emulator's fragments of "cam", or -1. */
static gint
fragment_index (const gchar * number)
{
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &n);

  for (i = 0; i < n; i++)
    if (g_str_equal (f[i].number, number))
      return i;
  return -1;
}

/* How many fragments of "cam" were listable at @wall_ms. */
static guint
listable_at (gint64 wall_ms)
{
  guint n, i, count = 0;

  kvs_emulator_get_fragments (emu, "cam", &n);
  for (i = 0; i < n; i++)
    if (kvs_emulator_listable_time (emu, "cam", i) <= wall_ms)
      count++;
  return count;
}

/* Every fragment from @first on, once, in order; the output time of each
 * is its producer time less the first's. */
static void
assert_in_order (Live * l, guint from)
{
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &n);
  const Delivered *d = (const Delivered *) l->delivered->data;

  fail_unless (l->delivered->len > 0, "nothing delivered");
  for (i = 0; i < l->delivered->len; i++) {
    fail_unless (from + i < n);
    fail_unless_equals_string (d[i].number, f[from + i].number);
    fail_unless_equals_uint64 (d[i].producer,
        (guint64) f[from + i].producer_ms * GST_MSECOND);
    fail_unless_equals_uint64 (d[i].timestamp,
        (guint64) (f[from + i].producer_ms - f[from].producer_ms) *
        GST_MSECOND);
  }
}


static gint
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
setup (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  emu = kvs_emulator_new ();
  kvs_emulator_set_live (emu, TRUE);
}

static void
teardown (void)
{
  kvs_emulator_free (emu);
}

static void
start_emulator (gint64 stream_start_ms, guint fragments)
{
  GError *err = NULL;

  kvs_emulator_set_stream_start (emu, stream_start_ms);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", fragments,
          FRAGMENT_MS / 1000, 64, 48, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* live-replay from 20 s back over a growing stream with late-listed
 * fragments, for 30 s: the catch-up, then every new fragment once, in
 * order, within the lag target. */
GST_START_TEST (test_live_replay_follows)
{
  gint64 start_ms = now_ms () / 1000 * 1000 - 20000, began, ended;
  g_autofree gchar *start = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000);
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    start, NULL
  };
  g_autoptr (GArray) lags = g_array_new (FALSE, FALSE, sizeof (gint64));
  Live *l;
  guint i, late = 0;
  gint64 worst;

  /* every 4th fragment shows up a second after its successor would */
  kvs_emulator_set_late_listing (emu, 4, 1000);
  /* and the 6th media response (a followed fragment) is cut in its
   * middle: resumed, every frame once, at its time */
  kvs_emulator_add_cut (emu, 6, 12000);
  start_emulator (start_ms, 40);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  began = now_ms ();
  live_run (l, 30);
  ended = now_ms ();
  assert_no_error (l);
  fail_if (l->eos, "live-replay without an end-time ended");
  /* the cut response is resumed with a warning saying so; nothing else */
  for (i = 0; i < l->warnings->len; i++)
    fail_unless (kvam_test_is_retry_warning (l->warnings->pdata[i]),
        "an unexpected warning");
  assert_in_order (l, 0);
  fail_unless_equals_int (kvs_emulator_count_cuts (emu), 1);
  /* all that were listable 3 s before the end came */
  fail_unless (l->delivered->len >= listable_at (ended - 3000),
      "%u delivered, %u listable 3 s before the end", l->delivered->len,
      listable_at (ended - 3000));

  for (i = 0; i < l->delivered->len; i++) {
    const Delivered *d = &g_array_index (l->delivered, Delivered, i);
    gint idx = fragment_index (d->number);
    gint64 listable = kvs_emulator_listable_time (emu, "cam", idx);
    gint64 lag = d->wall_ms - listable;

    /* the catch-up's fragments were listable before playback began */
    if (listable < began + 1000)
      continue;
    g_array_append_val (lags, lag);
    if (idx % 4 == 3)
      late++;
  }
  fail_unless (lags->len >= 10, "only %u fragments followed", lags->len);
  fail_unless (late >= 2, "only %u late-listed fragments followed", late);
  g_array_sort (lags, compare_int64);
  worst = g_array_index (lags, gint64, lags->len - 1);
  g_print ("live-replay: %u fragments (%u followed, %u listed late); lag "
      "from listable to delivered: median %" G_GINT64_FORMAT " ms, max %"
      G_GINT64_FORMAT " ms\n", l->delivered->len, lags->len, late,
      g_array_index (lags, gint64, lags->len / 2), worst);
  fail_unless (g_array_index (lags, gint64, lags->len / 2) <= 1500);
  fail_unless (worst <= 3000);
  /* the sink's frames: monotonic, up to the last fragment's */
  for (i = 1; i < l->pts->len; i++)
    fail_unless (g_array_index (l->pts, GstClockTime, i) >=
        g_array_index (l->pts, GstClockTime, i - 1));
  fail_unless (g_array_index (l->pts, GstClockTime, l->pts->len - 1) >=
      g_array_index (l->delivered, Delivered, l->delivered->len - 1).timestamp);
  live_free (l);
}

GST_END_TEST;

/* live: starts within one fragment of the newest, answers LATENCY as a
 * live source, and stops within 1 s while waiting for the next fragment. */
GST_START_TEST (test_live_starts_at_newest)
{
  const gchar *props[] = { "playback-mode", "live", NULL };
  gint64 began;
  guint newest;
  gint first;
  GstQuery *q;
  gboolean live;
  GstClockTime min, max;
  Live *l;
  gint64 stop_ms;

  start_emulator (now_ms () / 1000 * 1000 - 21000, 30);
  /* a synced sink: one that does not sync answers LATENCY as not live */
  l = live_new ("matroskademux ! fakesink name=sink sync=true", props);
  began = now_ms ();
  newest = listable_at (began) - 1;
  gst_element_set_state (l->pipeline, GST_STATE_PLAYING);
  fail_unless (gst_element_get_state (l->pipeline, NULL, NULL,
          5 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS);
  q = gst_query_new_latency ();
  fail_unless (gst_element_query (l->pipeline, q));
  gst_query_parse_latency (q, &live, &min, &max);
  gst_query_unref (q);
  fail_unless (live, "LATENCY says not live");
  fail_unless (min >= FRAGMENT_MS * GST_MSECOND, "latency %" GST_TIME_FORMAT,
      GST_TIME_ARGS (min));
  g_usleep (3 * G_USEC_PER_SEC);
  /* now waiting for the next fragment (listed every 2 s) */
  stop_ms = live_run (l, 0);
  assert_no_error (l);
  fail_unless (l->delivered->len >= 1);
  first = fragment_index (g_array_index (l->delivered, Delivered, 0).number);
  g_print ("live: newest listable at start %u, first played %d; NULL took %"
      G_GINT64_FORMAT " ms\n", newest, first, stop_ms);
  fail_unless (first >= (gint) newest && first <= (gint) newest + 1);
  assert_in_order (l, first);
  fail_unless (stop_ms < 1000, "NULL took %" G_GINT64_FORMAT " ms", stop_ms);
  live_free (l);
}

GST_END_TEST;

/* live with a stream being ingested: the newest fragment plays at once,
 * with 20 ms added to every request, and no quiet message while
 * fragments exist (the look-back's were dropped as before the start, and
 * the first fragment waited for was one fragment length away). */
GST_START_TEST (test_live_plays_newest_at_once)
{
  const gchar *props[] = { "playback-mode", "live", NULL };
  gint64 playing;
  gint first;
  Live *l;
  const Delivered *d;

  kvs_emulator_set_latency (emu, 20);
  start_emulator (now_ms () / 1000 * 1000 - 59000, 60);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  playing = now_ms ();
  live_run (l, 2.5);
  assert_no_error (l);
  fail_unless (l->delivered->len >= 1, "nothing in 2.5 s");
  d = &g_array_index (l->delivered, Delivered, 0);
  first = fragment_index (d->number);
  g_print ("live: first fragment %d (newest listable at PLAYING %u) after %"
      G_GINT64_FORMAT " ms\n", first, listable_at (playing) - 1,
      d->wall_ms - playing);
  /* the newest complete one when it was listed */
  fail_unless (first >= (gint) listable_at (playing) - 1 &&
      first <= (gint) listable_at (d->wall_ms) - 1, "played %d", first);
  fail_unless (d->wall_ms - playing < 1000, "first buffer after %"
      G_GINT64_FORMAT " ms", d->wall_ms - playing);
  fail_unless (l->quiet_ms == 0, "kvam-stream-quiet with fragments there");
  live_free (l);
}

GST_END_TEST;

/* Fragments listed 7 s late (every 4th), so far past the straggler wait
 * that even slow polls (the ASan build) cannot find one in its turn: each
 * is found by the trailing re-list and reported (kvam-fragment-late,
 * stats), never silently lost; every other fragment plays once, in order. */
GST_START_TEST (test_live_late_fragments_reported)
{
  gint64 start_ms = now_ms () / 1000 * 1000 - 6000, ended;
  g_autofree gchar *start = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000);
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    start, NULL
  };
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GstStructure *stats = NULL;
  guint i, late_stat = 0, n, accounted = 0;
  const KvsFragment *f;
  Live *l;

  kvs_emulator_set_late_listing (emu, 4, 7000);
  start_emulator (start_ms, 40);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  live_run_until (l, 28);
  ended = now_ms ();
  g_object_get (l->src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  gst_structure_get_uint (stats, "fragments-late", &late_stat);
  gst_structure_free (stats);
  live_stop (l);
  assert_no_error (l);
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  for (i = 0; i < l->delivered->len; i++)
    fail_unless (g_hash_table_add (seen, g_array_index (l->delivered,
                Delivered, i).number), "delivered twice");
  for (i = 0; i < l->late->len; i++) {
    gint idx = fragment_index (l->late->pdata[i]);
    fail_unless (idx >= 0 && idx % 4 == 3, "%s (%d) reported late",
        (gchar *) l->late->pdata[i], idx);
    fail_unless (g_hash_table_add (seen, l->late->pdata[i]),
        "late and delivered");
  }
  /* everything that was listable well before the end: played or reported */
  for (i = 0; i < n; i++)
    if (kvs_emulator_listable_time (emu, "cam", i) < ended - 3000) {
      fail_unless (g_hash_table_contains (seen, f[i].number),
          "fragment %u lost silently", i);
      accounted++;
    }
  g_print ("live-replay, every 4th fragment listed 7 s late: %u delivered, "
      "%u reported late (stats %u) of %u listable\n", l->delivered->len,
      l->late->len, late_stat, accounted);
  fail_unless (l->late->len >= 2, "%u late", l->late->len);
  fail_unless_equals_int (late_stat, l->late->len);
  fail_unless (l->warnings->len >= l->late->len);
  live_free (l);
}

GST_END_TEST;

/* One fragment whose producer time lies 30 minutes ahead (a producer's
 * clock jump), followed by producer time: it is reported and skipped, and
 * following goes on with the fragments after it, at their times. */
GST_START_TEST (test_live_producer_clock_jump)
{
  gint64 start_ms = now_ms () / 1000 * 1000 - 6000;
  g_autofree gchar *start = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000);
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    start, "fragment-selector-type", "producer", NULL
  };
  GstStructure *stats = NULL;
  guint i, skipped = 0;
  gboolean warned = FALSE;
  const KvsFragment *f;
  Live *l;

  start_emulator (start_ms, 30);
  fail_unless (kvs_emulator_jump_producer_clock (emu, "cam", 6,
          30 * 60 * 1000));
  f = kvs_emulator_get_fragments (emu, "cam", &i);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  /* fragment 9 is listable 18 s after the start: well past 6 */
  live_run_until (l, (kvs_emulator_listable_time (emu, "cam", 10) -
          now_ms ()) / 1000.0 + 3.0);
  g_object_get (l->src, "stats", &stats, NULL);
  gst_structure_get_uint (stats, "entries-skipped", &skipped);
  gst_structure_free (stats);
  live_stop (l);
  assert_no_error (l);
  fail_unless (l->delivered->len >= 9, "%u delivered", l->delivered->len);
  for (i = 0; i < l->delivered->len; i++) {
    const Delivered *d = &g_array_index (l->delivered, Delivered, i);
    guint want = i < 6 ? i : i + 1;
    fail_unless_equals_string (d->number, f[want].number);
    fail_unless_equals_uint64 (d->timestamp, (guint64) (f[want].producer_ms
            - f[0].producer_ms) * GST_MSECOND);
  }
  for (i = 0; i < l->warnings->len; i++) {
    GError *err = NULL;
    gst_message_parse_warning (l->warnings->pdata[i], &err, NULL);
    warned |= strstr (err->message, f[6].number) != NULL;
    g_error_free (err);
  }
  fail_unless (warned, "no warning names fragment 6");
  fail_unless_equals_int (skipped, 1);
  live_free (l);
}

GST_END_TEST;

/* Ingestion pauses for 10 s: playback survives, says the stream went quiet
 * and came back, and keeps the gap in its output times. */
GST_START_TEST (test_live_pause_keeps_gap)
{
  const gchar *props[] = { "playback-mode", "live", NULL };
  gint64 start_ms = now_ms () / 1000 * 1000 - 5000;
  guint i, gap_at = 0;
  Live *l;

  /* fragments 0-4 from 5 s ago, then 10 s of nothing, then 5-9 */
  start_emulator (start_ms, 10);
  fail_unless (kvs_emulator_add_pause (emu, "cam", 5, 10));
  /* and throttling all along: every 4th call refused */
  kvs_emulator_set_throttle_every (emu, 4);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  /* fragment 5 is listable ~16 s from now; 6 two seconds later */
  live_run (l, (kvs_emulator_listable_time (emu, "cam", 6) - now_ms ()) /
      1000.0 + 2.0);
  assert_no_error (l);
  fail_unless (l->quiet_ms > 0, "no kvam-stream-quiet");
  fail_unless (l->resumed_ms > l->quiet_ms, "no kvam-stream-resumed after "
      "it");
  fail_unless (l->quiet_for >= 8 * GST_SECOND, "quiet for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (l->quiet_for));
  fail_unless (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException") > 0);
  assert_in_order (l, fragment_index (g_array_index (l->delivered,
              Delivered, 0).number));
  for (i = 1; i < l->delivered->len; i++) {
    const Delivered *a = &g_array_index (l->delivered, Delivered, i - 1);
    const Delivered *b = &g_array_index (l->delivered, Delivered, i);
    if (b->timestamp - a->timestamp > FRAGMENT_MS * GST_MSECOND) {
      fail_unless_equals_uint64 (b->timestamp - a->timestamp,
          (FRAGMENT_MS + 10000) * GST_MSECOND);
      gap_at = i;
    }
  }
  fail_unless (gap_at > 0, "the gap was squeezed out");
  fail_unless_equals_int (fragment_index (g_array_index (l->delivered,
              Delivered, gap_at).number), 5);
  live_free (l);
}

GST_END_TEST;

static gboolean
has_warning (Live * l, const gchar * needle)
{
  guint i;
  gboolean found = FALSE;

  g_mutex_lock (&l->lock);
  for (i = 0; i < l->warnings->len && !found; i++) {
    g_autoptr (GError) e = NULL;
    gst_message_parse_warning (g_ptr_array_index (l->warnings, i), &e, NULL);
    found = strstr (e->message, needle) != NULL;
  }
  g_mutex_unlock (&l->lock);
  return found;
}

/* The service fails every call for 8 s while the camera goes on: live says
 * the service is why (warnings while retrying and while polls fail), never
 * that the stream went quiet, and plays on once the service is back. */
GST_START_TEST (test_live_service_outage_warns)
{
  const gchar *props[] = { "playback-mode", "live", NULL };
  gint64 back_ms;
  guint i, after = 0;
  Live *l;

  start_emulator (now_ms () / 1000 * 1000 - 5000, 40);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  live_run_until (l, 4.0);
  assert_no_error (l);
  kvs_emulator_set_fail_every (emu, 1);
  live_run_until (l, 8.0);
  kvs_emulator_set_fail_every (emu, 0);
  back_ms = now_ms ();
  live_run (l, 8.0);
  assert_no_error (l);
  fail_unless (has_warning (l, "retrying"), "no warning while retrying");
  fail_unless (has_warning (l, "not the camera"), "no warning that the "
      "service is the cause");
  fail_unless (l->quiet_ms == 0, "kvam-stream-quiet while the service, not "
      "the camera, failed");
  for (i = 0; i < l->delivered->len; i++)
    after += g_array_index (l->delivered, Delivered, i).wall_ms > back_ms;
  fail_unless (after >= 2, "%u fragments once the service was back", after);
  live_free (l);
}

GST_END_TEST;

/* Decoded and shown by a clock-synced sink: hardly a frame late (QoS), and
 * the position moves with the clock. */
GST_START_TEST (test_live_sync_playback)
{
  const gchar *props[] = { "playback-mode", "live", NULL };
  gint64 pos1 = -1, pos2 = -1, t1, t2;
  GstElement *dec;
  Live *l;

  dec = gst_element_factory_make ("avdec_h264", NULL);
  if (!dec) {
    g_print ("SKIP test_live_sync_playback: avdec_h264 (gstreamer1.0-libav) "
        "is not installed\n");
    return;
  }
  gst_object_unref (dec);
  start_emulator (now_ms () / 1000 * 1000 - 9000, 20);
  l = live_new ("matroskademux ! h264parse ! avdec_h264 ! "
      "fakesink name=sink sync=true qos=true", props);
  gst_element_set_state (l->pipeline, GST_STATE_PLAYING);
  g_usleep (5 * G_USEC_PER_SEC);
  t1 = g_get_monotonic_time ();
  gst_element_query_position (l->pipeline, GST_FORMAT_TIME, &pos1);
  g_usleep (6 * G_USEC_PER_SEC);
  t2 = g_get_monotonic_time ();
  gst_element_query_position (l->pipeline, GST_FORMAT_TIME, &pos2);
  live_run (l, 0);
  assert_no_error (l);
  g_print ("live sync: %u frames shown, %u QoS messages; position moved %.3f "
      "s in %.3f s\n", l->pts->len, l->qos, (pos2 - pos1) / 1e9,
      (t2 - t1) / 1e6);
  fail_unless (l->pts->len > 0);
  /* frames late by their timestamps would all be late; a machine busy with
   * other work (or AddressSanitizer) may make a few late by itself */
  fail_unless (l->qos * 20 <= l->pts->len, "%u QoS messages for %u frames",
      l->qos, l->pts->len);
  fail_unless (pos1 >= 0 && pos2 > pos1);
  fail_unless (ABS ((pos2 - pos1) / 1000 - (t2 - t1)) < 300 * 1000,
      "position moved %" G_GINT64_FORMAT " µs in %" G_GINT64_FORMAT " µs",
      (pos2 - pos1) / 1000, t2 - t1);
  live_free (l);
}

GST_END_TEST;

/* An end-time in the future: live-replay ends with EOS once the fragment
 * at that time is out; on-demand is no live source. */
GST_START_TEST (test_live_replay_end_time)
{
  gint64 start_ms = now_ms () / 1000 * 1000 - 4000;
  g_autofree gchar *start = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000);
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000 + 10);
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    start, "end-time", end, NULL
  };
  Live *l;

  start_emulator (start_ms, 20);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  live_run (l, 20);
  assert_no_error (l);
  fail_unless (l->eos, "no EOS after end-time");
  assert_in_order (l, 0);
  /* server times (the selector's) 1.2 s after the producer's 0, 2, 4, 6
   * and 8 s: the fifth, at 9.2 s, holds end-time */
  fail_unless_equals_int (l->delivered->len, 5);
  live_free (l);
}

GST_END_TEST;

/* end-time relative and in the future ("+6s"): live-replay follows until
 * then and ends with EOS; every fragment played starts before it. */
GST_START_TEST (test_live_replay_relative_future_end)
{
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    "-4s", "end-time", "+6s", NULL
  };
  gint64 began_ms = now_ms (), start_ms = began_ms / 1000 * 1000 - 4000;
  const KvsFragment *f;
  guint i, n;
  gint first;
  Live *l;

  start_emulator (start_ms, 20);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  live_run (l, 20);
  assert_no_error (l);
  fail_unless (l->eos, "no EOS after end-time +6s");
  fail_unless (l->delivered->len >= 3, "%u played", l->delivered->len);
  /* "-4s" is read as playback starts (a slow start moves it a fragment):
   * from the first played, every later one once, in order */
  first = fragment_index (g_array_index (l->delivered, Delivered, 0).number);
  fail_unless (first >= 0 && first <= 2, "first played %d", first);
  assert_in_order (l, first);
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  for (i = 0; i < l->delivered->len; i++) {
    gint idx = fragment_index (g_array_index (l->delivered, Delivered,
            i).number);

    fail_unless (idx >= 0 && (guint) idx < n);
    /* server times are the selector's; "+6s" was read after began_ms */
    fail_unless (f[idx].server_ms <= now_ms () && f[idx].server_ms <
        began_ms + 6000 + 2000, "fragment %d at %" G_GINT64_FORMAT
        " ms after playback began", idx, f[idx].server_ms - began_ms);
  }
  live_free (l);
}

GST_END_TEST;

/* do-timestamp=true in a live mode: basesrc starts in TIME at 0, which
 * kvamsrc takes; the fragments play in order as without it. */
GST_START_TEST (test_live_replay_do_timestamp)
{
  gint64 start_ms = now_ms () / 1000 * 1000 - 6000;
  g_autofree gchar *start = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000);
  g_autofree gchar *end = g_strdup_printf ("%" G_GINT64_FORMAT,
      start_ms / 1000 + 5);
  const gchar *props[] = { "playback-mode", "live-replay", "start-time",
    start, "end-time", end, "do-timestamp", "true", NULL
  };
  Live *l;

  start_emulator (start_ms, 10);
  l = live_new ("matroskademux ! fakesink name=sink sync=false", props);
  live_run (l, 15);
  assert_no_error (l);
  fail_unless (l->eos, "no EOS after end-time");
  assert_in_order (l, 0);
  /* server times 1.2 s after the producer's 0, 2, 4 s: two before 5 s */
  fail_unless_equals_int (l->delivered->len, 2);
  live_free (l);
}

GST_END_TEST;

/* The mode in a kvs:// URI, both ways. */
GST_START_TEST (test_playback_mode_in_uri)
{
  GstElement *src = gst_element_factory_make ("kvamsrc", NULL);
  g_autofree gchar *uri = NULL;
  GError *err = NULL;
  gint mode = 0;

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kvs://cam?playback-mode=live-replay&start-time=-10m", &err));
  g_object_get (src, "playback-mode", &mode, NULL);
  fail_unless_equals_int (mode, 2);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (src)));
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless (strstr (uri, "playback-mode=live-replay") != NULL, "%s", uri);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
kvamsrclive_suite (void)
{
  Suite *s = suite_create ("kvamsrclive");
  TCase *tc = tcase_create ("live");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_live_replay_follows);
  tcase_add_test (tc, test_live_starts_at_newest);
  tcase_add_test (tc, test_live_plays_newest_at_once);
  tcase_add_test (tc, test_live_late_fragments_reported);
  tcase_add_test (tc, test_live_producer_clock_jump);
  tcase_add_test (tc, test_live_pause_keeps_gap);
  tcase_add_test (tc, test_live_service_outage_warns);
  tcase_add_test (tc, test_live_sync_playback);
  tcase_add_test (tc, test_live_replay_end_time);
  tcase_add_test (tc, test_live_replay_relative_future_end);
  tcase_add_test (tc, test_live_replay_do_timestamp);
  tcase_add_test (tc, test_playback_mode_in_uri);
  return s;
}

GST_CHECK_MAIN (kvamsrclive);
