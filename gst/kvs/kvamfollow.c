/* kvamsrc: following a stream while it is being ingested
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The live modes list like on-demand up to the recent past, then ask
 * ListFragments again and again for what is newer than the last fragment
 * published. The listing is eventually consistent: a fragment can show up
 * after the one that follows it. The index publishes a fragment at once
 * when it continues the last one, and holds one that follows a hole for
 * up to KVAM_FOLLOW_STRAGGLER_WAIT: the usual fragment costs no waiting,
 * a late one is played in its place, and a real gap (the producer paused)
 * costs the wait once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfollow.h"
#include "kvamwait.h"

GST_DEBUG_CATEGORY_STATIC (kvam_follow_debug);
#define GST_CAT_DEFAULT kvam_follow_debug

/* live starts at the newest fragment of the last minute; a stream quiet
 * for longer starts with the next one */
#define LIVE_LOOKBACK (60 * GST_SECOND)
/* ...looked for in the last few seconds first: one short listing (a page
 * or two) instead of a minute's worth of pages, which at 5 calls a second
 * could cost a pacing window before the first frame */
#define LIVE_RECENT (10 * GST_SECOND)
/* live-replay lists with windows up to this long ago, then follows: the
 * fragments before it are taken as settled */
#define REPLAY_SETTLED (10 * GST_SECOND)
/* how far ahead of this machine's clock a poll asks: the service's clock
 * and producers' clocks may run ahead */
#define POLL_AHEAD (3600 * GST_SECOND)
/* each poll lists again this far back from the newest fragment played
 * (at least TRAILING_FRAGMENTS of them): a fragment listed late is found,
 * played if its turn has not gone, else reported */
#define TRAILING_WINDOW (15 * GST_SECOND)
#define TRAILING_FRAGMENTS 3
/* a stream is quiet after this many fragment lengths without a new one
 * (at least QUIET_MIN) */
#define QUIET_FRAGMENTS 3
#define QUIET_MIN (4 * GST_SECOND)

struct _KvamFollow
{
  KvamFollowConfig config;
  gchar *stream;

  gboolean quiet;
  gint64 last_new;              /* monotonic µs a fragment last appeared */
  GstClockTime last_time;       /* of the newest published */
  guint failures;               /* polls failed in a row */
  gint64 failure_noticed;       /* monotonic µs, 0: not in this run */
  gint64 service_ok_since;      /* monotonic µs: no poll failed since */

  GMutex lock;
  GstClockTime longest;         /* fragment length, for the latency */
};

KvamFollow *
kvam_follow_new (const KvamFollowConfig * config)
{
  KvamFollow *self = g_new0 (KvamFollow, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_follow_debug, "kvamfollow", 0,
        "kvamsrc live following");
    g_once_init_leave (&once, 1);
  }
  self->config = *config;
  self->stream = g_strdup (config->stream);
  self->config.stream = self->stream;
  self->longest = KVAM_FOLLOW_DEFAULT_FRAGMENT;
  self->last_time = GST_CLOCK_TIME_NONE;
  /* a live run has no range to cap: it must not stop after ~11 days (its
   * index still grows with the run, ~150 bytes a fragment) */
  kvam_fragment_index_set_max_fragments (config->index, G_MAXUINT);
  g_mutex_init (&self->lock);
  return self;
}

void
kvam_follow_free (KvamFollow * self)
{
  if (!self)
    return;
  g_free (self->stream);
  g_mutex_clear (&self->lock);
  g_free (self);
}

GstClockTime
kvam_follow_get_latency (KvamFollow * self)
{
  GstClockTime longest;

  g_mutex_lock (&self->lock);
  longest = self->longest;
  g_mutex_unlock (&self->lock);
  return longest + KVAM_FOLLOW_POLL + KVAM_FOLLOW_STRAGGLER_WAIT;
}

static GstClockTime
now_epoch (void)
{
  return g_get_real_time () * GST_USECOND;
}

/* ---- messages ------------------------------------------------------------ */

