/* kvamsrc: the merger's scanner: per-fragment Matroska documents into one stream
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * matroskademux restarts running time at every EBML header it meets, so a
 * plain concatenation of fragments plays far too fast with a synchronising
 * sink (measured: 10 s in 2 s). One continuous segment plays in real time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmerger.h"
#include "kvamebml.h"
#include "kvamseekindex.h"
#include "kvammkvmergerpriv.h"
#include "kvammkvmio.h"
#include "kvammkvmtimeline.h"
#include "kvammkvmresync.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_merger_debug_category ()

KvamMkvMerger *
kvam_mkv_merger_new (GstClockTime base)
{
  KvamMkvMerger *self = g_new0 (KvamMkvMerger, 1);

  kvam_merger_debug_category ();
  self->base = base;
  self->duration = GST_CLOCK_TIME_NONE;
  kvam_merger_io_init (self);
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvam_merger_event_free);
  self->track_times = g_array_new (FALSE, FALSE, sizeof (TrackTime));
  self->scale = DEFAULT_TIMECODE_SCALE;
  kvam_merger_document_clear (&self->doc);
  return self;
}

void
kvam_mkv_merger_free (KvamMkvMerger * self)
{
  if (!self)
    return;
  kvam_merger_io_clear (self);
  g_ptr_array_unref (self->events);
  g_clear_pointer (&self->tracks, g_bytes_unref);
  g_array_unref (self->track_times);
  g_free (self->expected);
  kvam_merger_document_clear (&self->doc);
  g_free (self);
}

void
kvam_mkv_merger_begin_response (KvamMkvMerger * self,
    const KvamFragment * const *fragments, guint n_fragments,
    const KvamMergerResume * resume)
{
  g_free (self->expected);
  self->expected = g_memdup2 (fragments, n_fragments * sizeof (gpointer));
  self->n_expected = n_fragments;
  self->current = G_MAXUINT;
  self->complete = 0;
  memset (&self->resume, 0, sizeof (self->resume));
  if (resume)
    self->resume = *resume;
  kvam_merger_io_reset_input (self);
  self->response_pos = 0;
  self->level = LEVEL_DOCUMENT;
  self->halted = FALSE;
  self->resyncing = FALSE;
  self->resynced = FALSE;
  kvam_merger_document_clear (&self->doc);
}

/* ---- documents ----------------------------------------------------------- */

static gboolean
begin_document (KvamMkvMerger * self, GError ** error)
{
  kvam_merger_end_document (self);
  self->current = self->current == G_MAXUINT ? 0 : self->current + 1;
  if (self->current >= self->n_expected) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "The response holds more fragments than the %u asked for",
        self->n_expected);
    return FALSE;
  }
  self->doc.active = TRUE;
  if (self->current == 0) {
    self->doc.skip = self->resume.blocks_written;
    /* a resumed fragment was announced by the response that began it */
    self->doc.started = self->resume.blocks_written > 0;
    self->doc.has_base = self->resume.has_base;
    self->doc.base = self->resume.base;
    self->doc.tracks_seen = self->resume.tracks_seen;
  }
  return TRUE;
}

/* ---- writing ------------------------------------------------------------- */

/* Info, with the range's Duration when it is known and the date of its
 * first fragment (the fragments' own were dropped: a fragment is not the
 * stream, and its DateUTC is when it was muxed, not the recording). */
static void
write_info (KvamMkvMerger * self, GBytes * info)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const KvamFragment *first = kvam_merger_expected_fragment (self);
  gsize size, mark;
  const guint8 *data = g_bytes_get_data (info, &size);
  KvamEbmlHeader h;

  if (kvam_ebml_read_header (data, size, &h) != KVAM_EBML_OK) {
    kvam_merger_write_bytes (self, data, size);
    return;
  }
  mark = kvam_ebml_start_master (out, KVAM_EBML_ID_INFO);
  g_byte_array_append (out, data + h.header_len, size - h.header_len);
  if (GST_CLOCK_TIME_IS_VALID (self->duration))
    kvam_ebml_write_double (out, KVAM_EBML_ID_DURATION,
        (gdouble) self->duration / (gdouble) self->scale);
  if (first && GST_CLOCK_TIME_IS_VALID (first->producer))
    kvam_ebml_write_date (out, KVAM_EBML_ID_DATEUTC,
        (gint64) first->producer - KVAM_EBML_EPOCH_NS);
  kvam_ebml_end_master (out, mark);
  kvam_merger_write_bytes (self, out->data, out->len);
}

