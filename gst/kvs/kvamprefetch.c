/* kvamsrc: media responses read ahead, within a byte budget
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One response on AWS is capped at 25 MB/s, so an export reads the next
 * batches' responses while the current one is merged. A read-ahead response
 * is a GInputStream: the session reads it as it reads one of its own, and
 * everything it does about cuts and stalls applies unchanged (the reader
 * thread passes the end, or the error, on in order).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamprefetch.h"
#include "kvamwait.h"

#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_prefetch_debug);
#define GST_CAT_DEFAULT kvam_prefetch_debug

#define BLOCK_SIZE (64 * 1024)

/* The last quarter of the budget is the head response's alone: the other
 * read-ahead responses stop at cap - reserve, so the one the session reads
 * always has room for a block once it handed over what it held, however
 * the others filled theirs (else they wait on the session, which waits on
 * the head: a deadlock). */
struct _KvamBudget
{
  GMutex lock;
  GCond cond;
  guint64 cap, reserve, used;
};

KvamBudget *
kvam_budget_new (guint64 cap)
{
  KvamBudget *b = g_new0 (KvamBudget, 1);

  g_mutex_init (&b->lock);
  g_cond_init (&b->cond);
  b->cap = MAX (cap, 4 * BLOCK_SIZE);
  b->reserve = MAX (b->cap / 4, BLOCK_SIZE);
  return b;
}

void
kvam_budget_free (KvamBudget * b)
{
  if (!b)
    return;
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->cond);
  g_free (b);
}

guint64
kvam_budget_get_used (KvamBudget * b)
{
  guint64 used;

  g_mutex_lock (&b->lock);
  used = b->used;
  g_mutex_unlock (&b->lock);
  return used;
}

guint64
kvam_budget_get_cap (KvamBudget * b)
{
  return b->cap;
}

static void
budget_give_back (KvamBudget * b, guint64 n)
{
  g_mutex_lock (&b->lock);
  b->used -= MIN (n, b->used);
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
}

/* Waits for room for a block, up to the whole cap for the head response
 * (*@head, read under the lock: it may change while waiting); FALSE when
 * cancelled. */
static gboolean
budget_take (KvamBudget * b, guint64 n, const gboolean * head,
    GCancellable * cancellable)
{
  KvamCancelWake wake;
  gboolean ok;

  kvam_cancel_wake_connect (&wake, cancellable, &b->lock, &b->cond);
  g_mutex_lock (&b->lock);
  while (b->used + n > b->cap - (*head ? 0 : b->reserve) &&
      !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&b->cond, &b->lock);
  ok = !g_cancellable_is_cancelled (cancellable);
  if (ok)
    b->used += n;
  g_mutex_unlock (&b->lock);
  kvam_cancel_wake_disconnect (&wake);
  return ok;
}

/* ---- the stream ---------------------------------------------------------- */

struct _KvamPrefetchStream
{
  GInputStream parent;

  KvamClient *client;           /* not owned: outlives the session */
  gchar *body;
  KvamBudget *budget;           /* the session's */
  GDestroyNotify on_done;
  gpointer user_data;
  GCancellable *cancellable;    /* the reader thread's */
  GThread *thread;
  gboolean head;                /* the session reads it: protected by the
                                 * budget's lock */

  GMutex lock;
  GCond cond;
  GQueue blocks;                /* GBytes read, not yet taken */
  gsize offset;                 /* into the head block */
  guint64 buffered;
  gboolean ended;
  GError *error;                /* what ended it, after the blocks */
};

G_DEFINE_TYPE (KvamPrefetchStream, kvam_prefetch_stream, G_TYPE_INPUT_STREAM);

static void
finish_reading (KvamPrefetchStream * self, GError * error)
{
  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  self->error = error;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (self->on_done)
    self->on_done (self->user_data);
}

static GError *
error_from_aws (const KvamAwsError * err)
{
  /* a response that could not be opened reads as a broken one: the
   * session tries again, and reports the error if that fails too */
  return g_error_new (G_IO_ERROR, err->kind == KVAM_AWS_ERROR_CANCELLED ?
      G_IO_ERROR_CANCELLED : G_IO_ERROR_FAILED,
      "the read-ahead request failed: %s", GST_STR_NULL (err->message));
}

