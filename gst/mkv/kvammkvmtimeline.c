/* kvamsrc: where the merger puts clusters and frames on the output timeline
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each fragment's first cluster at its listed time minus the range's
 * first, exactly; per track, a frame that does not come after what
 * earlier fragments wrote is dropped; a resumed fragment lands where an
 * uncut one did.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmtimeline.h"
#include "kvammkvmio.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_merger_debug_category ()

/* Track number and relative timecode of a SimpleBlock or of the Block in
 * a BlockGroup. */
static gboolean
block_info (const Element * e, guint64 * track, gint16 * tc)
{
  const guint8 *p = PAYLOAD (e);
  gsize n = PAYLOAD_SIZE (e);
  guint track_len;

  if (e->h.id == KVAM_EBML_ID_BLOCKGROUP) {
    gsize pos = 0;
    while (pos < n) {
      KvamEbmlHeader h;
      if (kvam_ebml_read_header (p + pos, n - pos, &h) != KVAM_EBML_OK ||
          h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > n - pos - h.header_len)
        return FALSE;
      if (h.id == KVAM_EBML_ID_BLOCK) {
        p += pos + h.header_len;
        n = h.size;
        break;
      }
      pos += h.header_len + h.size;
    }
    if (pos >= PAYLOAD_SIZE (e))
      return FALSE;
  }
  if (n < 1)
    return FALSE;
  track_len = kvam_ebml_vint_length (p[0], 4);
  if (track_len == 0 || n < track_len + 3)
    return FALSE;
  /* a vint of L bytes: the length marker is bit 7L */
  *track = kvam_ebml_read_uint (p, track_len) &
      ((G_GUINT64_CONSTANT (1) << (7 * track_len)) - 1);
  *tc = (gint16) ((p[track_len] << 8) | p[track_len + 1]);
  return TRUE;
}

/* Output timecode of the document's first cluster: its listed time from
 * the range base, exactly, so nothing accumulates from fragment to
 * fragment (tracks may overlap: the last audio frame of a fragment often
 * starts after the next fragment's listed time). */
static gint64
document_base (KvamMkvMerger * self)
{
  const KvamFragment *f = kvam_merger_expected_fragment (self);

  if (!GST_CLOCK_TIME_IS_VALID (self->base))
    return self->doc.first_cluster_tc;
  return f && f->producer > self->base ?
      (gint64) MIN ((f->producer - self->base) / self->scale, MAX_TICKS) : 0;
}

/* A cluster's Timecode (or its first frame, when it has none) was read:
 * where the cluster goes in the output, never before the document's last
 * one. Runs for skipped clusters too, so a resumed response places the
 * rest of a fragment as an uncut one did. */
void
kvam_merger_begin_cluster_time (KvamMkvMerger * self, guint64 tc)
{
  Document *d = &self->doc;

  self->cluster_tc = (gint64) MIN (tc, (guint64) MAX_TICKS);
  if (d->first_cluster_tc < 0)
    d->first_cluster_tc = self->cluster_tc;
  if (!d->has_base) {
    d->base = document_base (self);
    d->has_base = TRUE;
  }
  self->cluster_out = MAX (d->base + (self->cluster_tc - d->first_cluster_tc),
      d->last_cluster_out);
  /* a timecode that does not move on (backwards, or the same again): the
   * cluster goes after the document's frames so far */
  if (d->last_cluster_tc >= 0 && self->cluster_tc <= d->last_cluster_tc)
    self->cluster_out = MAX (self->cluster_out, d->last_frame_out + 1);
  self->cluster_out = MAX (self->cluster_out, 0);
  d->last_cluster_out = self->cluster_out;
  d->last_cluster_tc = self->cluster_tc;
}

static TrackTime *
track_time (KvamMkvMerger * self, guint64 track)
{
  TrackTime add = { track, -1, -1 };
  guint i;

  for (i = 0; i < self->track_times->len; i++)
    if (g_array_index (self->track_times, TrackTime, i).track == track)
      return &g_array_index (self->track_times, TrackTime, i);
  if (self->track_times->len >= MAX_TRACKS)
    return NULL;
  g_array_append_val (self->track_times, add);
  return &g_array_index (self->track_times, TrackTime, i);
}