static void
write_stream_header (KvamMkvMerger * self, const guint8 * tracks, gsize size)
{
  Document *d = &self->doc;
  g_autoptr (GByteArray) seek_head = g_byte_array_new ();
  g_autoptr (GByteArray) segment = g_byte_array_new ();

  if (d->ebml)
    kvam_merger_write_bytes (self, g_bytes_get_data (d->ebml, NULL),
        g_bytes_get_size (d->ebml));
  kvam_ebml_start_unknown (segment, KVAM_EBML_ID_SEGMENT);
  kvam_merger_write_bytes (self, segment->data, segment->len);
  self->segment_start = (d->ebml ? g_bytes_get_size (d->ebml) : 0) +
      segment->len;
  /* where matroskademux finds the Cues when asked to seek */
  kvam_seek_write_seek_head (seek_head);
  kvam_merger_write_bytes (self, seek_head->data, seek_head->len);
  self->scale = d->scale;
  if (d->info)
    write_info (self, d->info);
  kvam_merger_write_bytes (self, tracks, size);
  self->header_written = TRUE;
}

/* ---- element handlers ---------------------------------------------------- */

/* Calls @func on each child of @e with a known size. */
static void
for_each_child (const guint8 * data, gsize size,
    void (*func) (const Element * child, gpointer user), gpointer user)
{
  gsize pos = 0;

  while (pos < size) {
    Element c;
    if (kvam_ebml_read_header (data + pos, size - pos, &c.h) != KVAM_EBML_OK
        || c.h.size == KVAM_EBML_SIZE_UNKNOWN
        || c.h.size > size - pos - c.h.header_len)
      return;
    c.data = data + pos;
    c.size = c.h.header_len + c.h.size;
    func (&c, user);
    pos += c.size;
  }
}

typedef struct
{
  GByteArray *out;
  guint64 scale;
} InfoFilter;

static void
filter_info_child (const Element * c, gpointer user)
{
  InfoFilter *f = user;

  if (c->h.id == KVAM_EBML_ID_TIMECODESCALE)
    f->scale = kvam_ebml_read_uint (PAYLOAD (c), PAYLOAD_SIZE (c));
  /* a fragment's Duration and DateUTC are not the stream's */
  if (c->h.id != KVAM_EBML_ID_DURATION && c->h.id != KVAM_EBML_ID_DATEUTC)
    g_byte_array_append (f->out, c->data, c->size);
}

static void
handle_info (KvamMkvMerger * self, const Element * e)
{
  InfoFilter f = { g_byte_array_new (), DEFAULT_TIMECODE_SCALE };
  gsize mark = kvam_ebml_start_master (f.out, KVAM_EBML_ID_INFO);

  for_each_child (PAYLOAD (e), PAYLOAD_SIZE (e), filter_info_child, &f);
  kvam_ebml_end_master (f.out, mark);
  g_clear_pointer (&self->doc.info, g_bytes_unref);
  self->doc.scale = f.scale ? f.scale : DEFAULT_TIMECODE_SCALE;
  self->doc.info = g_byte_array_free_to_bytes (f.out);
}

