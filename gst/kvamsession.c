/* kvamsrc: one playback of a range: batches, responses, resume, seeking
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsessionpriv.h"
#include "kvamseekindex.h"
#include "kvamtime.h"
#include "kvamwait.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_session_debug);
#define GST_CAT_DEFAULT kvam_session_debug

/* how long the stream header waits for the whole range to be listed, so
 * that Info can say its Duration: a range of up to 1000 fragments is
 * listed in one call */
#define DURATION_WAIT_US (G_USEC_PER_SEC / 2)
/* how long the stream header of a range of many pages waits for its last
 * fragment to be found */
#define LAST_WAIT_US (2 * G_USEC_PER_SEC)
/* how long a seek waits for the listing before its Cues are served */
#define CUES_WAIT_US (600 * G_USEC_PER_SEC)
/* resumed responses are warned of at most this often */
#define RETRY_WARNING_INTERVAL (5 * G_USEC_PER_SEC)

static const gchar *const state_names[] = {
  "between responses", "reading", "ending", "serving the Cues",
  "after the Cues",
};

/* the states each may go to: a seek leaves any for BETWEEN */
#define TO(s) (1u << KVAM_SERVE_##s)
static const guint transitions[] = {
  [KVAM_SERVE_BETWEEN] = TO (BETWEEN) | TO (READING) | TO (CUES),
  [KVAM_SERVE_READING] = TO (BETWEEN) | TO (ENDING),
  [KVAM_SERVE_ENDING] = TO (BETWEEN) | TO (READING),
  [KVAM_SERVE_CUES] = TO (BETWEEN) | TO (AFTER_CUES),
  [KVAM_SERVE_AFTER_CUES] = TO (BETWEEN),
};

#undef TO

/* A way not in the table is a bug: critical (fatal in the tests). */
void
kvam_session_set_state (KvamSession * self, KvamServeState state)
{
  if (!(transitions[self->state] & (1u << state)))
    g_critical ("kvamsession: no way from %s to %s",
        state_names[self->state], state_names[state]);
  if (state != self->state)
    GST_LOG_OBJECT (self->element, "%s -> %s", state_names[self->state],
        state_names[state]);
  self->state = state;
}

KvamSession *
kvam_session_new (const KvamSessionConfig * config)
{
  KvamSession *self = g_new0 (KvamSession, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_session_debug, "kvamsession", 0,
        "kvamsrc playback session");
    kvam_session_batches_init ();
    kvam_session_events_init ();
    g_once_init_leave (&once, 1);
  }
  self->element = config->element;
  self->stream = g_strdup (config->stream);
  self->client = config->client;
  self->index = config->index;
  self->cancellable = config->cancellable;
  self->selector = config->selector;
  self->range_start = config->range_start;
  self->range_end = config->range_end;
  self->retry_attempts = config->retry_attempts;
  self->request_timeout = config->request_timeout_ms;
  self->keep_timecodes = config->keep_timecodes;
  self->fail_on_fragment_error = config->fail_on_fragment_error;
  self->live = config->live;
  self->max_concurrent = CLAMP (config->max_concurrent, 1,
      KVAM_PACER_CONNECTIONS);
  self->budget = kvam_budget_new (config->max_bytes_ahead);
  self->min_batch_bytes = MIN (config->max_bytes_ahead / BATCH_SHARE,
      MAX_FIRST_BATCH_BYTES);
  self->max_batch_bytes = MAX (config->max_bytes_ahead / BATCH_SHARE, 1);
  self->batch_bytes = self->min_batch_bytes;
  self->concurrency = 1;
  self->media_pacer = kvam_client_get_pacer (self->client,
      KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST);
  g_queue_init (&self->prefetches);
  g_queue_init (&self->held);
  self->pending_messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  self->current_producer = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->stats_lock);
  return self;
}

void
kvam_session_free (KvamSession * self)
{
  if (!self)
    return;
  g_free (self->stream);
  kvam_session_clear_prefetches (self);
  kvam_session_clear_response (self);
  kvam_budget_free (self->budget);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_clear_pointer (&self->merger, kvam_mkv_merger_free);
  g_ptr_array_unref (self->pending_messages);
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&self->stats_lock);
  g_free (self);
}

