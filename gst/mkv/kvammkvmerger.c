/* kvamsrc: the merger's state: documents, events, the input consumed
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the merger's files share, below all of them: the scanner
 * (kvammkvmscan.c), the timeline and resync call these and nothing calls
 * back up.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmerger.h"
#include "kvammkvmergerpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_merger_debug);

/* The category, for the merger's files: a global would be defined twice
 * where the core library is linked into a program and the plugin it loads
 * (AddressSanitizer's ODR check). */
GstDebugCategory *
kvam_merger_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_merger_debug, "kvammkvmerger", 0,
        "kvamsrc Matroska merger");
    g_once_init_leave (&once, 1);
  }
  return kvam_merger_debug;
}

void
kvam_merger_event_free (KvamMergerEvent * ev)
{
  g_free (ev->producer_tag);
  g_free (ev->server_tag);
  g_free (ev->code);
  g_free (ev->message);
  g_free (ev);
}

void
kvam_merger_document_clear (Document * d)
{
  g_clear_pointer (&d->ebml, g_bytes_unref);
  g_clear_pointer (&d->info, g_bytes_unref);
  g_free (d->number);
  g_free (d->producer);
  g_free (d->server);
  g_free (d->error_code);
  g_free (d->error_message);
  memset (d, 0, sizeof (*d));
  d->first_cluster_tc = -1;
  d->last_cluster_out = 0;
  d->last_cluster_tc = -1;
  d->last_frame_out = -1;
  d->scale = DEFAULT_TIMECODE_SCALE;
}

GPtrArray *
kvam_mkv_merger_take_events (KvamMkvMerger * self)
{
  GPtrArray *events = self->events;

  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvam_merger_event_free);
  return events;
}

KvamMergerEvent *
kvam_merger_add_event (KvamMkvMerger * self, KvamMergerEventType type)
{
  KvamMergerEvent *ev = g_new0 (KvamMergerEvent, 1);

  ev->type = type;
  ev->fragment = self->current;
  ev->first_frame = GST_CLOCK_TIME_NONE;
  g_ptr_array_add (self->events, ev);
  return ev;
}

void
kvam_merger_end_document (KvamMkvMerger * self)
{
  Document *d = &self->doc;

  if (!d->active)
    return;
  kvam_merger_add_event (self, KVAM_MERGER_FRAGMENT_DONE);
  self->complete++;
  kvam_merger_document_clear (d);
}

const KvamFragment *
kvam_merger_expected_fragment (KvamMkvMerger * self)
{
  return self->current < self->n_expected ? self->expected[self->current] :
      NULL;
}

void
kvam_merger_consume (KvamMkvMerger * self, gsize n)
{
  self->in_pos += n;
  self->response_pos += n;
  self->checked = 0;
  if (self->doc.active)
    self->doc.bytes += n;
  if (self->level == LEVEL_CLUSTER && self->cluster_left != UNKNOWN)
    self->cluster_left -= MIN (n, self->cluster_left);
  if (self->level >= LEVEL_SEGMENT && self->segment_left != UNKNOWN)
    self->segment_left -= MIN (n, self->segment_left);
}

gboolean
kvam_merger_malformed (KvamMkvMerger * self, GError ** error,
    const gchar * what)
{
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
      "Malformed Matroska at byte %" G_GUINT64_FORMAT " of the response: %s",
      self->response_pos, what);
  return FALSE;
}

void
kvam_mkv_merger_set_duration (KvamMkvMerger * self, GstClockTime duration)
{
  self->duration = duration;
}

guint64
kvam_mkv_merger_get_segment_start (KvamMkvMerger * self)
{
  return self->header_written ? self->segment_start : 0;
}

guint64
kvam_mkv_merger_get_first_track (KvamMkvMerger * self)
{
  return self->first_track ? self->first_track : 1;
}

guint64
kvam_mkv_merger_get_scale (KvamMkvMerger * self)
{
  return self->scale;
}

guint64
kvam_mkv_merger_get_dropped (KvamMkvMerger * self)
{
  return self->dropped;
}

void
kvam_mkv_merger_seek (KvamMkvMerger * self)
{
  /* frames from the new position need not follow the old ones */
  g_array_set_size (self->track_times, 0);
}
