/* kvamsrc: the byte space that lets matroskademux seek kvamsrc's output
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include "kvamfragment.h"

G_BEGIN_DECLS

/* matroskademux (GStreamer 1.22, push mode) seeks only through a Cues
 * index found through the SeekHead: one BYTES seek to the Cues, then one to
 * the cluster of the target (tests/spikes/matroska_push_seek.py). kvamsrc
 * gives each fragment a virtual position, its first cluster at
 * (k + 1) x 1 GiB from the Segment's data, and the Cues one far beyond;
 * a BYTES seek to either is served from there on. Positions here are
 * relative to the Segment's data, as Matroska counts them. */
#define KVAM_SEEK_STRIDE (G_GUINT64_CONSTANT (1) << 30)
#define KVAM_SEEK_CUES_POSITION (G_GUINT64_CONSTANT (1) << 52)
/* fragments that have a position below the Cues' */
#define KVAM_SEEK_MAX_FRAGMENTS ((guint) (KVAM_SEEK_CUES_POSITION / \
        KVAM_SEEK_STRIDE - 2))

guint64 kvam_seek_fragment_position (guint fragment);

/* The fragment whose first cluster is at @position, or -1. */
gint64 kvam_seek_fragment_at (guint64 position);

/* SeekHead with one Seek: the Cues at KVAM_SEEK_CUES_POSITION. */
void kvam_seek_write_seek_head (GByteArray * out);

/* The @i-th fragment of the range, for the Cues. */
typedef const KvamFragment *(*KvamSeekFragmentFunc) (guint i, gpointer data);

/* Cues: one CuePoint per fragment (@n of them, from @get), at its output
 * time (listed producer time minus @base, in @scale ns ticks) on @track. */
GBytes *kvam_seek_build_cues (guint n, KvamSeekFragmentFunc get,
    gpointer data, GstClockTime base, guint64 scale, guint64 track);

G_END_DECLS