void
kvam_session_get_stats (KvamSession * self, KvamSessionStats * stats)
{
  g_mutex_lock (&self->stats_lock);
  stats->delivered = self->delivered;
  stats->skipped = self->skipped;
  stats->frames_dropped = self->dropped;
  stats->current_producer = self->current_producer;
  stats->concurrency = self->concurrency;
  g_mutex_unlock (&self->stats_lock);
  stats->in_flight = g_atomic_int_get (&self->open_connections);
  stats->bytes_ahead = kvam_budget_get_used (self->budget);
}

gboolean
kvam_session_take_discont (KvamSession * self)
{
  gboolean discont = self->discont;

  self->discont = FALSE;
  return discont;
}

/* ---- the streaming loop -------------------------------------------------- */

/* Closes the response and moves past what it completed. */
static void
finish_response (KvamSession * self)
{
  guint complete = kvam_mkv_merger_end_response (self->merger, &self->resume);
  g_autoptr (GPtrArray) events = kvam_mkv_merger_take_events (self->merger);
  guint i;

  /* the DONE event of the ending is counted, not handled: the in-band
   * failure count stays, it belongs to the fragment now next */
  for (i = 0; i < events->len; i++)
    if (((KvamMergerEvent *) events->pdata[i])->type ==
        KVAM_MERGER_FRAGMENT_DONE)
      self->pending_delivered++;
  kvam_session_count_delivered (self);
  self->next_fragment += complete;
  kvam_session_clear_response (self);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
}

/* The range's length, once the whole range is listed. */
static GstClockTime
range_duration (KvamSession * self)
{
  guint n = kvam_fragment_index_get_published (self->index);
  const KvamFragment *first, *last;

  if (n == 0)
    return GST_CLOCK_TIME_NONE;
  first = kvam_fragment_index_get (self->index, 0);
  last = kvam_fragment_index_get (self->index, n - 1);
  return last->producer + last->duration > first->producer ?
      last->producer + last->duration - first->producer : 0;
}

/* The merger, for a stream whose output time 0 is @first's listed time. The
 * header waits a moment for the listing to end, to carry the Duration. */
static void
create_merger (KvamSession * self, const KvamFragment * first)
{
  self->base = self->keep_timecodes ? GST_CLOCK_TIME_NONE : first->producer;
  self->merger = kvam_mkv_merger_new (self->base);
  self->merger_dropped = 0;
  if (self->live)
    return;                     /* no end, no Duration */
  /* a range of more than a page is listed window by window: its end is
   * looked for apart, in its last minute first */
  if (kvam_fragment_index_is_paged (self->index)) {
    GstClockTime end;
    if (kvam_fragment_index_find_last (self->index, self->client,
            KVAM_LIST_PAGE_SIZE, g_get_monotonic_time () + LAST_WAIT_US,
            self->cancellable, &end) && end > first->producer)
      kvam_mkv_merger_set_duration (self->merger, end - first->producer);
    else
      GST_INFO_OBJECT (self->element, "a long range whose end was not found "
          "in time: no Duration in the stream header");
    return;
  }
  if (kvam_fragment_index_wait_finished (self->index, self->cancellable,
          g_get_monotonic_time () + DURATION_WAIT_US))
    kvam_mkv_merger_set_duration (self->merger, range_duration (self));
  else
    GST_INFO_OBJECT (self->element, "the range is still being listed: no "
        "Duration in the stream header");
}

/* Blocks until fragments past next_fragment are known. Returns
 * GST_FLOW_OK with a batch, EOS after the last one, or an error. A
 * response that broke off is resumed within its planned batch. */
