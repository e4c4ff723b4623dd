/* kvamsrc: what a session's merger reports: messages, counts, gaps
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The merger says when a fragment starts (a kvam-fragment message, posted
 * with the next buffer), ends (counted as delivered once its last frame
 * went out), answers an in-band error (retried, then skipped or an error)
 * or breaks off (skipped with a warning, its gap marked DISCONT).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsessionpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_session_events_debug);
#define GST_CAT_DEFAULT kvam_session_events_debug

void
kvam_session_events_init (void)
{
  GST_DEBUG_CATEGORY_INIT (kvam_session_events_debug, "kvamsessionevents",
      0, "kvamsrc fragment messages, counts and gaps");
}

const KvamFragment *
kvam_session_batch_fragment (KvamSession * self, guint i)
{
  return i < self->batch->len ? self->batch->pdata[i] : NULL;
}

/* The message that goes out with the buffer holding a fragment's first
 * frame. The AWS tags it carried are checked against the listing. */
static void
queue_fragment_message (KvamSession * self, const KvamMergerEvent * ev)
{
  const KvamFragment *f = kvam_session_batch_fragment (self, ev->fragment);
  GstStructure *s;

  if (!f)
    return;
  if (ev->producer_tag) {
    gdouble tag = g_ascii_strtod (ev->producer_tag, NULL);
    if (ABS (tag * 1000.0 - (gdouble) (f->producer / GST_MSECOND)) > 1.0)
      GST_WARNING_OBJECT (self->element,
          "fragment %s: producer time tag %s differs " "from the listing",
          f->number, ev->producer_tag);
  }
  s = gst_structure_new ("kvam-fragment",
      "fragment-number", G_TYPE_STRING, f->number,
      "producer-timestamp", G_TYPE_UINT64, f->producer,
      "server-timestamp", G_TYPE_UINT64, f->server,
      "duration", G_TYPE_UINT64, f->duration,
      "size", G_TYPE_UINT64, f->size,
      "timestamp", G_TYPE_UINT64, ev->first_frame, NULL);
  g_ptr_array_add (self->pending_messages,
      gst_message_new_element (GST_OBJECT (self->element), s));
  g_mutex_lock (&self->stats_lock);
  self->current_producer = f->producer;
  g_mutex_unlock (&self->stats_lock);
}

void
kvam_session_post_pending_messages (KvamSession * self)
{
  guint i;

  for (i = 0; i < self->pending_messages->len; i++)
    gst_element_post_message (self->element,
        gst_message_ref (self->pending_messages->pdata[i]));
  g_ptr_array_set_size (self->pending_messages, 0);
}

/* A fragment counts as delivered once its last frame has gone out: the
 * merger knows a document ended only when the next one begins (or the
 * response ends), by which time its last frame was returned. */
void
kvam_session_count_delivered (KvamSession * self)
{
  if (self->pending_delivered == 0)
    return;
  g_mutex_lock (&self->stats_lock);
  self->delivered += self->pending_delivered;
  g_mutex_unlock (&self->stats_lock);
  self->pending_delivered = 0;
}

/* A fragment that cannot be played whole: an error that stops (with
 * on-fragment-error=fail, @fail_text), else a warning (@skip_text) and
 * counted as skipped. Texts taken; @err (may be NULL) says what AWS said.
 * FALSE when it stops. */
static gboolean
fail_or_skip (KvamSession * self, const KvamFragment * f, GQuark domain,
    gint code, const KvamAwsError * err, gchar * fail_text, gchar * skip_text)
{
  if (self->fail_on_fragment_error) {
    kvam_session_post (self, GST_MESSAGE_ERROR, domain, code, f, err,
        fail_text);
    g_free (skip_text);
    return FALSE;
  }
  kvam_session_post (self, GST_MESSAGE_WARNING, domain, code, f, err,
      skip_text);
  g_free (fail_text);
  g_mutex_lock (&self->stats_lock);
  self->skipped++;
  g_mutex_unlock (&self->stats_lock);
  return TRUE;
}

/* A fragment that keeps failing (in-band errors, or a document that never
 * arrives whole): skip it with a warning, or stop, as the property says. */
