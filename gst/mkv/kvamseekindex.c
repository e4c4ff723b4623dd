/* kvamsrc: the byte space that lets matroskademux seek kvamsrc's output
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamseekindex.h"
#include "kvamebml.h"

#define ID_SEEK 0x4DBB
#define ID_SEEKID 0x53AB
#define ID_SEEKPOSITION 0x53AC
#define ID_CUEPOINT 0xBB
#define ID_CUETIME 0xB3
#define ID_CUETRACKPOSITIONS 0xB7
#define ID_CUETRACK 0xF7
#define ID_CUECLUSTERPOSITION 0xF1

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
  static const guint8 cues_id[4] = { 0x1C, 0x53, 0xBB, 0x6B };
  gsize head = kvam_ebml_start_master (out, KVAM_EBML_ID_SEEKHEAD);
  gsize seek = kvam_ebml_start_master (out, ID_SEEK);

  kvam_ebml_write_id (out, ID_SEEKID);
  kvam_ebml_write_size (out, sizeof (cues_id), 0);
  g_byte_array_append (out, cues_id, sizeof (cues_id));
  kvam_ebml_write_uint (out, ID_SEEKPOSITION, KVAM_SEEK_CUES_POSITION);
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
    gsize point = kvam_ebml_start_master (out, ID_CUEPOINT);
    gsize positions;

    /* where the merger puts the fragment's first cluster */
    kvam_ebml_write_uint (out, ID_CUETIME, f->producer > base ?
        (f->producer - base) / scale : 0);
    positions = kvam_ebml_start_master (out, ID_CUETRACKPOSITIONS);
    kvam_ebml_write_uint (out, ID_CUETRACK, track);
    kvam_ebml_write_uint (out, ID_CUECLUSTERPOSITION,
        kvam_seek_fragment_position (i));
    kvam_ebml_end_master (out, positions);
    kvam_ebml_end_master (out, point);
  }
  kvam_ebml_end_master (out, cues);
  return g_byte_array_free_to_bytes (out);
}