static GstFlowReturn
next_batch (KvamSession * self)
{
  KvamAwsError err = { 0 };
  gboolean complete;
  guint published, i, count;

  /* the first media call needs its data endpoint: found while the lister
   * lists (once it found its own), not after */
  if (self->next_fragment == 0 && !self->merger &&
      kvam_fragment_index_get_published (self->index) == 0)
    kvam_client_prepare_endpoint (self->client,
        KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, KVAM_API_LIST_FRAGMENTS,
        self->cancellable);
  if (!kvam_fragment_index_wait (self->index, self->next_fragment,
          self->cancellable, &published, &complete)) {
    if (g_cancellable_is_cancelled (self->cancellable))
      return GST_FLOW_FLUSHING;
    kvam_fragment_index_get_error (self->index, &err);
    kvam_session_post_aws_error (self, &err);
    kvam_aws_error_clear (&err);
    return GST_FLOW_ERROR;
  }
  if (published <= self->next_fragment) {
    g_autofree gchar *from = kvam_time_to_iso8601 (self->range_start);
    g_autofree gchar *to = kvam_time_to_iso8601 (self->range_end);
    if (self->next_fragment > 0)
      return GST_FLOW_EOS;
    kvam_session_post (self, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_FOUND, NULL, NULL,
        g_strdup_printf ("Stream '%s' has no fragments between %s and %s "
            "(%s timestamps)", self->stream, from, to,
            self->selector == KVAM_SELECTOR_SERVER ? "server" : "producer"));
    return GST_FLOW_ERROR;
  }

  if (self->batch_end <= self->next_fragment) {
    /* a batch read ahead stays as it was planned */
    if (!kvam_session_batch_ahead (self, self->next_fragment, &count))
      kvam_session_plan_batch (self, self->next_fragment, published, complete,
          &count);
    self->batch_end = self->next_fragment + count;
  }
  self->batch = g_ptr_array_new ();
  for (i = self->next_fragment; i < MIN (published, self->batch_end); i++)
    g_ptr_array_add (self->batch, (gpointer) kvam_fragment_index_get
        (self->index, i));
  if (!self->merger)
    create_merger (self, self->batch->pdata[0]);
  return GST_FLOW_OK;
}

static GstFlowReturn
open_response (KvamSession * self)
{
  g_autofree gchar *body = NULL;
  KvamAwsError err = { 0 };
  GstFlowReturn ret = GST_FLOW_OK;
  GInputStream *response = kvam_session_take_prefetch (self);

  if (response) {
    GST_DEBUG_OBJECT (self->element, "reading fragments %u-%u read ahead",
        self->next_fragment, self->batch_end - 1);
    kvam_session_set_response (self, response, FALSE);
  } else {
    self->response_opened = 0;
    body =
        kvam_session_batch_body (self, self->next_fragment, self->batch->len);
    GST_DEBUG_OBJECT (self->element, "requesting %u fragments from %s",
        self->batch->len, kvam_session_batch_fragment (self, 0)->number);
    response =
        kvam_client_open_text (self->client,
        KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, body, self->cancellable, &err);
    if (response)
      kvam_session_set_response (self, response, TRUE);
    self->response_opened = g_get_monotonic_time ();
  }
  if (!self->response) {
    if (err.kind == KVAM_AWS_ERROR_CANCELLED) {
      ret = GST_FLOW_FLUSHING;
    } else {
      kvam_session_post_aws_error (self, &err);
      ret = GST_FLOW_ERROR;
    }
    g_clear_pointer (&self->batch, g_ptr_array_unref);
  } else {
    kvam_mkv_merger_begin_response (self->merger,
        (const KvamFragment * const *) self->batch->pdata, self->batch->len,
        &self->resume);
    self->last_progress = g_get_monotonic_time ();
    kvam_session_start_prefetches (self);
  }
  kvam_aws_error_clear (&err);
  return ret;
}

/* Waits before a retry; FALSE when flushing. */
static gboolean
back_off (KvamSession * self, guint attempt)
{
  return kvam_cancellable_sleep (self->cancellable, kvam_backoff_us (attempt));
}

/* A response that ended short is resumed: said as a warning, at most
 * every RETRY_WARNING_INTERVAL (the client's retries are said by it). */
static void
warn_retry (KvamSession * self, const gchar * why)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree gchar *more = NULL;

  if (self->last_retry_warning &&
      now - self->last_retry_warning < RETRY_WARNING_INTERVAL) {
    self->retries_unwarned++;
    return;
  }
  more = self->retries_unwarned ? g_strdup_printf ("; %u more since the "
      "last warning", self->retries_unwarned) : g_strdup ("");
  self->last_retry_warning = now;
  self->retries_unwarned = 0;
  kvam_session_post (self, GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_READ, NULL, NULL, g_strdup_printf ("Stream '%s': "
          "%s; resuming (retry %u of %u%s)", self->stream, why,
          self->failures, self->retry_attempts, more));
}

/* The response ended short (cut, stalled): try again from the first
 * fragment not completely written, within retry-attempts. A fragment whose
 * document never arrives whole is then given up on like an in-band error. */