static gpointer
reader_thread (gpointer data)
{
  KvamPrefetchStream *self = data;
  KvamAwsError err = { 0 };
  GInputStream *response;
  GError *error = NULL;

  response = kvam_client_open_text (self->client,
      KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, self->body, self->cancellable,
      &err);
  if (!response) {
    GST_DEBUG ("read-ahead response %p could not open: %s", self,
        err.message ? err.message : "");
    finish_reading (self, error_from_aws (&err));
    kvam_aws_error_clear (&err);
    return NULL;
  }
  GST_DEBUG ("read-ahead response %p open", self);
  while (TRUE) {
    guint8 *buf;
    gssize n;

    if (!budget_take (self->budget, BLOCK_SIZE, &self->head, self->cancellable)) {
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
          "cancelled");
      break;
    }
    buf = g_malloc (BLOCK_SIZE);
    n = g_input_stream_read (response, buf, BLOCK_SIZE, self->cancellable,
        &error);
    budget_give_back (self->budget, BLOCK_SIZE - MAX (n, 0));
    if (n <= 0) {
      g_free (buf);
      break;
    }
    g_mutex_lock (&self->lock);
    g_queue_push_tail (&self->blocks, g_bytes_new_take (g_realloc (buf, n), n));
    self->buffered += n;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  g_object_unref (response);
  GST_DEBUG ("read-ahead response %p ended%s%s", self, error ? ": " : "",
      error ? error->message : "");
  finish_reading (self, error);
  return NULL;
}

/* Copies out up to @count bytes of the blocks queued, across blocks: one
 * read of the session's is one merge and one push. */
static gsize
take_blocks (KvamPrefetchStream * self, guint8 * out, gsize count)
{
  gsize n = 0;

  while (n < count && !g_queue_is_empty (&self->blocks)) {
    GBytes *head = g_queue_peek_head (&self->blocks);
    gsize size, part;
    const guint8 *data = g_bytes_get_data (head, &size);

    part = MIN (size - self->offset, count - n);
    memcpy (out + n, data + self->offset, part);
    n += part;
    self->offset += part;
    if (self->offset == size) {
      g_bytes_unref (g_queue_pop_head (&self->blocks));
      self->offset = 0;
    }
  }
  self->buffered -= n;
  return n;
}

/* Takes up to @count bytes of what was read, in order; blocks until some
 * are there or the response ended. */
static gssize
kvam_prefetch_stream_read (GInputStream * stream, void *out, gsize count,
    GCancellable * cancellable, GError ** error)
{
  KvamPrefetchStream *self = KVAM_PREFETCH_STREAM (stream);
  KvamCancelWake wake;
  gssize n = 0;

  kvam_cancel_wake_connect (&wake, cancellable, &self->lock, &self->cond);
  g_mutex_lock (&self->lock);
  while (g_queue_is_empty (&self->blocks) && !self->ended &&
      !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  if (!g_queue_is_empty (&self->blocks)) {
    n = take_blocks (self, out, count);
  } else if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
    n = -1;
  } else if (self->error) {
    g_propagate_error (error, g_error_copy (self->error));
    n = -1;
  }
  g_mutex_unlock (&self->lock);
  if (n > 0)
    budget_give_back (self->budget, n);
  kvam_cancel_wake_disconnect (&wake);
  return n;
}

static void
kvam_prefetch_stream_finalize (GObject * object)
{
  KvamPrefetchStream *self = KVAM_PREFETCH_STREAM (object);

  g_cancellable_cancel (self->cancellable);
  g_thread_join (self->thread);
  budget_give_back (self->budget, self->buffered);
  g_queue_clear_full (&self->blocks, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&self->error);
  g_object_unref (self->cancellable);
  g_free (self->body);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (kvam_prefetch_stream_parent_class)->finalize (object);
}

static void
kvam_prefetch_stream_class_init (KvamPrefetchStreamClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = kvam_prefetch_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = kvam_prefetch_stream_read;
}

static void
kvam_prefetch_stream_init (KvamPrefetchStream * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->blocks);
  self->cancellable = g_cancellable_new ();
}

void
kvam_prefetch_stream_make_head (KvamPrefetchStream * self)
{
  KvamBudget *b = self->budget;

  GST_DEBUG ("read-ahead response %p is the one read now", self);
  g_mutex_lock (&b->lock);
  self->head = TRUE;
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
}

KvamPrefetchStream *
kvam_prefetch_stream_new (KvamClient * client, gchar * body,
    KvamBudget * budget, GDestroyNotify on_done, gpointer user_data)
{
  KvamPrefetchStream *self = g_object_new (KVAM_TYPE_PREFETCH_STREAM, NULL);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_prefetch_debug, "kvamprefetch", 0,
        "kvamsrc read-ahead responses");
    g_once_init_leave (&once, 1);
  }
  self->client = client;
  self->body = body;
  self->budget = budget;
  self->on_done = on_done;
  self->user_data = user_data;
  self->thread = g_thread_new ("kvamsrc-prefetch", reader_thread, self);
  return self;
}