/* Whether a frame of @track at @t goes out. Each track stays monotonic
 * across fragments: a frame that would not come after what earlier
 * fragments wrote of its track (a producer's sound that overlaps the next
 * fragment, fragments listed with overlapping times) is dropped, and
 * nothing moves, so another track never shifts and nothing accumulates.
 * Within a fragment frames are left as they are (B-frames go back), and
 * nothing goes before the range's start. */
static gboolean
keep_frame (KvamMkvMerger * self, guint64 track, gint64 t)
{
  Document *d = &self->doc;
  guint64 bit = track < 64 ? G_GUINT64_CONSTANT (1) << track : 0;
  TrackTime *tt;

  if (!GST_CLOCK_TIME_IS_VALID (self->base))
    return TRUE;
  tt = track_time (self, track);
  if (tt && bit && !(d->tracks_seen & bit)) {
    /* the track's first frame in this document: earlier ones end here */
    d->tracks_seen |= bit;
    tt->floor = tt->last;
  }
  if (t >= 0 && (!tt || tt->floor < 0 || t > tt->floor))
    return TRUE;
  self->dropped++;
  if (!d->dropped++)
    GST_INFO ("fragment %u: a frame of track %" G_GUINT64_FORMAT " at %"
        G_GINT64_FORMAT " ticks does not come after the track's last (%"
        G_GINT64_FORMAT "): dropped, as are any more of this fragment's",
        self->current, track, t, tt ? tt->floor : -1);
  return FALSE;
}

static void
write_cluster_header (KvamMkvMerger * self)
{
  g_autoptr (GByteArray) tc = g_byte_array_new ();

  /* unknown size: a cut can end it anywhere between complete elements */
  kvam_ebml_start_unknown (tc, KVAM_EBML_ID_CLUSTER);
  kvam_ebml_write_uint (tc, KVAM_EBML_ID_TIMECODE, self->cluster_out);
  kvam_merger_write_bytes (self, tc->data, tc->len);
  self->cluster_written = TRUE;
}

static void
handle_block (KvamMkvMerger * self, const Element * e)
{
  Document *d = &self->doc;
  guint64 track = 0;
  gint16 rel = 0;
  TrackTime *tt;
  gint64 t;

  if (self->cluster_tc < 0)
    kvam_merger_begin_cluster_time (self, 0);   /* a cluster without a Timecode */
  block_info (e, &track, &rel);
  d->blocks++;
  if (d->blocks <= d->skip) {
    /* written before the cut, where it is now */
    d->last_frame_out = MAX (d->last_frame_out, self->cluster_out + rel);
    return;
  }
  if (!self->header_written)
    return;
  t = self->cluster_out + rel;
  d->last_frame_out = MAX (d->last_frame_out, t);
  if (!keep_frame (self, track, t))
    return;
  if (!self->first_track)
    self->first_track = track;
  if (!self->cluster_written)
    write_cluster_header (self);
  kvam_merger_write_input (self, e->data, e->size);

  if (!d->started) {
    KvamMergerEvent *ev =
        kvam_merger_add_event (self, KVAM_MERGER_FRAGMENT_STARTED);
    ev->first_frame = (GstClockTime) MAX (t, 0) * self->scale;
    ev->producer_tag = g_strdup (d->producer);
    ev->server_tag = g_strdup (d->server);
    d->started = TRUE;
  }
  tt = track_time (self, track);
  if (tt)
    tt->last = MAX (tt->last, t);
}

void
kvam_merger_handle_cluster_child (KvamMkvMerger * self, const Element * e)
{
  switch (e->h.id) {
    case KVAM_EBML_ID_TIMECODE:
      if (self->cluster_tc < 0)
        kvam_merger_begin_cluster_time (self, kvam_ebml_read_uint (PAYLOAD (e),
                PAYLOAD_SIZE (e)));
      break;
    case KVAM_EBML_ID_SIMPLEBLOCK:
    case KVAM_EBML_ID_BLOCKGROUP:
      handle_block (self, e);
      break;
    case KVAM_EBML_ID_CRC32:
    case KVAM_EBML_ID_POSITION:
    case KVAM_EBML_ID_PREVSIZE:
    case KVAM_EBML_ID_VOID:
      break;                    /* wrong or useless once merged */
    default:
      if (self->cluster_written && self->header_written)
        kvam_merger_write_input (self, e->data, e->size);
      break;
  }
}
