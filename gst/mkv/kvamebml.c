/* kvamsrc: EBML (Matroska) element reading and writing primitives
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamebml.h"

#include <string.h>

guint
kvam_ebml_vint_length (guint8 first, guint max)
{
  guint len = 1;

  while (len <= max && !(first & (0x80 >> (len - 1))))
    len++;
  return len > max ? 0 : len;
}

KvamEbmlResult
kvam_ebml_read_header (const guint8 * data, gsize avail, KvamEbmlHeader * out)
{
  guint id_len, size_len, i;
  guint64 size;
  gboolean all_ones;

  if (avail < 1)
    return KVAM_EBML_NEED_MORE;
  id_len = kvam_ebml_vint_length (data[0], 4);
  if (!id_len)
    return KVAM_EBML_INVALID;
  if (avail < id_len + 1)
    return KVAM_EBML_NEED_MORE;
  size_len = kvam_ebml_vint_length (data[id_len], 8);
  if (!size_len)
    return KVAM_EBML_INVALID;
  if (avail < id_len + size_len)
    return KVAM_EBML_NEED_MORE;

  out->id = 0;
  for (i = 0; i < id_len; i++)
    out->id = (out->id << 8) | data[i];

  size = data[id_len] & (0xFF >> size_len);
  all_ones = size == (guint64) (0xFF >> size_len);
  for (i = 1; i < size_len; i++) {
    size = (size << 8) | data[id_len + i];
    all_ones = all_ones && data[id_len + i] == 0xFF;
  }
  out->size = all_ones ? KVAM_EBML_SIZE_UNKNOWN : size;
  out->header_len = id_len + size_len;
  return KVAM_EBML_OK;
}

guint64
kvam_ebml_read_uint (const guint8 * data, gsize len)
{
  guint64 v = 0;
  gsize i;

  for (i = 0; i < len && i < 8; i++)
    v = (v << 8) | data[i];
  return v;
}

gboolean
kvam_ebml_is_top_level_id (guint32 id)
{
  switch (id) {
    case KVAM_EBML_ID_HEADER:
    case KVAM_EBML_ID_SEGMENT:
    case KVAM_EBML_ID_SEEKHEAD:
    case KVAM_EBML_ID_INFO:
    case KVAM_EBML_ID_TRACKS:
    case KVAM_EBML_ID_CUES:
    case KVAM_EBML_ID_CHAPTERS:
    case KVAM_EBML_ID_ATTACHMENTS:
    case KVAM_EBML_ID_TAGS:
    case KVAM_EBML_ID_CLUSTER:
      return TRUE;
    default:
      return FALSE;
  }
}

void
kvam_ebml_write_id (GByteArray * out, guint32 id)
{
  guint8 b[4];
  gint n = 0, i;

  for (i = 3; i >= 0; i--)
    if (n || (id >> (8 * i)) & 0xFF || i == 0)
      b[n++] = (id >> (8 * i)) & 0xFF;
  g_byte_array_append (out, b, n);
}

void
kvam_ebml_write_size (GByteArray * out, guint64 size, guint width)
{
  guint8 b[8];
  guint i;

  if (width == 0)
    for (width = 1; width < 8 && size >= (G_GUINT64_CONSTANT (1) << (7 *
                width)) - 1; width++);
  for (i = 0; i < width; i++)
    b[width - 1 - i] = (size >> (8 * i)) & 0xFF;
  b[0] |= 0x80 >> (width - 1);
  g_byte_array_append (out, b, width);
}

void
kvam_ebml_write_uint (GByteArray * out, guint32 id, guint64 value)
{
  guint8 b[8];
  guint n = 1, i;

  while (n < 8 && (value >> (8 * n)))
    n++;
  for (i = 0; i < n; i++)
    b[n - 1 - i] = (value >> (8 * i)) & 0xFF;
  kvam_ebml_write_id (out, id);
  kvam_ebml_write_size (out, n, 0);
  g_byte_array_append (out, b, n);
}

void
kvam_ebml_write_string (GByteArray * out, guint32 id, const gchar * s)
{
  gsize len = strlen (s);

  kvam_ebml_write_id (out, id);
  kvam_ebml_write_size (out, len, 0);
  g_byte_array_append (out, (const guint8 *) s, len);
}

static void
write_eight (GByteArray * out, guint32 id, guint64 bits)
{
  guint8 be[8];
  guint i;

  for (i = 0; i < 8; i++)
    be[i] = (bits >> (56 - 8 * i)) & 0xFF;
  kvam_ebml_write_id (out, id);
  kvam_ebml_write_size (out, sizeof (be), 0);
  g_byte_array_append (out, be, sizeof (be));
}

void
kvam_ebml_write_double (GByteArray * out, guint32 id, gdouble value)
{
  guint64 bits;

  memcpy (&bits, &value, sizeof (bits));
  write_eight (out, id, bits);
}

void
kvam_ebml_write_date (GByteArray * out, guint32 id, gint64 ns)
{
  write_eight (out, id, (guint64) ns);
}

void
kvam_ebml_write_id_value (GByteArray * out, guint32 id, guint32 value)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  kvam_ebml_write_id (bytes, value);
  kvam_ebml_write_id (out, id);
  kvam_ebml_write_size (out, bytes->len, 0);
  g_byte_array_append (out, bytes->data, bytes->len);
}

void
kvam_ebml_start_unknown (GByteArray * out, guint32 id)
{
  static const guint8 unknown[8] = { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF
  };

  kvam_ebml_write_id (out, id);
  g_byte_array_append (out, unknown, sizeof (unknown));
}

gsize
kvam_ebml_start_master (GByteArray * out, guint32 id)
{
  static const guint8 placeholder[8] = { 0x01, 0, 0, 0, 0, 0, 0, 0 };

  kvam_ebml_write_id (out, id);
  g_byte_array_append (out, placeholder, 8);
  return out->len;
}

void
kvam_ebml_end_master (GByteArray * out, gsize mark)
{
  guint64 size = out->len - mark;
  guint i;

  for (i = 0; i < 8; i++)
    out->data[mark - 1 - i] = (size >> (8 * i)) & 0xFF;
  out->data[mark - 8] |= 0x01;
}

void
kvam_ebml_write_simple_tags (GByteArray * out,
    const gchar * const *names_and_values)
{
  gsize tags = kvam_ebml_start_master (out, KVAM_EBML_ID_TAGS);
  gsize tag = kvam_ebml_start_master (out, KVAM_EBML_ID_TAG);
  guint i;

  for (i = 0; names_and_values[i]; i += 2) {
    gsize simple = kvam_ebml_start_master (out, KVAM_EBML_ID_SIMPLETAG);
    kvam_ebml_write_string (out, KVAM_EBML_ID_TAGNAME, names_and_values[i]);
    kvam_ebml_write_string (out, KVAM_EBML_ID_TAGSTRING,
        names_and_values[i + 1]);
    kvam_ebml_end_master (out, simple);
  }
  kvam_ebml_end_master (out, tag);
  kvam_ebml_end_master (out, tags);
}
