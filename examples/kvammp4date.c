/* kvam-export: the recording's time as an MP4's creation time
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mp4mux (1.22) writes the time it muxed into mvhd, tkhd and mdhd and has
 * no way to be told another; players and ffprobe show that as the file's
 * creation_time. kvam-export rewrites the creation time of each of those
 * boxes in place (their size never changes) with the recording's, from
 * kvamsrc's DateUTC; the modification time stays the mux time.
 */
#include "kvammp4date.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

/* seconds from 1904-01-01 (MP4's epoch) to 1970-01-01 */
#define MP4_EPOCH_OFFSET G_GUINT64_CONSTANT (2082844800)
/* boxes nest moov > trak > mdia; deeper is not where these live */
#define MAX_DEPTH 3

typedef struct
{
  FILE *f;
  const gchar *path;
  guint64 mp4_time;
  guint patched;
} Patch;

/* big-endian, a byte at a time: the data has no alignment */
static guint64
read_be (const guint8 * p, guint n)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

static gboolean
read_at (Patch * p, guint64 off, guint8 * buf, gsize len, GError ** error)
{
  if (fseeko (p->f, (off_t) off, SEEK_SET) != 0 ||
      fread (buf, 1, len, p->f) != len) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "%s: cannot read %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT,
        p->path, len, off);
    return FALSE;
  }
  return TRUE;
}

/* A full box's creation time: 32 bits in version 0, 64 in version 1. */
static gboolean
patch_time (Patch * p, guint64 body, guint64 end, GError ** error)
{
  guint8 version;
  guint8 buf[8];
  gsize len;
  guint64 t = p->mp4_time;
  gsize i;

  if (!read_at (p, body, &version, 1, error))
    return FALSE;
  len = version == 1 ? 8 : 4;
  if (version > 1 || body + 4 + len > end) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: a time box at %" G_GUINT64_FORMAT " of version %u or too short",
        p->path, body, version);
    return FALSE;
  }
  if (len == 4 && t > G_MAXUINT32)
    t = G_MAXUINT32;
  for (i = 0; i < len; i++)
    buf[len - 1 - i] = (guint8) (t >> (8 * i));
  if (fseeko (p->f, (off_t) (body + 4), SEEK_SET) != 0 ||
      fwrite (buf, 1, len, p->f) != len) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: cannot write: %s", p->path, g_strerror (errno));
    return FALSE;
  }
  p->patched++;
  return TRUE;
}

/* Walks the boxes in [off, end): into moov, trak and mdia, patching
 * mvhd, tkhd and mdhd. */
static gboolean
walk (Patch * p, guint64 off, guint64 end, guint depth, GError ** error)
{
  while (off + 8 <= end) {
    guint8 h[16];
    guint64 size;
    guint hdr = 8;
    gchar type[5] = { 0 };

    if (!read_at (p, off, h, 8, error))
      return FALSE;
    size = read_be (h, 4);
    memcpy (type, h + 4, 4);
    if (size == 1) {
      if (!read_at (p, off + 8, h + 8, 8, error))
        return FALSE;
      size = read_be (h + 8, 8);
      hdr = 16;
    } else if (size == 0) {
      size = end - off;         /* to the end of the file */
    }
    if (size < hdr || size > end - off) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: box '%s' at %" G_GUINT64_FORMAT " has a size of %"
          G_GUINT64_FORMAT " bytes, past its parent", p->path, type, off, size);
      return FALSE;
    }
    if (!strcmp (type, "mvhd") || !strcmp (type, "tkhd") ||
        !strcmp (type, "mdhd")) {
      if (!patch_time (p, off + hdr, off + size, error))
        return FALSE;
    } else if (depth < MAX_DEPTH && (!strcmp (type, "moov") ||
            !strcmp (type, "trak") || !strcmp (type, "mdia"))) {
      if (!walk (p, off + hdr, off + size, depth + 1, error))
        return FALSE;
    }
    off += size;
  }
  return TRUE;
}

gboolean
kvam_mp4_set_creation_time (const gchar * path, GstDateTime * when,
    GError ** error)
{
  g_autoptr (GDateTime) dt = gst_date_time_to_g_date_time (when);
  Patch p = { NULL, path, 0, 0 };
  GStatBuf st;
  gboolean ok;

  if (!dt || g_date_time_to_unix (dt) < 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "the recording time is not a full date and time after 1970");
    return FALSE;
  }
  p.mp4_time = (guint64) g_date_time_to_unix (dt) + MP4_EPOCH_OFFSET;
  p.f = g_fopen (path, "r+b");
  if (!p.f || fstat (fileno (p.f), &st) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    if (p.f)
      fclose (p.f);
    return FALSE;
  }
  ok = walk (&p, 0, (guint64) st.st_size, 0, error);
  if (fclose (p.f) != 0 && ok) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (ok && p.patched == 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: no mvhd box in a moov box", path);
    return FALSE;
  }
  return ok;
}
