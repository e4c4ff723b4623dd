/* kvamsrc: finding the next document after a damaged one
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fragment stored truncated is followed at once by the next fragment's
 * document, while its listed size may still be the full one: whatever
 * element the break fell in (a frame, a BlockGroup, a cluster's header,
 * the Tags) claims bytes that belong to the next document. So every
 * element taken whole is looked through for the start of a document, and
 * only a real one counts: an EBML header of the Matroska or WebM DocType,
 * followed by a Segment.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmresync.h"
#include "kvammkvmio.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_merger_debug_category ()

/* the bytes of KVAM_EBML_ID_HEADER and _SEGMENT, searched for */
static const guint8 ebml_magic[4] = { 0x1A, 0x45, 0xDF, 0xA3 };
static const guint8 segment_magic[4] = { 0x18, 0x53, 0x80, 0x67 };

/* an EBML header is a few dozen bytes */
#define MAX_EBML_HEADER 256

typedef enum
{
  START_NO,
  START_YES,
  START_NEED_MORE,
} DocumentStart;

/* Whether the EBML header's children name a Matroska or WebM DocType. */
static gboolean
names_matroska (const guint8 * p, gsize n)
{
  gsize pos = 0;

  while (pos < n) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (p + pos, n - pos, &h) != KVAM_EBML_OK ||
        h.size > n - pos - h.header_len)
      return FALSE;
    if (h.id == KVAM_EBML_ID_DOCTYPE) {
      const gchar *v = (const gchar *) p + pos + h.header_len;
      gsize len = h.size;
      /* GStreamer's matroskamux writes the string's NUL too */
      while (len > 0 && v[len - 1] == '\0')
        len--;
      return (len == 8 && memcmp (v, "matroska", 8) == 0) ||
          (len == 4 && memcmp (v, "webm", 4) == 0);
    }
    pos += h.header_len + h.size;
  }
  return FALSE;
}

/* Whether a document starts at @p (which holds the EBML magic or the
 * start of it), judged on the @n bytes there are. */
static DocumentStart
document_starts (const guint8 * p, gsize n)
{
  KvamEbmlHeader h;
  gsize end;

  if (n < sizeof (ebml_magic))
    return memcmp (p, ebml_magic, n) == 0 ? START_NEED_MORE : START_NO;
  switch (kvam_ebml_read_header (p, n, &h)) {
    case KVAM_EBML_NEED_MORE:
      return START_NEED_MORE;
    case KVAM_EBML_INVALID:
      return START_NO;
    default:
      break;
  }
  if (h.id != KVAM_EBML_ID_HEADER || h.size > MAX_EBML_HEADER)
    return START_NO;
  end = h.header_len + h.size;
  if (n < end + sizeof (segment_magic))
    return n >= end && !names_matroska (p + h.header_len, h.size) ?
        START_NO : START_NEED_MORE;
  if (!names_matroska (p + h.header_len, h.size) ||
      memcmp (p + end, segment_magic, sizeof (segment_magic)) != 0)
    return START_NO;
  return START_YES;
}

/* Offset of the first document start in [@from, @to) of the @n bytes at
 * @p, or -1; *@need_more when one may start there but the bytes that
 * would tell have not arrived. */
static gssize
find_document (const guint8 * p, gsize n, gsize from, gsize to,
    gboolean * need_more)
{
  gsize pos = from;

  *need_more = FALSE;
  to = MIN (to, n);
  while (pos < to) {
    const guint8 *at = memchr (p + pos, ebml_magic[0], to - pos);
    if (!at)
      break;
    pos = at - p;
    switch (document_starts (at, n - pos)) {
      case START_YES:
        return pos;
      case START_NEED_MORE:
        *need_more = TRUE;
        return pos;
      case START_NO:
        break;
    }
    pos++;
  }
  return -1;
}

/* Skips to the next document after a damaged one. */
gboolean
kvam_merger_resync (KvamMkvMerger * self)
{
  const guint8 *p = self->in_data + self->in_pos;
  gsize avail = self->in_len - self->in_pos;
  gboolean need_more;
  gssize at = find_document (p, avail, 0, avail, &need_more);

  if (at < 0) {
    /* a document may begin in the last bytes */
    kvam_merger_consume (self, avail > 3 ? avail - 3 : 0);
    return FALSE;
  }
  kvam_merger_consume (self, at);
  if (need_more)
    return FALSE;
  GST_INFO ("found the next document at byte %" G_GUINT64_FORMAT " of the "
      "response", self->response_pos);
  self->resyncing = FALSE;
  self->resynced = TRUE;
  return TRUE;
}

/* The document being read broke off (@why): it is announced and counted
 * as done, what of it was written stays, and reading goes on at the next
 * document. Damage before any document is an error. */
gboolean
kvam_merger_damaged (KvamMkvMerger * self, GError ** error, const gchar * why)
{
  KvamMergerEvent *ev;

  if (!self->doc.active)
    return kvam_merger_malformed (self, error, why);
  GST_INFO ("fragment %u damaged at byte %" G_GUINT64_FORMAT " of its "
      "document: %s", self->current, self->doc.bytes, why);
  if (self->level == LEVEL_DOCUMENT && self->doc.ebml_seen_segment) {
    /* its Segment had ended: the document is whole, junk follows */
    kvam_merger_end_document (self);
  } else {
    ev = kvam_merger_add_event (self, KVAM_MERGER_FRAGMENT_DAMAGED);
    ev->message = g_strdup_printf ("%s at byte %" G_GUINT64_FORMAT " of its "
        "document", why, self->doc.bytes);
    ev->output_offset = kvam_merger_io_output_size (self);
    self->complete++;
    kvam_merger_document_clear (&self->doc);
  }
  self->level = LEVEL_DOCUMENT;
  self->resyncing = TRUE;
  return TRUE;
}

KvamDocumentSearch
kvam_merger_next_document_inside (KvamMkvMerger * self, gsize from,
    gsize to, gsize * at, gsize * searched)
{
  const guint8 *p = self->in_data + self->in_pos;
  gsize avail = self->in_len - self->in_pos;
  gboolean need_more;
  gssize found;

  /* only where the whole magic has arrived: waiting on a frame's last
   * byte that happens to be 0x1A would hold the end of every response
   * that ends with it (a magic cut by a read is missed instead) */
  to = MIN (to, avail >= sizeof (ebml_magic) ? avail - 3 : 0);
  found = find_document (p, avail, from, to, &need_more);
  if (found < 0) {
    *searched = MAX (*searched, to);
    return KVAM_DOCUMENT_NONE;
  }
  *at = found;
  return need_more ? KVAM_DOCUMENT_MAYBE : KVAM_DOCUMENT_FOUND;
}