static GstFlowReturn
retry_after_short_response (KvamSession * self, const gchar * why,
    gboolean transport_error)
{
  KvamAwsError err = { 0 };
  const KvamFragment *stuck;
  g_autofree gchar *gave_up = NULL;

  if (++self->failures <= self->retry_attempts) {
    GST_INFO_OBJECT (self->element,
        "%s; resuming at fragment %u (attempt %u of %u)", why,
        self->next_fragment, self->failures, self->retry_attempts);
    warn_retry (self, why);
    return back_off (self,
        self->failures - 1) ? GST_FLOW_OK : GST_FLOW_FLUSHING;
  }
  stuck = kvam_fragment_index_get (self->index, self->next_fragment);
  if (!transport_error && stuck) {
    return kvam_session_give_up_on_fragment (self, stuck,
        "IncompleteFragment", why) ? GST_FLOW_OK : GST_FLOW_ERROR;
  }
  gave_up = g_strdup_printf ("%s (gave up after %u tries)", why,
      self->failures);
  kvam_aws_error_set (&err, KVAM_AWS_ERROR_NETWORK,
      kvam_api_name (KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST), 0,
      "IncompleteResponse", gave_up, NULL);
  kvam_session_post_aws_error (self, &err);
  kvam_aws_error_clear (&err);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
end_of_response (KvamSession * self, GError * read_error, gboolean abandoned)
{
  guint asked = self->batch->len;
  guint first = self->next_fragment;
  g_autofree gchar *why = NULL;

  finish_response (self);
  if (abandoned)                /* an in-band error: retried or skipped */
    return self->fragment_failures == 0 ||
        back_off (self, self->fragment_failures - 1) ? GST_FLOW_OK :
        GST_FLOW_FLUSHING;
  if (self->next_fragment - first == asked && !read_error) {
    self->seen_bytes += self->response_bytes;
    self->seen_fragments += asked;
    kvam_session_time_response (self);
    return GST_FLOW_OK;
  }
  why = g_strdup_printf ("media response ended after %u of %u fragments%s%s",
      self->next_fragment - first, asked, read_error ? ": " : "",
      read_error ? read_error->message : "");
  /* a connection that broke may point at a stale endpoint */
  if (read_error && !g_error_matches (read_error, G_IO_ERROR,
          G_IO_ERROR_TIMED_OUT))
    kvam_client_invalidate_endpoint (self->client,
        KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST);
  return retry_after_short_response (self, why, read_error != NULL);
}

/* Adds to a read that did not fill its block what the response has at
 * once: libsoup hands over one HTTP chunk, or one TLS record (16 KiB), a
 * read, and each read merged and pushed costs its own ~2 us (over HTTPS
 * four a block). Stops at the first read that would block; an end or an
 * error met here waits for the next read, after these bytes are merged. */
static gsize
read_available (KvamSession * self, guint8 * buf, gsize count)
{
  GPollableInputStream *in = G_IS_POLLABLE_INPUT_STREAM (self->response) ?
      G_POLLABLE_INPUT_STREAM (self->response) : NULL;
  gsize got = 0;

  if (!in || !g_pollable_input_stream_can_poll (in))
    return 0;
  while (got < count && self->state == KVAM_SERVE_READING) {
    GError *err = NULL;
    gssize n = g_pollable_input_stream_read_nonblocking (in, buf + got,
        count - got, self->cancellable, &err);

    if (n > 0) {
      got += n;
      continue;
    }
    /* a blocking read finds a cancellation again, or reads on after a
     * reset */
    if (n < 0 && (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)
            || g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))) {
      g_error_free (err);
      break;
    }
    self->response_error = err;
    kvam_session_set_state (self, KVAM_SERVE_ENDING);
  }
  return got;
}

/* One read of the response into @buf, filled with what is there at once. */
static gssize
read_response (KvamSession * self, guint8 * buf, gsize count, GError ** err)
{
  gint64 waited = g_get_monotonic_time ();
  gssize n;

  if (self->state == KVAM_SERVE_ENDING) {
    kvam_session_set_state (self, KVAM_SERVE_READING);
    if (!self->response_error)
      return 0;
    g_propagate_error (err, g_steal_pointer (&self->response_error));
    return -1;
  }
  n = g_input_stream_read (self->response, buf, count, self->cancellable, err);
  self->read_wait += g_get_monotonic_time () - waited;
  if (n > 0 && (gsize) n < count)
    n += read_available (self, buf + n, count - n);
  return n;
}

/* Reads one block of the response and merges it; *@out may stay NULL when
 * the block completed no output. */
