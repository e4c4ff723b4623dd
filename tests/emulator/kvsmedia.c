/* kvs-emulator: fragments and their Matroska documents
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsmedia.h"
#include "kvamebml.h"

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#define MEDIA_ERROR(err, ...) \
  g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__)

typedef struct
{
  guint rel_ms;                 /* from the group's first cluster */
  GBytes *children;             /* the cluster's content but its Timecode */
} KvsCluster;

struct _KvsGop
{
  GBytes *header;               /* EBML header, Segment (unknown size), Info, Tracks */
  GPtrArray *clusters;          /* KvsCluster */
  guint duration_ms;
};

static void
kvs_cluster_free (KvsCluster * c)
{
  g_bytes_unref (c->children);
  g_free (c);
}

void
kvs_gop_free (KvsGop * gop)
{
  g_bytes_unref (gop->header);
  g_ptr_array_unref (gop->clusters);
  g_free (gop);
}

guint
kvs_gop_duration_ms (const KvsGop * gop)
{
  return gop->duration_ms;
}

void
kvs_gop_set_duration_ms (KvsGop * gop, guint duration_ms)
{
  gop->duration_ms = duration_ms;
}

/* ---- walking a file ------------------------------------------------------ */

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
} Reader;

/* Length of the content of an unknown-size element starting at @start: up
 * to the first ID that cannot be its child (@is_sibling), or the end. */
static gsize
unknown_length (const guint8 * data, gsize size, gsize start,
    gboolean (*is_sibling) (guint32 id))
{
  gsize p = start;

  while (p < size) {
    KvamEbmlHeader c;
    if (kvam_ebml_read_header (data + p, size - p, &c) != KVAM_EBML_OK)
      break;
    if (is_sibling (c.id))
      break;
    if (c.size == KVAM_EBML_SIZE_UNKNOWN)
      /* a nested unknown-size element (a Cluster in a Segment) ends at the
       * next Segment-level ID */
      p += c.header_len + unknown_length (data, size, p + c.header_len,
          kvam_ebml_is_top_level_id);
    else
      p += MIN (c.header_len + c.size, size - p);
  }
  return p - start;
}

/* Reads the header of the element at the reader's position and its whole
 * length, also for unknown-size elements. */
static gboolean
reader_next (Reader * r, KvamEbmlHeader * h, gsize * elem_len,
    gboolean (*is_sibling) (guint32 id))
{
  if (r->pos >= r->size)
    return FALSE;
  if (kvam_ebml_read_header (r->data + r->pos, r->size - r->pos, h) !=
      KVAM_EBML_OK)
    return FALSE;
  if (h->size != KVAM_EBML_SIZE_UNKNOWN)
    *elem_len = MIN (h->header_len + h->size, r->size - r->pos);
  else
    *elem_len = h->header_len + unknown_length (r->data, r->size,
        r->pos + h->header_len, is_sibling);
  return TRUE;
}

static gboolean
is_document_level (guint32 id)
{
  return id == KVAM_EBML_ID_HEADER || id == KVAM_EBML_ID_SEGMENT;
}

static gboolean
is_segment_level (guint32 id)
{
  return kvam_ebml_is_top_level_id (id);
}

typedef struct
{
  guint64 timecode;
  gboolean keyframe;
  guint max_block_ms;           /* largest block timecode in the cluster */
  GBytes *children;
} ParsedCluster;

/* Timecode, first-block keyframe flag and the children but Timecode. */
static void
parse_cluster (const guint8 * data, gsize len, ParsedCluster * out)
{
  Reader r = { data, len, 0 };
  GByteArray *children = g_byte_array_new ();
  gboolean seen_block = FALSE;
  KvamEbmlHeader h;
  gsize elen;

  memset (out, 0, sizeof (*out));
  while (reader_next (&r, &h, &elen, is_segment_level)) {
    const guint8 *payload = data + r.pos + h.header_len;
    gsize plen = elen - h.header_len;

    if (h.id == KVAM_EBML_ID_TIMECODE) {
      out->timecode = kvam_ebml_read_uint (payload, plen);
    } else if (h.id != KVAM_EBML_ID_CRC32 && h.id != KVAM_EBML_ID_POSITION
        && h.id != KVAM_EBML_ID_PREVSIZE) {
      g_byte_array_append (children, data + r.pos, elen);
      if (h.id == KVAM_EBML_ID_SIMPLEBLOCK && plen >= 4) {
        guint track_len = payload[0] & 0x80 ? 1 : payload[0] & 0x40 ? 2 : 3;
        gint16 tc = (gint16) ((payload[track_len] << 8) |
            payload[track_len + 1]);
        if (!seen_block)
          out->keyframe = (payload[track_len + 2] & 0x80) != 0;
        out->max_block_ms = MAX (out->max_block_ms, (guint) MAX (tc, 0));
        seen_block = TRUE;
      }
    }
    r.pos += elen;
  }
  out->children = g_byte_array_free_to_bytes (children);
}

