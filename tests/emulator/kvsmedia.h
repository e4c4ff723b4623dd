/* kvs-emulator: fragments and their Matroska documents
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A group of pictures cut from a Matroska file: the header a fragment
 * document starts with, and its clusters with timecodes relative to the
 * group's start. Shared by every fragment that replays it. */
typedef struct _KvsGop KvsGop;

typedef struct
{
  gchar number[48];             /* 47 decimal digits */
  gint64 producer_ms;           /* epoch milliseconds */
  gint64 server_ms;
  guint duration_ms;
  guint64 size;                 /* bytes of its document */
  gboolean listed_unusable;     /* listed with a producer time of -1 */
  KvsGop *gop;                  /* replayed with new tags and timecodes, or */
  GBytes *document;             /* a capture's document, sent as it is */
} KvsFragment;

typedef enum
{
  KVS_TAGS_REAL,                /* AWS_KINESISVIDEO_SERVER_TIMESTAMP, _ERROR_CODE */
  KVS_TAGS_DOCUMENTED,          /* _SERVER_SIDE_TIMESTAMP, _EXCEPTION_ERROR_CODE */
} KvsTagStyle;

/* Cut a Matroska file into groups of about @seconds starting at keyframes. */
GPtrArray *kvs_media_split_matroska (const guint8 * data, gsize size,
    guint seconds, GError ** error);
/* Encode @gops groups of @seconds of test video with GStreamer and cut them
 * (kvssynthetic.c). */
GPtrArray *kvs_media_synthesize (guint gops, guint seconds, guint width,
    guint height, GError ** error);
/* The same with AAC sound. The last sound frame of a group starts up to one
 * frame after the group's end, as producers write them: the groups tile
 * the sound exactly when replayed in a cycle of *@gops groups (set to the
 * shortest cycle that holds whole sound frames). Sound frames are
 * BlockGroups. With @overlap each group also begins with the last 64 ms
 * of sound of the group before, at the same times: the sound overlaps
 * itself from fragment to fragment. */
GPtrArray *kvs_media_synthesize_av (guint * gops, guint seconds, guint width,
    guint height, gboolean overlap, GError ** error);

/* EBML header, unknown-size Segment, Info without Duration and Tracks of a
 * Matroska file with a 1 ms TimecodeScale; *@first_cluster: where the
 * Segment's first Cluster (or its end) is. */
GBytes *kvs_media_read_header (const guint8 * data, gsize size,
    gsize * first_cluster, GError ** error);
KvsGop *kvs_gop_new (GBytes * header, guint duration_ms);
/* Takes @children: the cluster's content but its Timecode. */
void kvs_gop_add_cluster (KvsGop * gop, guint rel_ms, GBytes * children);
/* The fragments of a GetMedia capture, with their own AWS tags. */
GPtrArray *kvs_media_split_capture (const guint8 * data, gsize size,
    GError ** error);

guint kvs_gop_duration_ms (const KvsGop * gop);
void kvs_gop_set_duration_ms (KvsGop * gop, guint duration_ms);
void kvs_gop_free (KvsGop * gop);

/* Fills number, sizes and durations of a fragment replaying @gop. */
void kvs_fragment_init_from_gop (KvsFragment * frag, KvsGop * gop,
    const gchar * number, gint64 producer_ms, gint64 server_ms,
    KvsTagStyle style);

/* The pieces of @frag's document, in order (GBytes), so a response can be
 * written piece by piece without building it whole. */
GPtrArray *kvs_fragment_pieces (const KvsFragment * frag, KvsTagStyle style);
/* An in-band error document for @number. */
GBytes *kvs_media_error_document (const gchar * number, const gchar * code,
    const gchar * message, KvsTagStyle style);

/* "1764000002.123": the form AWS tags carry */
gchar *kvs_media_format_tag_time (gint64 epoch_ms);

G_END_DECLS