static GstFlowReturn
read_and_merge (KvamSession * self, guint blocksize, GstBuffer ** out)
{
  g_autoptr (GstBuffer) merged = NULL;
  g_autoptr (GArray) gaps = g_array_new (FALSE, FALSE, sizeof (gsize));
  GError *err = NULL;
  gboolean abandon = FALSE;
  GstFlowReturn ret;
  guint8 *buf;
  gssize n;

  /* straight into the merger's input: one copy fewer */
  buf = kvam_mkv_merger_take_input_space (self->merger, blocksize);
  n = read_response (self, buf, blocksize, &err);
  if (n > 0)
    self->response_bytes += n;
  if (n <= 0)
    kvam_mkv_merger_return_input_space (self->merger);
  if (n < 0 && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (err);
    return GST_FLOW_FLUSHING;
  }
  if (n <= 0) {
    ret = end_of_response (self, err, FALSE);
    g_clear_error (&err);
    return ret;
  }

  merged = kvam_mkv_merger_push_input_buffer (self->merger, n, &err);
  if (!merged) {
    kvam_session_post (self, GST_MESSAGE_ERROR, GST_STREAM_ERROR,
        GST_STREAM_ERROR_DEMUX, NULL, NULL, g_strdup_printf ("Stream '%s': %s",
            self->stream, err->message));
    g_error_free (err);
    return GST_FLOW_ERROR;
  }
  if (!kvam_session_handle_merger_events (self, &abandon, gaps))
    return GST_FLOW_ERROR;
  if (gaps->len > 0)
    merged = kvam_session_split_at_gaps (self, g_steal_pointer (&merged), gaps);
  if (merged && gst_buffer_get_size (merged) > 0) {
    self->failures = 0;         /* data arrived */
    self->last_progress = g_get_monotonic_time ();
    *out = g_steal_pointer (&merged);
  } else {
    /* their last frames went out already */
    kvam_session_count_delivered (self);
    if (!abandon && g_get_monotonic_time () - self->last_progress >
        (gint64) self->request_timeout * 1000) {
      /* bytes that never make a frame (Void elements forever) are a stall
       * like no bytes at all */
      err = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no frame for %u "
          "ms although bytes kept coming", self->request_timeout);
      ret = end_of_response (self, err, FALSE);
      g_error_free (err);
      return ret;
    }
  }
  if (abandon)
    return end_of_response (self, NULL, TRUE);
  return GST_FLOW_OK;
}


/* ---- seeking ------------------------------------------------------------ */

/* What a BYTES seek to an offset of the output asks for. */
typedef enum
{
  SEEK_NOWHERE,                 /* nothing kvamsrc serves there */
  SEEK_TO_START,                /* 0: the stream header again */
  SEEK_TO_CUES,                 /* the Cues' virtual position */
  SEEK_TO_FRAGMENT,             /* a fragment's first cluster */
} SeekTarget;

/* What a seek to @offset means; for SEEK_TO_FRAGMENT, which in @fragment. */
static SeekTarget
seek_target (KvamSession * self, guint64 offset, guint * fragment)
{
  guint64 start;
  gint64 k;

  g_mutex_lock (&self->stats_lock);
  start = self->segment_start;
  g_mutex_unlock (&self->stats_lock);
  if (offset == 0)
    return SEEK_TO_START;
  if (start == 0 || offset < start)
    return SEEK_NOWHERE;
  if (offset - start == KVAM_SEEK_CUES_POSITION)
    return SEEK_TO_CUES;
  k = kvam_seek_fragment_at (offset - start);
  if (k < 0 || k >= kvam_fragment_index_get_published (self->index))
    return SEEK_NOWHERE;
  *fragment = (guint) k;
  return SEEK_TO_FRAGMENT;
}

gboolean
kvam_session_can_seek (KvamSession * self, guint64 offset)
{
  guint ignored;

  return seek_target (self, offset, &ignored) != SEEK_NOWHERE;
}

/* Drops the response being read and what was pending with it. */
static void
drop_response (KvamSession * self)
{
  KvamMergerResume ignored;

  if (self->response)
    kvam_mkv_merger_end_response (self->merger, &ignored);
  if (self->merger)
    g_ptr_array_unref (kvam_mkv_merger_take_events (self->merger));
  kvam_session_clear_response (self);
  kvam_session_clear_prefetches (self);
  self->batch_end = 0;
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_ptr_array_set_size (self->pending_messages, 0);
  self->pending_delivered = 0;
  self->failures = self->fragment_failures = 0;
  memset (&self->resume, 0, sizeof (self->resume));
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_buffer_unref);
  self->discont_next = FALSE;
}