static void
handle_tracks (KvamMkvMerger * self, const Element * e)
{
  if (!self->header_written) {
    write_stream_header (self, e->data, e->size);
  } else if (self->tracks && g_bytes_get_size (self->tracks) == e->size &&
      memcmp (g_bytes_get_data (self->tracks, NULL), e->data, e->size) == 0) {
    return;                     /* the same tracks again */
  } else {
    GST_INFO ("tracks changed at fragment %u", self->current);
    kvam_merger_write_bytes (self, e->data, e->size);
  }
  g_clear_pointer (&self->tracks, g_bytes_unref);
  self->tracks = g_bytes_new (e->data, e->size);
}

typedef struct
{
  KvamMkvMerger *self;
  gchar *name;
  gchar *value;
} TagReader;

static void
read_simple_tag_child (const Element * c, gpointer user)
{
  TagReader *r = user;
  /* AWS's tags are short; a longer value is kept only in part */
  gchar *s = g_strndup ((const gchar *) PAYLOAD (c), MIN (PAYLOAD_SIZE (c),
          MAX_TAG_VALUE));

  if (c->h.id == KVAM_EBML_ID_TAGNAME && !r->name)
    r->name = s;
  else if (c->h.id == KVAM_EBML_ID_TAGSTRING && !r->value)
    r->value = s;
  else
    g_free (s);
}

/* A child of a Tag: only SimpleTags (and not nested ones) matter. */
static void
read_tag_child (const Element * c, gpointer user)
{
  TagReader *outer = user;
  Document *d = &outer->self->doc;
  TagReader r = { outer->self, NULL, NULL };
  gchar **slot = NULL;

  if (c->h.id != KVAM_EBML_ID_SIMPLETAG)
    return;
  for_each_child (PAYLOAD (c), PAYLOAD_SIZE (c), read_simple_tag_child, &r);
  if (r.name && r.value) {
    /* both the documented and the observed spellings */
    if (g_str_equal (r.name, "AWS_KINESISVIDEO_FRAGMENT_NUMBER"))
      slot = &d->number;
    else if (g_str_equal (r.name, "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP") ||
        g_str_equal (r.name, "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP"))
      slot = &d->producer;
    else if (g_str_equal (r.name, "AWS_KINESISVIDEO_SERVER_TIMESTAMP") ||
        g_str_equal (r.name, "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"))
      slot = &d->server;
    else if (g_str_equal (r.name, "AWS_KINESISVIDEO_ERROR_CODE") ||
        g_str_equal (r.name, "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE"))
      slot = &d->error_code;
    else if (g_str_equal (r.name, "AWS_KINESISVIDEO_ERROR_ID") ||
        g_str_equal (r.name, "AWS_KINESISVIDEO_EXCEPTION_MESSAGE"))
      slot = &d->error_message;
  }
  if (slot) {
    g_free (*slot);
    *slot = g_steal_pointer (&r.value);
  }
  g_free (r.name);
  g_free (r.value);
}

/* A child of Tags. Tags > Tag > SimpleTag is as deep as it goes: a Tag
 * inside a Tag is not Matroska, and following 60 000 of them nested
 * overflowed the streaming thread's stack. */
static void
read_tags_child (const Element * c, gpointer user)
{
  if (c->h.id == KVAM_EBML_ID_TAG)
    for_each_child (PAYLOAD (c), PAYLOAD_SIZE (c), read_tag_child, user);
}

/* After a damaged document, the document found next is the one after the
 * fragment expected: that fragment's document broke off before anything
 * of it could be read (inside its EBML header). It is damaged, with
 * nothing of it written; the document read goes on as the next. */
static void
skip_lost_document (KvamMkvMerger * self)
{
  const KvamFragment *next = self->current + 1 < self->n_expected ?
      self->expected[self->current + 1] : NULL;
  KvamMergerEvent *ev;

  if (!next || kvam_fragment_number_compare (self->doc.number,
          next->number) != 0)
    return;
  ev = kvam_merger_add_event (self, KVAM_MERGER_FRAGMENT_DAMAGED);
  ev->message = g_strdup ("its document broke off before its header ended");
  ev->output_offset = kvam_merger_io_output_size (self);
  GST_INFO ("fragment %u damaged: %s", self->current, ev->message);
  self->complete++;
  self->current++;
}

