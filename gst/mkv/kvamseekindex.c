/* kvamsrc: the byte space that lets matroskademux seek kvamsrc's output
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamseekindex.h"
#include "kvamebml.h"


guint64
kvam_seek_fragment_position (guint fragment)
{
  return KVAM_SEEK_STRIDE * ((guint64) MIN (fragment,
          KVAM_SEEK_MAX_FRAGMENTS) + 1);
}

gint64
kvam_seek_fragment_at (guint64 position)
{
  if (position < KVAM_SEEK_STRIDE || position % KVAM_SEEK_STRIDE != 0 ||
      position / KVAM_SEEK_STRIDE - 1 >= KVAM_SEEK_MAX_FRAGMENTS)
    return -1;
  return (gint64) (position / KVAM_SEEK_STRIDE - 1);
}

void
kvam_seek_write_seek_head (GByteArray * out)
{
  gsize head = kvam_ebml_start_master (out, KVAM_EBML_ID_SEEKHEAD);
  gsize seek = kvam_ebml_start_master (out, KVAM_EBML_ID_SEEK);

  kvam_ebml_write_id_value (out, KVAM_EBML_ID_SEEKID, KVAM_EBML_ID_CUES);
  kvam_ebml_write_uint (out, KVAM_EBML_ID_SEEKPOSITION,
      KVAM_SEEK_CUES_POSITION);
  kvam_ebml_end_master (out, seek);
  kvam_ebml_end_master (out, head);
}

GBytes *
kvam_seek_build_cues (guint n, KvamSeekFragmentFunc get, gpointer data,
    GstClockTime base, guint64 scale, guint64 track)
{
  GByteArray *out = g_byte_array_new ();
  gsize cues = kvam_ebml_start_master (out, KVAM_EBML_ID_CUES);
  guint i;

  n = MIN (n, KVAM_SEEK_MAX_FRAGMENTS);
  for (i = 0; i < n; i++) {
    const KvamFragment *f = get (i, data);
    gsize point = kvam_ebml_start_master (out, KVAM_EBML_ID_CUEPOINT);
    gsize positions;

    /* where the merger puts the fragment's first cluster */
    kvam_ebml_write_uint (out, KVAM_EBML_ID_CUETIME, f->producer > base ?
        (f->producer - base) / scale : 0);
    positions = kvam_ebml_start_master (out, KVAM_EBML_ID_CUETRACKPOSITIONS);
    kvam_ebml_write_uint (out, KVAM_EBML_ID_CUETRACK, track);
    kvam_ebml_write_uint (out, KVAM_EBML_ID_CUECLUSTERPOSITION,
        kvam_seek_fragment_position (i));
    kvam_ebml_end_master (out, positions);
    kvam_ebml_end_master (out, point);
  }
  kvam_ebml_end_master (out, cues);
  return g_byte_array_free_to_bytes (out);
}
