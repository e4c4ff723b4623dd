/* kvamsrc: merges per-fragment Matroska documents into one stream
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include "kvamfragment.h"

G_BEGIN_DECLS

/* An incremental EBML scanner over GetMediaForFragmentList responses. Out
 * comes one Matroska stream: the EBML header, an unknown-size Segment, Info
 * and Tracks once; then each fragment's Clusters, with cluster timecodes
 * rebased on the fragment's listed time (its Tags are read, checked and
 * reported in events, not written). Repeated headers are
 * dropped, a changed Tracks is passed on. Elements inside a cluster are
 * written only when complete and clusters have unknown size, so a response
 * cut anywhere leaves the output valid; a resumed fragment skips the blocks
 * already written. */
typedef struct _KvamMkvMerger KvamMkvMerger;

typedef enum
{
  KVAM_MERGER_FRAGMENT_STARTED, /* its first frame was written */
  KVAM_MERGER_FRAGMENT_DONE,    /* its document ended, all of it written */
  KVAM_MERGER_FRAGMENT_ERROR,   /* an in-band error document: the merger
                                 * takes nothing more of this response */
  KVAM_MERGER_FRAGMENT_DAMAGED, /* its document broke off (message says how):
                                 * what came before stays written, the rest
                                 * is dropped up to the next document */
} KvamMergerEventType;

typedef struct
{
  KvamMergerEventType type;
  guint fragment;               /* position in the response's list */
  GstClockTime first_frame;     /* STARTED: output time of its first frame */
  gchar *producer_tag;          /* STARTED: AWS tags as read, or NULL */
  gchar *server_tag;
  gchar *code;                  /* ERROR */
  gchar *message;               /* ERROR, DAMAGED */
  gsize output_offset;          /* DAMAGED: bytes the push wrote before the
                                 * gap (output that follows is after it) */
} KvamMergerEvent;

void kvam_merger_event_free (KvamMergerEvent * ev);

/* @base: epoch time that becomes output time 0; GST_CLOCK_TIME_NONE keeps
 * the producer's timecodes. */
KvamMkvMerger *kvam_mkv_merger_new (GstClockTime base);
void kvam_mkv_merger_free (KvamMkvMerger * merger);

/* How far a cut response got into its first incomplete fragment. */
typedef struct
{
  guint blocks_written;         /* frames already written */
  guint64 bytes_seen;           /* of its document */
  /* the output time its frames were placed at, so the rest of it lands
   * exactly where an uncut response would have put it */
  gboolean has_base;
  gint64 base;                  /* output ticks of its first cluster */
  guint64 tracks_seen;          /* bit n: track n had a frame written */
} KvamMergerResume;

/* A response for @fragments (in order) starts. @resume, if not NULL, says
 * what a cut response already did with the first of them. */
void kvam_mkv_merger_begin_response (KvamMkvMerger * merger,
    const KvamFragment * const *fragments, guint n_fragments,
    const KvamMergerResume * resume);

/* Feeds response bytes; returns the merged bytes they complete (maybe
 * none) or NULL with @error on data that is not what was asked for. */
GBytes *kvam_mkv_merger_push (KvamMkvMerger * merger, const guint8 * data,
    gsize size, GError ** error);
/* The same without a copy into the merger: read up to @size bytes straight
 * into the buffer _take_input_space() returns, then merge the @used of them
 * with _push_input_buffer(): a buffer whose memories are slices of the
 * input (the frames) and what the merger wrote between them, so frame data
 * is not copied. */
guint8 *kvam_mkv_merger_take_input_space (KvamMkvMerger * merger,
    gsize size);
GstBuffer *kvam_mkv_merger_push_input_buffer (KvamMkvMerger * merger,
    gsize used, GError ** error);
/* Nothing was read into it. */
void kvam_mkv_merger_return_input_space (KvamMkvMerger * merger);

/* Events since the last call, oldest first (KvamMergerEvent). */
GPtrArray *kvam_mkv_merger_take_events (KvamMkvMerger * merger);

/* The response ended (or was abandoned). Returns how many of its fragments
 * were complete; fills @resume for the next one if it was begun. */
guint kvam_mkv_merger_end_response (KvamMkvMerger * merger,
    KvamMergerResume * resume);

/* The range's duration, written in Info if set before the stream header
 * goes out. */
void kvam_mkv_merger_set_duration (KvamMkvMerger * merger,
    GstClockTime duration);
/* Bytes of the output before the Segment's data (0 before the header). */
guint64 kvam_mkv_merger_get_segment_start (KvamMkvMerger * merger);
/* The track of the first frame written (1 before one): the Cues' track. */
guint64 kvam_mkv_merger_get_first_track (KvamMkvMerger * merger);
/* ns per timecode tick of the output */
guint64 kvam_mkv_merger_get_scale (KvamMkvMerger * merger);
/* Frames dropped so far because they would not come after their track's
 * last (tracks that overlap themselves from fragment to fragment). */
guint64 kvam_mkv_merger_get_dropped (KvamMkvMerger * merger);
/* Output starts again at another fragment (a seek): a track's frames need
 * not come after the ones written before. */
void kvam_mkv_merger_seek (KvamMkvMerger * merger);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamMkvMerger, kvam_mkv_merger_free)

G_END_DECLS