/* Info without Duration: a fragment is not the whole source file. */
static void
append_info_without_duration (GByteArray * out, const guint8 * payload,
    gsize len, guint64 * timecode_scale)
{
  Reader r = { payload, len, 0 };
  gsize mark = kvam_ebml_start_master (out, KVAM_EBML_ID_INFO);
  KvamEbmlHeader h;
  gsize elen;

  while (reader_next (&r, &h, &elen, is_segment_level)) {
    if (h.id == KVAM_EBML_ID_TIMECODESCALE)
      *timecode_scale = kvam_ebml_read_uint (payload + r.pos + h.header_len,
          elen - h.header_len);
    if (h.id != KVAM_EBML_ID_DURATION)
      g_byte_array_append (out, payload + r.pos, elen);
    r.pos += elen;
  }
  kvam_ebml_end_master (out, mark);
}

static void
close_gop (GPtrArray * gops, KvsGop * gop, guint64 end_tc)
{
  if (!gop)
    return;
  gop->duration_ms = (guint) end_tc;
  g_ptr_array_add (gops, gop);
}

/* The EBML header, an unknown-size Segment, Info without Duration and
 * Tracks of a Matroska file; *@clusters is where the first Cluster's
 * Segment-level walk starts (a Reader over the Segment's content). */
static GBytes *
read_stream_header (const guint8 * data, gsize size, Reader * seg,
    GError ** error)
{
  g_autoptr (GByteArray) header = g_byte_array_new ();
  static const guint8 unknown_size[8] = { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF
  };
  Reader top = { data, size, 0 };
  guint64 scale = 1000000;
  KvamEbmlHeader h;
  gsize elen;
  gboolean have_tracks = FALSE;

  if (!reader_next (&top, &h, &elen, is_document_level) ||
      h.id != KVAM_EBML_ID_HEADER) {
    MEDIA_ERROR (error, "not a Matroska file: no EBML header");
    return NULL;
  }
  g_byte_array_append (header, data, elen);
  top.pos += elen;
  if (!reader_next (&top, &h, &elen, is_document_level) ||
      h.id != KVAM_EBML_ID_SEGMENT) {
    MEDIA_ERROR (error, "not a Matroska file: no Segment");
    return NULL;
  }
  kvam_ebml_write_id (header, KVAM_EBML_ID_SEGMENT);
  g_byte_array_append (header, unknown_size, 8);

  seg->data = data + top.pos + h.header_len;
  seg->size = elen - h.header_len;
  seg->pos = 0;
  while (reader_next (seg, &h, &elen, is_segment_level) &&
      h.id != KVAM_EBML_ID_CLUSTER) {
    const guint8 *elem = seg->data + seg->pos;

    if (h.id == KVAM_EBML_ID_INFO) {
      append_info_without_duration (header, elem + h.header_len,
          elen - h.header_len, &scale);
    } else if (h.id == KVAM_EBML_ID_TRACKS) {
      g_byte_array_append (header, elem, elen);
      have_tracks = TRUE;
    }
    seg->pos += elen;
  }
  if (!have_tracks || scale != 1000000) {
    MEDIA_ERROR (error, "need Tracks and a 1 ms TimecodeScale before "
        "the first Cluster");
    return NULL;
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&header));
}

GBytes *
kvs_media_read_header (const guint8 * data, gsize size,
    gsize * first_cluster, GError ** error)
{
  Reader seg;
  GBytes *header = read_stream_header (data, size, &seg, error);

  if (header && first_cluster)
    *first_cluster = (seg.data - data) + seg.pos;
  return header;
}