static gboolean
handle_tags (KvamMkvMerger * self, const Element * e, GError ** error)
{
  Document *d = &self->doc;
  const KvamFragment *want = kvam_merger_expected_fragment (self);
  TagReader r = { self, NULL, NULL };

  for_each_child (PAYLOAD (e), PAYLOAD_SIZE (e), read_tags_child, &r);
  if (d->number && !d->identified && want && self->resynced &&
      kvam_fragment_number_compare (d->number, want->number) != 0)
    skip_lost_document (self);
  want = kvam_merger_expected_fragment (self);
  if (d->number)
    self->resynced = FALSE;
  if (d->number && !d->identified) {
    if (want && kvam_fragment_number_compare (d->number, want->number) != 0) {
      /* the tag is the peer's text: a 50 MB one is not an error message */
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "Fragment %.64s%s arrived where %s was asked for", d->number,
          strlen (d->number) > 64 ? "..." : "", want->number);
      return FALSE;
    }
    d->identified = TRUE;
  }
  if (d->error_code) {
    KvamMergerEvent *ev =
        kvam_merger_add_event (self, KVAM_MERGER_FRAGMENT_ERROR);
    GST_INFO ("fragment %s: in-band error %s", GST_STR_NULL (d->number),
        d->error_code);
    ev->code = g_strdup (d->error_code);
    ev->message = g_strdup (d->error_message);
    /* nothing after it may be written before it is tried again */
    self->halted = TRUE;
    kvam_merger_document_clear (d);
    return TRUE;
  }
  /* Tags stay out of the output: matroskademux merges every Tags element
   * into its global tag list and posts the whole list again each time, a
   * cost that grows with the range (quadratic over hours). What they say
   * goes out in the kvam-fragment message instead. */
  return TRUE;
}

static gboolean
handle_segment_child (KvamMkvMerger * self, const Element * e, GError ** error)
{
  switch (e->h.id) {
    case KVAM_EBML_ID_INFO:
      handle_info (self, e);
      return TRUE;
    case KVAM_EBML_ID_TRACKS:
      handle_tracks (self, e);
      return TRUE;
    case KVAM_EBML_ID_TAGS:
      return handle_tags (self, e, error);
    default:
      /* SeekHead, Void, Cues, Chapters...: positions and indexes of a
       * single fragment mean nothing in the merged stream */
      return TRUE;
  }
}

/* ---- the scanner --------------------------------------------------------- */

/* Whether the next @size bytes of input (an element, or a master's
 * header; as many of them as are in) hold the start of the next document:
 * the one being read was stored truncated there. FALSE to end the step
 * with *@ret: damaged (the document ends where the next begins) or more
 * input needed. @begin: the element is a document's EBML header, which
 * begins its document first. Bytes searched are not searched again. */
static gboolean
check_truncation (KvamMkvMerger * self, gsize size, gboolean begin,
    gboolean * ret, GError ** error)
{
  gsize from = MAX (self->checked, 4) - 3, at = 0;

  switch (kvam_merger_next_document_inside (self, from, size, &at,
          &self->checked)) {
    case KVAM_DOCUMENT_NONE:
      return TRUE;
    case KVAM_DOCUMENT_MAYBE:
      *ret = FALSE;
      return FALSE;
    default:
      if (begin && !begin_document (self, error)) {
        *ret = FALSE;
        return FALSE;
      }
      kvam_merger_consume (self, at);
      *ret = kvam_merger_damaged (self, error, "truncated: it breaks off "
          "where the next document begins");
      return FALSE;
  }
}

/* Whether the document being read had more to come: its cluster or
 * Segment said so. (Not its listed size: whether the service lists
 * exactly the bytes it serves is not known, and a false "damaged" on every
 * fragment would be worse than no warning for a document cut exactly
 * between two elements of an unknown-size cluster, whose frames come out
 * right either way.) */
