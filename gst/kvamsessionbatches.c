/* kvamsrc: a session's batches, read-ahead responses and concurrency
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A range is read in batches of fragments, each one GetMediaForFragmentList
 * response. While the output waits on the network, the batches after the
 * current one are read ahead (kvamprefetch.c) on more connections, within
 * the session's byte budget and the stream's 5 connections; how many is
 * adapted to what holds the output up (docs/design.md, Parallel exports).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsessionpriv.h"

GST_DEBUG_CATEGORY_STATIC (kvam_session_batches_debug);
#define GST_CAT_DEFAULT kvam_session_batches_debug

void
kvam_session_batches_init (void)
{
  GST_DEBUG_CATEGORY_INIT (kvam_session_batches_debug, "kvamsessionbatches",
      0, "kvamsrc batches and read-ahead responses");
}

typedef struct
{
  guint first, count;           /* fragments of the batch */
  KvamPrefetchStream *stream;
} Prefetch;

static void
prefetch_free (Prefetch * p)
{
  g_clear_object (&p->stream);
  g_free (p);
}

void
kvam_session_clear_prefetches (KvamSession * self)
{
  g_queue_clear_full (&self->prefetches, (GDestroyNotify) prefetch_free);
}

/* The current response, with the connection it holds if it is the
 * session's own (a read-ahead one gave its back when it ended). */
void
kvam_session_set_response (KvamSession * self, GInputStream * response,
    gboolean own)
{
  self->response = response;
  kvam_session_set_state (self, KVAM_SERVE_READING);
  self->response_is_own = own;
  self->response_bytes = 0;
  if (own) {
    kvam_pacer_take_connection (self->media_pacer);
    g_atomic_int_inc (&self->open_connections);
  }
}

void
kvam_session_clear_response (KvamSession * self)
{
  if (self->response && self->response_is_own) {
    kvam_pacer_drop_connection (self->media_pacer);
    g_atomic_int_add (&self->open_connections, -1);
  }
  g_clear_object (&self->response);
  g_clear_error (&self->response_error);
  kvam_session_set_state (self, KVAM_SERVE_BETWEEN);
}

/* The batch starting at fragment @first: up to MEDIA_BATCH fragments and
 * batch_bytes of sizes (listed, or the mean seen when larger), within the
 * @published ones. TRUE if it is final: a limit ended it, or the listing
 * is complete. */
gboolean
kvam_session_plan_batch (KvamSession * self, guint first, guint published,
    gboolean complete, guint * count)
{
  guint64 mean = self->seen_fragments ?
      self->seen_bytes / self->seen_fragments : 0;
  guint64 bytes = 0;
  guint i;

  for (i = first; i < published && i - first < MEDIA_BATCH &&
      bytes < self->batch_bytes; i++)
    bytes += MAX (kvam_fragment_index_get (self->index, i)->size, mean);
  *count = i - first;
  return *count > 0 && (i - first == MEDIA_BATCH ||
      bytes >= self->batch_bytes || (complete && i == published));
}

gchar *
kvam_session_batch_body (KvamSession * self, guint first, guint count)
{
  JsonBuilder *body = kvam_client_begin_body (self->client);
  gchar *text;
  guint i;

  json_builder_set_member_name (body, "Fragments");
  json_builder_begin_array (body);
  for (i = first; i < first + count; i++)
    json_builder_add_string_value (body,
        kvam_fragment_index_get (self->index, i)->number);
  json_builder_end_array (body);
  text = kvam_client_finish_body (body);
  g_object_unref (body);
  return text;
}

/* Called on a reader thread when its response ended. */
static void
prefetch_done (gpointer data)
{
  KvamSession *self = data;

  kvam_pacer_drop_connection (self->media_pacer);
  g_atomic_int_add (&self->open_connections, -1);
}

/* Read ahead the batches after the current one, up to concurrency - 1 of
 * them, each once it is final (a batch still growing would be planned
 * again differently), while the stream has a connection free. */