KvsGop *
kvs_gop_new (GBytes * header, guint duration_ms)
{
  KvsGop *gop = g_new0 (KvsGop, 1);

  gop->header = g_bytes_ref (header);
  gop->clusters = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvs_cluster_free);
  gop->duration_ms = duration_ms;
  return gop;
}

void
kvs_gop_add_cluster (KvsGop * gop, guint rel_ms, GBytes * children)
{
  KvsCluster *c = g_new0 (KvsCluster, 1);

  c->rel_ms = rel_ms;
  c->children = children;
  g_ptr_array_add (gop->clusters, c);
}

GPtrArray *
kvs_media_split_matroska (const guint8 * data, gsize size, guint seconds,
    GError ** error)
{
  g_autoptr (GPtrArray) gops = g_ptr_array_new_with_free_func
      ((GDestroyNotify) kvs_gop_free);
  g_autoptr (GBytes) header = NULL;
  guint64 gop_start = 0, last_end = 0;
  KvsGop *gop = NULL;
  Reader seg;
  KvamEbmlHeader h;
  gsize elen;

  header = read_stream_header (data, size, &seg, error);
  if (!header)
    return NULL;
  while (reader_next (&seg, &h, &elen, is_segment_level)) {
    const guint8 *elem = seg.data + seg.pos;

    if (h.id == KVAM_EBML_ID_CLUSTER) {
      ParsedCluster pc;

      parse_cluster (elem + h.header_len, elen - h.header_len, &pc);
      if (!gop || (pc.keyframe && pc.timecode >= gop_start + seconds * 1000)) {
        close_gop (gops, gop, pc.timecode - gop_start);
        gop = kvs_gop_new (header, 0);
        gop_start = pc.timecode;
      }
      kvs_gop_add_cluster (gop, pc.timecode - gop_start, pc.children);
      last_end = pc.timecode + pc.max_block_ms;
    }
    seg.pos += elen;
  }
  if (!gop) {
    MEDIA_ERROR (error, "no Cluster in the file");
    return NULL;
  }
  /* the last group lasts to its last block plus one frame (40 ms assumed) */
  close_gop (gops, gop, last_end - gop_start + 40);
  return g_steal_pointer (&gops);
}

/* ---- captures ------------------------------------------------------------ */

typedef struct
{
  gchar *number;
  gchar *server;
  gchar *producer;
  gboolean has_cluster;
  guint64 first_tc;
  guint64 last_tc;
} CaptureInfo;

static void
read_aws_tags (const guint8 * data, gsize len, CaptureInfo * info)
{
  Reader r = { data, len, 0 };
  KvamEbmlHeader h;
  gsize elen;

  /* Tags > Tag > SimpleTag > (TagName, TagString) */
  while (reader_next (&r, &h, &elen, is_segment_level)) {
    const guint8 *payload = data + r.pos + h.header_len;
    gsize plen = elen - h.header_len;

    if (h.id == KVAM_EBML_ID_TAG) {
      read_aws_tags (payload, plen, info);
    } else if (h.id == KVAM_EBML_ID_SIMPLETAG) {
      Reader s = { payload, plen, 0 };
      g_autofree gchar *name = NULL, *value = NULL;
      KvamEbmlHeader c;
      gsize clen;
      while (reader_next (&s, &c, &clen, is_segment_level)) {
        gchar *str = g_strndup ((const gchar *) payload + s.pos +
            c.header_len, clen - c.header_len);
        if (c.id == KVAM_EBML_ID_TAGNAME)
          g_free (g_steal_pointer (&name)), name = str;
        else if (c.id == KVAM_EBML_ID_TAGSTRING)
          g_free (g_steal_pointer (&value)), value = str;
        else
          g_free (str);
        s.pos += clen;
      }
      if (name && value) {
        if (g_str_equal (name, "AWS_KINESISVIDEO_FRAGMENT_NUMBER"))
          info->number = g_steal_pointer (&value);
        else if (g_str_has_prefix (name, "AWS_KINESISVIDEO_SERVER_"))
          info->server = g_steal_pointer (&value);
        else if (g_str_has_prefix (name, "AWS_KINESISVIDEO_PRODUCER_"))
          info->producer = g_steal_pointer (&value);
      }
    }
    r.pos += elen;
  }
}