static gboolean
document_cut_short (KvamMkvMerger * self)
{
  if (!self->doc.active)
    return FALSE;
  if (self->level == LEVEL_CLUSTER && self->cluster_left != UNKNOWN &&
      self->cluster_left > 0)
    return TRUE;
  return self->segment_left != UNKNOWN && self->segment_left > 0;
}

/* One step; FALSE when more input is needed (*@error unset) or on error. */
static gboolean
step (KvamMkvMerger * self, GError ** error)
{
  const guint8 *p = self->in_data + self->in_pos;
  gsize avail = self->in_len - self->in_pos;
  Element e;
  gboolean stop;

  if (self->resyncing)
    return kvam_merger_resync (self);
  if (self->level == LEVEL_CLUSTER && self->cluster_left == 0) {
    self->level = LEVEL_SEGMENT;
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT && self->segment_left == 0) {
    self->level = LEVEL_DOCUMENT;
    return TRUE;
  }
  switch (kvam_ebml_read_header (p, avail, &e.h)) {
    case KVAM_EBML_NEED_MORE:
      return FALSE;
    case KVAM_EBML_INVALID:
      return kvam_merger_damaged (self, error, "invalid element header");
    default:
      break;
  }

  /* the next document, where this one still had bytes to come */
  if (e.h.id == KVAM_EBML_ID_HEADER && self->level > LEVEL_DOCUMENT &&
      document_cut_short (self))
    return kvam_merger_damaged (self, error, "truncated: the next document "
        "begins before its end");
  /* an ID of an outer level ends an unknown-size element */
  if (self->level == LEVEL_CLUSTER && kvam_ebml_is_top_level_id (e.h.id)) {
    self->level = LEVEL_SEGMENT;
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT && (e.h.id == KVAM_EBML_ID_HEADER ||
          e.h.id == KVAM_EBML_ID_SEGMENT)) {
    self->level = LEVEL_DOCUMENT;
    return TRUE;
  }

  /* masters we descend into: their header may be where a document was
   * cut (its size read from the next document's bytes) */
  if ((e.h.id == KVAM_EBML_ID_SEGMENT || (self->level == LEVEL_SEGMENT &&
              e.h.id == KVAM_EBML_ID_CLUSTER)) &&
      !check_truncation (self, e.h.header_len, FALSE, &stop, error))
    return stop;
  if (self->level == LEVEL_DOCUMENT && e.h.id == KVAM_EBML_ID_SEGMENT) {
    if (!self->doc.active)
      return kvam_merger_malformed (self, error,
          "Segment without an EBML header");
    if (self->doc.ebml_seen_segment)
      return kvam_merger_damaged (self, error, "a second Segment");
    self->doc.ebml_seen_segment = TRUE;
    kvam_merger_consume (self, e.h.header_len);
    self->level = LEVEL_SEGMENT;
    self->segment_left = e.h.size == KVAM_EBML_SIZE_UNKNOWN ? UNKNOWN :
        e.h.size;
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT && e.h.id == KVAM_EBML_ID_CLUSTER) {
    kvam_merger_consume (self, e.h.header_len);
    self->level = LEVEL_CLUSTER;
    self->cluster_left = e.h.size == KVAM_EBML_SIZE_UNKNOWN ? UNKNOWN :
        e.h.size;
    self->cluster_written = FALSE;
    self->cluster_tc = -1;
    return TRUE;
  }

  /* between documents only an EBML header may come: say so now rather than
   * wait for the bytes of whatever this is */
  if (self->level == LEVEL_DOCUMENT && e.h.id != KVAM_EBML_ID_HEADER)
    return kvam_merger_damaged (self, error, "expected an EBML header");

  /* everything else is taken whole */
  if (e.h.size == KVAM_EBML_SIZE_UNKNOWN || e.h.size > MAX_ELEMENT_SIZE)
    return kvam_merger_damaged (self, error,
        "element of unknown or absurd size");
  e.data = p;
  e.size = e.h.header_len + e.h.size;
  /* also while it is still coming: the next document may be all there is */
  if (!check_truncation (self, e.size, self->level == LEVEL_DOCUMENT, &stop,
          error))
    return stop;
  if (avail < e.size)
    return FALSE;

  if (self->level == LEVEL_DOCUMENT) {
    if (!begin_document (self, error))
      return FALSE;
    if (!self->header_written)
      self->doc.ebml = g_bytes_new (e.data, e.size);
    kvam_merger_consume (self, e.size);
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT) {
    if (!handle_segment_child (self, &e, error))
      return FALSE;
  } else {
    kvam_merger_handle_cluster_child (self, &e);
  }
  kvam_merger_consume (self, e.size);
  return TRUE;
}