gboolean
kvam_session_give_up_on_fragment (KvamSession * self, const KvamFragment * f,
    const gchar * code, const gchar * message)
{
  KvamAwsError err = { KVAM_AWS_ERROR_SERVER,
    "GetMediaForFragmentList", 0, (gchar *) code, (gchar *) message, NULL
  };

  if (!fail_or_skip (self, f, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
          &err, g_strdup_printf ("Stream '%s': fragment %s failed: %s (%s)",
              self->stream, f->number, code, GST_STR_NULL (message)),
          g_strdup_printf ("Stream '%s': skipping fragment %s after %u "
              "attempts: %s (%s)", self->stream, f->number,
              self->retry_attempts + 1, code, GST_STR_NULL (message))))
    return FALSE;
  self->next_fragment++;
  self->fragment_failures = 0;
  self->failures = 0;
  memset (&self->resume, 0, sizeof (self->resume));
  /* what was merged so far comes before the gap */
  self->discont_next = TRUE;
  return TRUE;
}

/* A fragment whose document broke off in the middle of a response (stored
 * truncated, say): the merger kept what came before and went on with the
 * next one. Warn and mark the gap, or stop, as on-fragment-error says. */
static gboolean
fragment_damaged (KvamSession * self, const KvamFragment * f, const gchar * why)
{
  return fail_or_skip (self, f, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX, NULL,
      g_strdup_printf ("Stream '%s': fragment %s is damaged: %s",
          self->stream, f->number, why),
      g_strdup_printf ("Stream '%s': fragment %s is damaged (%s): the rest "
          "of it is skipped", self->stream, f->number, why));
}

/* Events of the last push: messages, counts, in-band errors. FALSE to stop
 * (error posted); *@abandon when the response must be dropped; @gaps gets
 * where in the push's output each damaged fragment left a gap. */
gboolean
kvam_session_handle_merger_events (KvamSession * self, gboolean * abandon,
    GArray * gaps)
{
  g_autoptr (GPtrArray) events = kvam_mkv_merger_take_events (self->merger);
  guint i;

  for (i = 0; i < events->len; i++) {
    KvamMergerEvent *ev = events->pdata[i];

    if (ev->type == KVAM_MERGER_FRAGMENT_STARTED) {
      queue_fragment_message (self, ev);
    } else if (ev->type == KVAM_MERGER_FRAGMENT_DONE) {
      self->fragment_failures = 0;
      self->pending_delivered++;
    } else if (ev->type == KVAM_MERGER_FRAGMENT_DAMAGED) {
      self->fragment_failures = 0;
      if (!fragment_damaged (self, kvam_session_batch_fragment (self,
                  ev->fragment), ev->message))
        return FALSE;
      g_array_append_val (gaps, ev->output_offset);
    } else {
      *abandon = TRUE;
      self->fragment_failures++;
      GST_INFO_OBJECT (self->element, "fragment %s: %s (attempt %u)",
          kvam_session_batch_fragment (self, ev->fragment)->number, ev->code,
          self->fragment_failures);
      /* positions before it were completed by DONE events */
      if (self->fragment_failures > self->retry_attempts)
        return kvam_session_give_up_on_fragment (self,
            kvam_session_batch_fragment (self, ev->fragment), ev->code,
            ev->message);
    }
  }
  return TRUE;
}


/* A push's output with a damaged fragment's gap inside goes out in pieces,
 * so that DISCONT marks the buffer right after each gap: matroskademux
 * marks the first frame of a DISCONT buffer, and a gap in the middle of
 * one would go unmarked. Returns the first piece (or NULL); the others
 * wait in held. */
GstBuffer *
kvam_session_split_at_gaps (KvamSession * self, GstBuffer * merged,
    GArray * gaps)
{
  gsize size = gst_buffer_get_size (merged), from = 0;
  GstBuffer *first = NULL;
  gboolean after_gap = FALSE;
  guint i;

  for (i = 0; i <= gaps->len; i++) {
    gsize to = i < gaps->len ? MIN (g_array_index (gaps, gsize, i), size) :
        size;

    if (to > from) {
      GstBuffer *piece = gst_buffer_copy_region (merged,
          GST_BUFFER_COPY_MEMORY, from, to - from);

      if (after_gap)
        GST_BUFFER_FLAG_SET (piece, GST_BUFFER_FLAG_DISCONT);
      if (!first)
        first = piece;
      else
        g_queue_push_tail (&self->held, piece);
      after_gap = FALSE;
      from = to;
    }
    if (i < gaps->len)
      after_gap = TRUE;
  }
  if (after_gap)
    self->discont_next = TRUE;  /* the gap is at the end */
  gst_buffer_unref (merged);
  return first;
}