static void
scan_capture_segment (const guint8 * data, gsize len, CaptureInfo * info)
{
  Reader r = { data, len, 0 };
  KvamEbmlHeader h;
  gsize elen;

  while (reader_next (&r, &h, &elen, is_segment_level)) {
    if (h.id == KVAM_EBML_ID_TAGS)
      read_aws_tags (data + r.pos + h.header_len, elen - h.header_len, info);
    if (h.id == KVAM_EBML_ID_CLUSTER) {
      ParsedCluster pc;
      parse_cluster (data + r.pos + h.header_len, elen - h.header_len, &pc);
      if (!info->has_cluster)
        info->first_tc = pc.timecode;
      info->last_tc = pc.timecode + pc.max_block_ms;
      info->has_cluster = TRUE;
      g_bytes_unref (pc.children);
    }
    r.pos += elen;
  }
}

static gint64
parse_tag_time (const gchar * s)
{
  return s ? (gint64) (g_ascii_strtod (s, NULL) * 1000.0 + 0.5) : 0;
}

GPtrArray *
kvs_media_split_capture (const guint8 * data, gsize size, GError ** error)
{
  g_autoptr (GPtrArray) frags = g_ptr_array_new_with_free_func (g_free);
  Reader top = { data, size, 0 };
  KvamEbmlHeader h;
  gsize elen;
  guint i;

  while (top.pos < size) {
    gsize doc_start = top.pos;
    CaptureInfo info = { 0 };
    KvsFragment *f;

    if (!reader_next (&top, &h, &elen, is_document_level) ||
        h.id != KVAM_EBML_ID_HEADER) {
      MEDIA_ERROR (error, "capture: expected an EBML header at byte %"
          G_GSIZE_FORMAT, top.pos);
      return NULL;
    }
    top.pos += elen;
    if (!reader_next (&top, &h, &elen, is_document_level) ||
        h.id != KVAM_EBML_ID_SEGMENT) {
      MEDIA_ERROR (error, "capture: expected a Segment at byte %"
          G_GSIZE_FORMAT, top.pos);
      return NULL;
    }
    scan_capture_segment (data + top.pos + h.header_len, elen - h.header_len,
        &info);
    top.pos += elen;
    if (!info.number || !info.producer) {
      MEDIA_ERROR (error, "capture: the document at byte %" G_GSIZE_FORMAT
          " has no AWS fragment tags", doc_start);
      g_free (info.number);
      g_free (info.server);
      g_free (info.producer);
      return NULL;
    }
    f = g_new0 (KvsFragment, 1);
    g_strlcpy (f->number, info.number, sizeof (f->number));
    f->producer_ms = parse_tag_time (info.producer);
    f->server_ms = info.server ? parse_tag_time (info.server) : f->producer_ms;
    f->duration_ms = info.has_cluster ? info.last_tc - info.first_tc : 0;
    f->document = g_bytes_new (data + doc_start, top.pos - doc_start);
    f->size = top.pos - doc_start;
    g_ptr_array_add (frags, f);
    g_free (info.number);
    g_free (info.server);
    g_free (info.producer);
  }
  /* a fragment lasts until the next one starts, when that is known */
  for (i = 0; i + 1 < frags->len; i++) {
    KvsFragment *a = frags->pdata[i], *b = frags->pdata[i + 1];
    if (b->producer_ms > a->producer_ms)
      a->duration_ms = b->producer_ms - a->producer_ms;
  }
  if (frags->len == 0) {
    MEDIA_ERROR (error, "capture: empty file");
    return NULL;
  }
  return g_steal_pointer (&frags);
}

/* ---- documents ----------------------------------------------------------- */

gchar *
kvs_media_format_tag_time (gint64 epoch_ms)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%03d", epoch_ms / 1000,
      (gint) (epoch_ms % 1000));
}

static GBytes *
aws_tags (const gchar * number, gint64 producer_ms, gint64 server_ms,
    KvsTagStyle style)
{
  GByteArray *out = g_byte_array_new ();
  g_autofree gchar *server = kvs_media_format_tag_time (server_ms);
  g_autofree gchar *producer = kvs_media_format_tag_time (producer_ms);
  const gchar *tags[] = {
    "AWS_KINESISVIDEO_FRAGMENT_NUMBER", number,
    style == KVS_TAGS_REAL ? "AWS_KINESISVIDEO_SERVER_TIMESTAMP" :
        "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP", server,
    style == KVS_TAGS_REAL ? "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP" :
        "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP", producer,
    NULL
  };

  kvam_ebml_write_simple_tags (out, tags);
  return g_byte_array_free_to_bytes (out);
}

