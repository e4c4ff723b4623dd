/* kvamsrc: the merger's insides, shared by its files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Calls run one way: kvammkvmscan.c (reads the response, writes the
 * stream header, Tags and the elements kept) -> kvammkvmtimeline.c (places
 * clusters and frames on the output timeline) and kvammkvmresync.c (finds
 * the next document after a damaged one) -> kvammkvmio.c (the input block
 * and the output pieces) -> kvammkvmerger.c (documents, events, the
 * consumed count: declared here).
 */
#pragma once

#include "kvammkvmerger.h"
#include "kvamebml.h"

G_BEGIN_DECLS

GstDebugCategory *kvam_merger_debug_category (void);

/* no element of a fragment is this large; more means garbage */
#define MAX_ELEMENT_SIZE (256 * 1024 * 1024)
#define DEFAULT_TIMECODE_SCALE 1000000
#define UNKNOWN G_MAXUINT64
/* cluster timecodes are clamped to this many ticks (285 years of ms), so
 * that sums of them never overflow */
#define MAX_TICKS (G_GINT64_CONSTANT (1) << 53)
/* longest tag name or value read (error messages quote them) */
#define MAX_TAG_VALUE 1024
/* tracks whose frame times are kept apart; more in one stream is garbage */
#define MAX_TRACKS 64

typedef enum
{
  LEVEL_DOCUMENT,
  LEVEL_SEGMENT,
  LEVEL_CLUSTER,
} Level;

typedef struct
{
  gboolean active;              /* an EBML header began it */
  gboolean identified;          /* its AWS tags matched the request */
  gboolean started;             /* a frame was written */
  GBytes *ebml;                 /* its EBML header, until the stream has one */
  GBytes *info;                 /* its Info without Duration */
  guint64 scale;                /* ns per timecode tick */
  guint blocks;                 /* seen, written or skipped */
  guint skip;                   /* blocks to skip (a resumed fragment) */
  guint64 bytes;
  gint64 first_cluster_tc;      /* input ticks; -1 before its first cluster */
  gboolean has_base;
  gint64 base;                  /* output ticks of that first cluster */
  gint64 last_cluster_out;      /* output ticks of its latest cluster */
  gint64 last_cluster_tc;       /* input ticks of it; -1 before one */
  gint64 last_frame_out;        /* output ticks of its latest frame; -1 */
  gboolean ebml_seen_segment;   /* its Segment began */
  guint64 tracks_seen;          /* bit n: a frame of track n was placed */
  guint dropped;                /* frames of it not written (overlap) */
  gchar *number, *producer, *server, *error_code, *error_message;
} Document;

struct _KvamMkvMerger
{
  GstClockTime base;            /* NONE: keep producer timecodes */

  /* input (kvammkvmio.c): the response's bytes in a block that slices of
   * the output may still point into */
  GBytes *in_block;
  guint8 *in_data;              /* its memory */
  gsize in_cap;
  gsize in_len;                 /* bytes read into it */
  gsize in_pos;                 /* bytes of it consumed */
  gsize in_space;               /* lent to a reader after in_len */
  gboolean in_shared;           /* a slice of it went out */
  guint64 response_pos;         /* bytes of the response consumed */
  /* output since the last push: pieces, then what is being written */
  GPtrArray *out_pieces;        /* GBytes, in order */
  GByteArray *out;              /* bytes the merger wrote itself */
  gsize slice_off, slice_len;   /* a slice of the input block, growing */
  GPtrArray *events;

  /* the output stream */
  GstClockTime duration;        /* for Info, when known before the header */
  guint64 segment_start;        /* bytes before the Segment's data */
  guint64 first_track;          /* of the first frame written; 0 before */
  gboolean header_written;
  GBytes *tracks;
  GArray *track_times;          /* TrackTime: latest frame of each track */
  guint64 dropped;              /* frames dropped to keep tracks monotonic */
  guint64 scale;

  /* the response */
  const KvamFragment **expected;
  guint n_expected;
  guint current;                /* document position, G_MAXUINT before one */
  guint complete;
  KvamMergerResume resume;

  gboolean halted;              /* an in-band error: stop until the next response */
  gboolean resyncing;           /* a damaged document: skip to an EBML header */
  gboolean resynced;            /* the document read was found so, and is
                                 * not yet identified by its tags */
  gsize checked;                /* input after in_pos searched for the next
                                 * document's start, none found */
  Level level;
  guint64 segment_left;
  guint64 cluster_left;
  gboolean cluster_written;
  gint64 cluster_tc;            /* input ticks; -1 before its Timecode */
  gint64 cluster_out;           /* output ticks of the current cluster */
  Document doc;
};

typedef struct
{
  guint64 track;
  gint64 last;                  /* output ticks of its latest frame */
  gint64 floor;                 /* last before the current document began:
                                 * its frames must come after it */
} TrackTime;

typedef struct
{
  const guint8 *data;           /* the whole element */
  gsize size;
  KvamEbmlHeader h;
} Element;

#define PAYLOAD(e) ((e)->data + (e)->h.header_len)
#define PAYLOAD_SIZE(e) ((e)->size - (e)->h.header_len)


/* kvammkvmerger.c */
void kvam_merger_document_clear (Document * d);
void kvam_merger_end_document (KvamMkvMerger * self);
const KvamFragment *kvam_merger_expected_fragment (KvamMkvMerger * self);
KvamMergerEvent *kvam_merger_add_event (KvamMkvMerger * self,
    KvamMergerEventType type);
void kvam_merger_consume (KvamMkvMerger * self, gsize n);
gboolean kvam_merger_malformed (KvamMkvMerger * self, GError ** error,
    const gchar * what);

G_END_DECLS