gboolean
kvam_session_seek (KvamSession * self, guint64 offset)
{
  guint fragment = 0;
  SeekTarget target = seek_target (self, offset, &fragment);

  if (target == SEEK_NOWHERE)
    return FALSE;
  drop_response (self);
  switch (target) {
    case SEEK_TO_START:
      g_clear_pointer (&self->merger, kvam_mkv_merger_free);
      g_mutex_lock (&self->stats_lock);
      self->segment_start = 0;
      g_mutex_unlock (&self->stats_lock);
      self->next_fragment = 0;
      break;
    case SEEK_TO_FRAGMENT:
      GST_DEBUG_OBJECT (self->element, "seeking to fragment %u", fragment);
      kvam_mkv_merger_seek (self->merger);
      self->next_fragment = fragment;
      self->discont = TRUE;
      break;
    case SEEK_TO_CUES:
      kvam_session_set_state (self, KVAM_SERVE_CUES);
      break;
    case SEEK_NOWHERE:
      break;
  }
  return TRUE;
}

static const KvamFragment *
published_fragment (guint i, gpointer index)
{
  return kvam_fragment_index_get (index, i);
}

/* The Cues, once the whole range is listed (each seek's first step). */
static GstFlowReturn
read_cues (KvamSession * self, GstBuffer ** out)
{
  g_autoptr (GBytes) cues = NULL;

  if (!kvam_fragment_index_wait_finished (self->index, self->cancellable,
          g_get_monotonic_time () + CUES_WAIT_US) &&
      g_cancellable_is_cancelled (self->cancellable))
    return GST_FLOW_FLUSHING;
  cues = kvam_seek_build_cues (kvam_fragment_index_get_published
      (self->index), published_fragment, self->index,
      GST_CLOCK_TIME_IS_VALID (self->base) ? self->base : 0,
      kvam_mkv_merger_get_scale (self->merger),
      kvam_mkv_merger_get_first_track (self->merger));
  *out = gst_buffer_new_wrapped_bytes (cues);
  GST_DEBUG_OBJECT (self->element, "serving the Cues of %u fragments",
      kvam_fragment_index_get_published (self->index));
  kvam_session_set_state (self, KVAM_SERVE_AFTER_CUES);
  return GST_FLOW_OK;
}

/* The merger's dropped frames into the stats, when there are new ones. */
static void
count_dropped (KvamSession * self)
{
  guint64 dropped = kvam_mkv_merger_get_dropped (self->merger);

  if (dropped == self->merger_dropped)
    return;
  g_mutex_lock (&self->stats_lock);
  self->dropped += dropped - self->merger_dropped;
  g_mutex_unlock (&self->stats_lock);
  self->merger_dropped = dropped;
}

GstFlowReturn
kvam_session_read (KvamSession * self, guint blocksize, GstBuffer ** out)
{
  GstFlowReturn ret = GST_FLOW_OK;

  *out = g_queue_pop_head (&self->held);
  if (*out)
    return GST_FLOW_OK;
  if (self->state == KVAM_SERVE_CUES)
    return read_cues (self, out);
  if (self->state == KVAM_SERVE_AFTER_CUES)
    return GST_FLOW_EOS;
  while (!*out && ret == GST_FLOW_OK) {
    /* a gap after the last buffer: the next one follows it */
    self->discont |= self->discont_next;
    self->discont_next = FALSE;
    if (self->state == KVAM_SERVE_BETWEEN) {
      ret = next_batch (self);
      if (ret == GST_FLOW_OK)
        ret = open_response (self);
      continue;
    }
    ret = read_and_merge (self, blocksize, out);
  }
  if (*out) {
    if (!self->live)
      kvam_session_adapt_concurrency (self, gst_buffer_get_size (*out));
    kvam_session_post_pending_messages (self);
    kvam_session_count_delivered (self);
    count_dropped (self);
    /* once per stream header, not per buffer (only this thread writes it) */
    if (self->segment_start == 0) {
      g_mutex_lock (&self->stats_lock);
      self->segment_start = kvam_mkv_merger_get_segment_start (self->merger);
      g_mutex_unlock (&self->stats_lock);
    }
  } else if (ret == GST_FLOW_EOS) {
    GST_INFO_OBJECT (self->element, "all %u fragments of the range written",
        self->next_fragment);
  }
  return ret;
}