/* Cluster ID, 8-byte size and an absolute Timecode (epoch ms, as kvssink
 * writes by default). */
static GBytes *
cluster_head (const KvsCluster * c, gint64 producer_ms)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr (GByteArray) tc = g_byte_array_new ();
  gsize children = g_bytes_get_size (c->children);

  kvam_ebml_write_uint (tc, KVAM_EBML_ID_TIMECODE, producer_ms + c->rel_ms);
  kvam_ebml_write_id (out, KVAM_EBML_ID_CLUSTER);
  kvam_ebml_write_size (out, tc->len + children, 8);
  g_byte_array_append (out, tc->data, tc->len);
  return g_byte_array_free_to_bytes (out);
}

GPtrArray *
kvs_fragment_pieces (const KvsFragment * frag, KvsTagStyle style)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  guint i;

  if (frag->document) {
    g_ptr_array_add (pieces, g_bytes_ref (frag->document));
    return pieces;
  }
  g_ptr_array_add (pieces, g_bytes_ref (frag->gop->header));
  g_ptr_array_add (pieces, aws_tags (frag->number, frag->producer_ms,
          frag->server_ms, style));
  for (i = 0; i < frag->gop->clusters->len; i++) {
    KvsCluster *c = g_ptr_array_index (frag->gop->clusters, i);
    g_ptr_array_add (pieces, cluster_head (c, frag->producer_ms));
    g_ptr_array_add (pieces, g_bytes_ref (c->children));
  }
  return pieces;
}

void
kvs_fragment_init_from_gop (KvsFragment * frag, KvsGop * gop,
    const gchar * number, gint64 producer_ms, gint64 server_ms,
    KvsTagStyle style)
{
  g_autoptr (GPtrArray) pieces = NULL;
  guint i;

  g_strlcpy (frag->number, number, sizeof (frag->number));
  frag->producer_ms = producer_ms;
  frag->server_ms = server_ms;
  frag->duration_ms = gop->duration_ms;
  frag->gop = gop;
  frag->document = NULL;
  frag->size = 0;
  pieces = kvs_fragment_pieces (frag, style);
  for (i = 0; i < pieces->len; i++)
    frag->size += g_bytes_get_size (pieces->pdata[i]);
}

GBytes *
kvs_media_error_document (const gchar * number, const gchar * code,
    const gchar * message, KvsTagStyle style)
{
  GByteArray *out = g_byte_array_new ();
  gsize ebml, segment;
  const gchar *tags[] = {
    "AWS_KINESISVIDEO_FRAGMENT_NUMBER", number,
    style == KVS_TAGS_REAL ? "AWS_KINESISVIDEO_ERROR_CODE" :
        "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE", code,
    style == KVS_TAGS_REAL ? "AWS_KINESISVIDEO_ERROR_ID" :
        "AWS_KINESISVIDEO_EXCEPTION_MESSAGE", message,
    NULL
  };
  static const guint8 unknown_size[8] = { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF
  };

  ebml = kvam_ebml_start_master (out, KVAM_EBML_ID_HEADER);
  kvam_ebml_write_uint (out, 0x4286, 1);        /* EBMLVersion */
  kvam_ebml_write_uint (out, 0x42F7, 1);        /* EBMLReadVersion */
  kvam_ebml_write_uint (out, 0x42F2, 4);        /* EBMLMaxIDLength */
  kvam_ebml_write_uint (out, 0x42F3, 8);        /* EBMLMaxSizeLength */
  kvam_ebml_write_string (out, 0x4282, "matroska");     /* DocType */
  kvam_ebml_write_uint (out, 0x4287, 4);        /* DocTypeVersion */
  kvam_ebml_write_uint (out, 0x4285, 2);        /* DocTypeReadVersion */
  kvam_ebml_end_master (out, ebml);
  kvam_ebml_write_id (out, KVAM_EBML_ID_SEGMENT);
  g_byte_array_append (out, unknown_size, 8);
  segment = kvam_ebml_start_master (out, KVAM_EBML_ID_INFO);
  kvam_ebml_write_uint (out, KVAM_EBML_ID_TIMECODESCALE, 1000000);
  kvam_ebml_end_master (out, segment);
  kvam_ebml_write_simple_tags (out, tags);
  return g_byte_array_free_to_bytes (out);
}