void
kvam_session_start_prefetches (KvamSession * self)
{
  Prefetch *last = g_queue_peek_tail (&self->prefetches);
  guint first = last ? last->first + last->count : self->batch_end;
  guint published = kvam_fragment_index_get_published (self->index);
  gboolean complete = kvam_fragment_index_wait_finished (self->index, NULL,
      0);
  guint count;

  while (self->prefetches.length + 1 < self->concurrency &&
      kvam_session_plan_batch (self, first, published, complete, &count) &&
      kvam_pacer_try_connection (self->media_pacer, KVAM_PACER_CONNECTIONS)) {
    Prefetch *p = g_new0 (Prefetch, 1);

    g_atomic_int_inc (&self->open_connections);
    p->first = first;
    p->count = count;
    p->stream =
        kvam_prefetch_stream_new (self->client, kvam_session_batch_body (self,
            first, count), self->budget, prefetch_done, self);
    GST_DEBUG_OBJECT (self->element, "reading ahead fragments %u-%u", first,
        first + count - 1);
    g_queue_push_tail (&self->prefetches, p);
    first += count;
  }
}

/* The read-ahead response of the batch about to be read, if there is one:
 * those of batches now behind (a seek, a skip) are dropped. */
GInputStream *
kvam_session_take_prefetch (KvamSession * self)
{
  GInputStream *response;
  Prefetch *p;

  while ((p = g_queue_peek_head (&self->prefetches)) &&
      p->first < self->next_fragment)
    prefetch_free (g_queue_pop_head (&self->prefetches));
  if (!p || p->first != self->next_fragment ||
      p->first + p->count != self->batch_end)
    return NULL;
  kvam_prefetch_stream_make_head (p->stream);
  response = G_INPUT_STREAM (g_steal_pointer (&p->stream));
  prefetch_free (g_queue_pop_head (&self->prefetches));
  return response;
}

/* More responses at once while the output waits on the network (reading
 * responses takes most of the time; waiting for the call pacing does not
 * count: more calls would not help); back to one when downstream holds it
 * up (read-ahead bytes pile up while reads seldom wait). @n: bytes out. */
void
kvam_session_adapt_concurrency (KvamSession * self, gsize n)
{
  gint64 now = g_get_monotonic_time ();
  gint64 waited = self->read_wait;
  guint64 used, cap = kvam_budget_get_cap (self->budget);
  gdouble waiting;
  guint before = self->concurrency, after = before;

  self->read_wait = 0;
  if (self->window_start == 0)
    self->window_start = now;
  self->window_wait += waited;
  self->window_bytes += n;
  if (self->window_bytes < ADAPT_WINDOW_BYTES ||
      now - self->window_start < ADAPT_WINDOW_US)
    return;
  waiting = (gdouble) self->window_wait / MAX (now - self->window_start, 1);
  used = kvam_budget_get_used (self->budget);
  if (waiting > 0.5 && used < cap / 2)
    after = MIN (before + 1, self->max_concurrent);
  else if (waiting < 0.1 && used >= cap / 2)
    after = MAX (before - 1, 1);
  if (after != before) {
    GST_INFO_OBJECT (self->element, "waited on the network %.0f%% of the "
        "time, %" G_GUINT64_FORMAT " bytes read ahead: %u responses at once",
        waiting * 100, used, after);
    g_mutex_lock (&self->stats_lock);
    self->concurrency = after;
    g_mutex_unlock (&self->stats_lock);
  }
  self->window_start = now;
  self->window_wait = self->window_bytes = 0;
  if (after > before && !self->live)
    kvam_session_start_prefetches (self);
}

/* An own response that ended whole: batches of about a second of what it
 * delivered, never over the budget's share. */
void
kvam_session_time_response (KvamSession * self)
{
  gint64 took = g_get_monotonic_time () - self->response_opened;
  guint64 rate;

  if (!self->response_opened || self->response_bytes < TIMED_RESPONSE_BYTES
      || took <= 0)
    return;
  rate = self->response_bytes * G_USEC_PER_SEC / took;
  self->batch_bytes = MIN (MAX (rate, self->min_batch_bytes),
      self->max_batch_bytes);
  GST_DEBUG_OBJECT (self->element, "a response delivered %" G_GUINT64_FORMAT
      " bytes/s: batches of %" G_GUINT64_FORMAT " bytes", rate,
      self->batch_bytes);
}

gboolean
kvam_session_batch_ahead (KvamSession * self, guint first, guint * count)
{
  Prefetch *ahead = g_queue_peek_head (&self->prefetches);

  if (!ahead || ahead->first != first)
    return FALSE;
  *count = ahead->count;
  return TRUE;
}