/* Runs the scanner over what the input holds. */
static gboolean
merge (KvamMkvMerger * self, GError ** error)
{
  GError *err = NULL;

  while (!self->halted && step (self, &err));
  if (err) {
    g_propagate_error (error, err);
    return FALSE;
  }
  return TRUE;
}

GstBuffer *
kvam_mkv_merger_push_input_buffer (KvamMkvMerger * self, gsize used,
    GError ** error)
{
  kvam_merger_io_add_input (self, NULL, used);
  if (!merge (self, error))
    return NULL;
  return kvam_merger_io_take_buffer (self);
}

GBytes *
kvam_mkv_merger_push (KvamMkvMerger * self, const guint8 * data, gsize size,
    GError ** error)
{
  if (self->halted)
    return g_bytes_new (NULL, 0);
  if (size > 0)
    kvam_merger_io_add_input (self, data, size);
  if (!merge (self, error))
    return NULL;
  return kvam_merger_io_take_bytes (self);
}

/* Whether the document being read when the response ended is whole. */
static gboolean
document_is_whole (KvamMkvMerger * self)
{
  Document *d = &self->doc;
  const KvamFragment *f = kvam_merger_expected_fragment (self);

  if (!d->active || self->in_len > self->in_pos)
    return FALSE;
  if (self->level == LEVEL_CLUSTER && self->cluster_left != UNKNOWN &&
      self->cluster_left > 0)
    return FALSE;
  if (self->level >= LEVEL_SEGMENT && self->segment_left != UNKNOWN &&
      self->segment_left > 0)
    return FALSE;
  /* an unknown-size cluster cut between two frames looks whole: the listed
   * size tells, unless the service serves this fragment smaller than it
   * lists (then a retry that ends at the same byte is taken as whole) */
  if (f && f->size > 0 && d->bytes < f->size)
    return self->current == 0 && d->bytes == self->resume.bytes_seen;
  return d->blocks > 0 || (f && f->size > 0);
}

guint
kvam_mkv_merger_end_response (KvamMkvMerger * self, KvamMergerResume * resume)
{
  Document *d = &self->doc;

  memset (resume, 0, sizeof (*resume));
  if (self->halted) {
    /* the in-band error's fragment is next; nothing of it was written */
  } else if (document_is_whole (self)) {
    kvam_merger_end_document (self);
  } else if (d->active) {
    /* a resumed fragment cut again before it got past what was written
     * before: that still counts (the blocks skipped, the bytes seen) */
    resume->blocks_written = MAX (d->blocks, d->skip);
    resume->bytes_seen = MAX (d->bytes, self->current == 0 ?
        self->resume.bytes_seen : 0);
    resume->has_base = d->has_base;
    resume->base = d->base;
    resume->tracks_seen = d->tracks_seen;
    GST_INFO ("response ended inside fragment %u after %u frames, %"
        G_GUINT64_FORMAT " bytes", self->current, d->blocks, d->bytes);
  } else if (self->current == G_MAXUINT) {
    /* cut before the resumed fragment's document began again */
    *resume = self->resume;
  }
  kvam_merger_document_clear (d);
  kvam_merger_io_reset_input (self);
  return self->complete;
}
