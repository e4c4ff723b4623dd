/* kvamsrc: finding the next document after a damaged one
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmergerpriv.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_merger_debug_category ()

static const guint8 ebml_magic[4] = { 0x1A, 0x45, 0xDF, 0xA3 };
static const guint8 doctype_id[2] = { 0x42, 0x82 };

/* memmem() is a GNU extension */
static const guint8 *
find_bytes (const guint8 * hay, gsize n, const guint8 * needle, gsize m)
{
  const guint8 *end = hay + n, *at = hay;

  while (m <= (gsize) (end - at) && (at = memchr (at, needle[0],
              end - at - m + 1))) {
    if (memcmp (at, needle, m) == 0)
      return at;
    at++;
  }
  return NULL;
}

/* Offset of the first EBML header in @p that looks like one (a small
 * element holding a DocType), -1 if none; *@need_more when one may start
 * at the end, too short to judge. */
static gssize
find_ebml_header (const guint8 * p, gsize n, gboolean * need_more)
{
  const guint8 *at = p;

  *need_more = FALSE;
  while ((at = find_bytes (at, n - (at - p), ebml_magic, 4))) {
    KvamEbmlHeader h;
    gsize left = n - (at - p);
    KvamEbmlResult r = kvam_ebml_read_header (at, left, &h);
    if (r == KVAM_EBML_NEED_MORE || (r == KVAM_EBML_OK && h.size <= 256 &&
            left < h.header_len + h.size)) {
      *need_more = TRUE;
      return at - p;
    }
    if (r == KVAM_EBML_OK && h.size <= 256 &&
        find_bytes (at + h.header_len, h.size, doctype_id, 2))
      return at - p;
    at++;
  }
  /* a header may begin in the last 3 bytes */
  *need_more = n > 0;
  return -1;
}

/* Skips to the next EBML header after a damaged document. */
gboolean
kvam_merger_resync (KvamMkvMerger * self)
{
  const guint8 *p = self->in_data + self->in_pos;
  gsize avail = self->in_len - self->in_pos;
  gboolean need_more;
  gssize at = find_ebml_header (p, avail, &need_more);

  if (at < 0) {
    kvam_merger_consume (self, avail > 3 ? avail - 3 : 0);
    return FALSE;
  }
  kvam_merger_consume (self, at);
  if (need_more)
    return FALSE;
  GST_INFO ("found the next document at byte %" G_GUINT64_FORMAT " of the "
      "response", self->response_pos);
  self->resyncing = FALSE;
  return TRUE;
}

/* The document being read broke off (@why): it is announced and counted
 * as done, what of it was written stays, and reading goes on at the next
 * EBML header. Damage before any document is an error. */
gboolean
kvam_merger_damaged (KvamMkvMerger * self, GError ** error, const gchar * why)
{
  KvamMergerEvent *ev;

  if (!self->doc.active)
    return kvam_merger_malformed (self, error, why);
  GST_INFO ("fragment %u damaged at byte %" G_GUINT64_FORMAT " of its "
      "document: %s", self->current, self->doc.bytes, why);
  if (self->level == LEVEL_DOCUMENT) {
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

/* An element that runs past its document's listed size and holds what
 * looks like the next document's EBML header: the document was stored
 * truncated inside it (a frame claiming more bytes than it has). */
gssize
kvam_merger_next_document_inside (KvamMkvMerger * self, const Element * e)
{
  const KvamFragment *f = kvam_merger_expected_fragment (self);
  gboolean need_more;

  if (!f || f->size == 0 || self->doc.bytes + e->size <= f->size)
    return -1;
  return find_ebml_header (PAYLOAD (e), PAYLOAD_SIZE (e), &need_more);
}