static void
post_state (KvamFollow * self, const gchar * name, GstClockTime gap)
{
  GstStructure *s = gst_structure_new (name,
      "stream", G_TYPE_STRING, self->stream, NULL);

  if (GST_CLOCK_TIME_IS_VALID (self->last_time))
    gst_structure_set (s, "last-fragment-time", G_TYPE_UINT64,
        self->last_time, NULL);
  if (GST_CLOCK_TIME_IS_VALID (gap))
    gst_structure_set (s, "quiet-for", G_TYPE_UINT64, gap, NULL);
  GST_INFO_OBJECT (self->config.element, "%" GST_PTR_FORMAT, s);
  gst_element_post_message (self->config.element,
      gst_message_new_element (GST_OBJECT (self->config.element), s));
}

/* A longer fragment than any so far raises the latency: tell the
 * pipeline, which asks again. */
static void
note_fragment_length (KvamFollow * self, const KvamFragment * f)
{
  gboolean longer;

  g_mutex_lock (&self->lock);
  longer = f->duration > self->longest;
  if (longer)
    self->longest = f->duration;
  g_mutex_unlock (&self->lock);
  if (longer) {
    GST_INFO_OBJECT (self->config.element, "fragments of %" GST_TIME_FORMAT
        ": latency now %" GST_TIME_FORMAT, GST_TIME_ARGS (f->duration),
        GST_TIME_ARGS (kvam_follow_get_latency (self)));
    gst_element_post_message (self->config.element,
        gst_message_new_latency (GST_OBJECT (self->config.element)));
  }
}

/* After a poll: new fragments, or none for a while. */
static void
update_state (KvamFollow * self, guint published, gint64 now)
{
  const KvamFragment *last = kvam_fragment_index_get_last (self->config.index);
  GstClockTime quiet_after;

  if (published > 0) {
    if (self->quiet)
      post_state (self, "kvam-stream-resumed", (now - self->last_new) *
          GST_USECOND);
    self->quiet = FALSE;
    self->last_new = now;
    self->last_time = kvam_fragment_index_time (self->config.index, last);
    note_fragment_length (self, last);
    return;
  }
  g_mutex_lock (&self->lock);
  quiet_after = MAX (QUIET_MIN, QUIET_FRAGMENTS * self->longest);
  g_mutex_unlock (&self->lock);
  /* a failing service says nothing about the producer: quiet counts only
   * while it answers */
  if (!self->quiet && self->failures == 0 && (GstClockTime) (now -
          MAX (self->last_new, self->service_ok_since)) * GST_USECOND >
      quiet_after) {
    self->quiet = TRUE;
    post_state (self, "kvam-stream-quiet", (now - self->last_new) *
        GST_USECOND);
  }
}

/* ---- listing ------------------------------------------------------------- */

/* Errors a user must fix end the playback; the others (network, throttling,
 * server) are already retried by the client and are waited out here: a
 * live stream outlives a bad minute. */
static gboolean
is_fatal (const KvamAwsError * err)
{
  return err->kind == KVAM_AWS_ERROR_NOT_FOUND ||
      err->kind == KVAM_AWS_ERROR_AUTH || err->kind == KVAM_AWS_ERROR_INVALID
      || err->kind == KVAM_AWS_ERROR_CREDENTIALS;
}

/* Live: the newest fragment of the last minute is where playback starts. */
static gboolean
find_newest (KvamFollow * self, KvamAwsError * err)
{
  GstClockTime now = now_epoch ();

  /* the range starts now: fragments of the look-back must be kept */
  kvam_fragment_index_set_start (self->config.index, now - LIVE_LOOKBACK);
  if (!kvam_fragment_index_list_pages (self->config.index,
          self->config.client, self->config.max_results, now - LIVE_RECENT,
          now + POLL_AHEAD, self->config.cancellable, err))
    return FALSE;
  if (kvam_fragment_index_start_at_newest (self->config.index))
    return TRUE;
  if (!kvam_fragment_index_list_pages (self->config.index,
          self->config.client, self->config.max_results, now - LIVE_LOOKBACK,
          now - LIVE_RECENT, self->config.cancellable, err))
    return FALSE;
  if (!kvam_fragment_index_start_at_newest (self->config.index)) {
    GST_INFO_OBJECT (self->config.element, "no fragment in the last minute: "
        "waiting for the next one");
    post_state (self, "kvam-stream-quiet", GST_CLOCK_TIME_NONE);
    self->quiet = TRUE;
  }
  return TRUE;
}

/* Whether the range's end is behind us: the last fragment reaches past it,
 * or the clock did long enough ago for stragglers to have shown up. */
static gboolean
reached_end (KvamFollow * self)
{
  const KvamFragment *last = kvam_fragment_index_get_last (self->config.index);

  if (!GST_CLOCK_TIME_IS_VALID (self->config.end))
    return FALSE;
  if (last && kvam_fragment_index_time (self->config.index, last) +
      last->duration > self->config.end)
    return TRUE;
  return now_epoch () > self->config.end + KVAM_FOLLOW_STRAGGLER_WAIT +
      2 * KVAM_FOLLOW_QUIET_POLL;
}

/* One poll: what is newer than the last published fragment. */
static gboolean
poll_once (KvamFollow * self, KvamAwsError * err)
{
  KvamFragmentIndex *index = self->config.index;
  const KvamFragment *last = kvam_fragment_index_get_last (index);
  GstClockTime start = kvam_fragment_index_get_start (index);
  GstClockTime from = last ? kvam_fragment_index_time (index, last) : start;
  GstClockTime trailing;
  GstClockTime to = GST_CLOCK_TIME_IS_VALID (self->config.end) ?
      self->config.end : now_epoch () + POLL_AHEAD;

  g_mutex_lock (&self->lock);
  trailing = MAX (TRAILING_WINDOW, TRAILING_FRAGMENTS * self->longest);
  g_mutex_unlock (&self->lock);
  /* the ones already known are dropped as duplicates */
  from = from > start + trailing ? from - trailing : start;
  return kvam_fragment_index_list_pages (index, self->config.client,
      self->config.max_results, from, MAX (from, to),
      self->config.cancellable, err);
}

static gboolean
catch_up (KvamFollow * self, KvamAwsError * err)
{
  GstClockTime settled = now_epoch () - REPLAY_SETTLED;

  if (self->config.from_newest)
    return find_newest (self, err);
  if (GST_CLOCK_TIME_IS_VALID (self->config.end))
    settled = MIN (settled, self->config.end);
  if (settled <= kvam_fragment_index_get_start (self->config.index))
    return TRUE;
  return kvam_fragment_index_list_until (self->config.index,
      self->config.client, self->config.max_results, settled,
      self->config.cancellable, err);
}

static void
notice_failure (KvamFollow * self, const KvamAwsError * err)
{
  gint64 now = g_get_monotonic_time ();

  if (self->failure_noticed && now - self->failure_noticed <
      (gint64) (KVAM_FOLLOW_FAILURE_NOTICE / GST_USECOND))
    return;
  self->failure_noticed = now;
  if (self->config.on_failure)
    self->config.on_failure (self->config.on_failure_data, err, self->failures);
}

void
kvam_follow_run (KvamFollow * self)
{
  KvamAwsError err = { 0 };
  GCancellable *cancellable = self->config.cancellable;
  gboolean ok = catch_up (self, &err);

  self->last_new = g_get_monotonic_time ();
  while (ok && !reached_end (self)) {
    gint64 now;
    guint n;

    if (!poll_once (self, &err)) {
      if (g_cancellable_is_cancelled (cancellable) || is_fatal (&err))
        break;
      GST_WARNING_OBJECT (self->config.element, "polling for new fragments "
          "failed (%u in a row): %s; trying again", ++self->failures,
          GST_STR_NULL (err.message));
      notice_failure (self, &err);
      self->service_ok_since = g_get_monotonic_time ();
      kvam_aws_error_clear (&err);
    } else {
      self->failures = 0;
      self->failure_noticed = 0;
    }
    now = g_get_monotonic_time ();
    n = kvam_fragment_index_publish_following (self->config.index, now,
        KVAM_FOLLOW_STRAGGLER_WAIT / GST_USECOND);
    update_state (self, n, now);
    if (!kvam_cancellable_sleep (cancellable, (self->quiet || self->failures ?
                KVAM_FOLLOW_QUIET_POLL : KVAM_FOLLOW_POLL) / GST_USECOND))
      break;
  }
  if (ok && reached_end (self))
    GST_INFO_OBJECT (self->config.element, "the range's end has passed: "
        "following ends");
  /* publish what is left in order, then end the listing */
  kvam_fragment_index_publish_following (self->config.index, G_MAXINT64 / 2, 0);
  kvam_fragment_index_finish (self->config.index, &err);
  kvam_aws_error_clear (&err);
}
