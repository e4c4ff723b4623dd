/* kvamsrc: merges per-fragment Matroska documents into one stream
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

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_merger_debug);
#define GST_CAT_DEFAULT kvam_merger_debug

/* no element of a fragment is this large; more means garbage */
#define MAX_ELEMENT_SIZE (256 * 1024 * 1024)
#define DEFAULT_TIMECODE_SCALE 1000000
#define UNKNOWN G_MAXUINT64
/* cluster timecodes are clamped to this many ticks (285 years of ms), so
 * that sums of them never overflow */
#define MAX_TICKS (G_GINT64_CONSTANT (1) << 53)
/* longest tag name or value read (error messages quote them) */
#define MAX_TAG_VALUE 1024
/* tracks whose frame times are kept apart; more in one stream is garbage */
#define MAX_TRACKS 64

typedef enum
{
  LEVEL_DOCUMENT,
  LEVEL_SEGMENT,
  LEVEL_CLUSTER,
} Level;

typedef struct
{
  gboolean active;              /* an EBML header began it */
  gboolean identified;          /* its AWS tags matched the request */
  gboolean tags_written;
  gboolean started;             /* a frame was written */
  GBytes *ebml;                 /* its EBML header, until the stream has one */
  GBytes *info;                 /* its Info without Duration */
  guint64 scale;                /* ns per timecode tick */
  guint blocks;                 /* seen, written or skipped */
  guint skip;                   /* blocks to skip (a resumed fragment) */
  gboolean skip_tags;
  guint64 bytes;
  gint64 first_cluster_tc;      /* input ticks; -1 before its first cluster */
  gboolean has_base;
  gint64 base;                  /* output ticks of that first cluster */
  gint64 last_cluster_out;      /* output ticks of its latest cluster */
  gint64 last_cluster_tc;       /* input ticks of it; -1 before one */
  gint64 last_frame_out;        /* output ticks of its latest frame; -1 */
  gboolean ebml_seen_segment;   /* its Segment began */
  guint64 tracks_seen;          /* bit n: a frame of track n was placed */
  gchar *number, *producer, *server, *error_code, *error_message;
} Document;

struct _KvamMkvMerger
{
  GstClockTime base;            /* NONE: keep producer timecodes */

  GByteArray *in;
  gsize in_pos;
  guint64 response_pos;         /* bytes of the response consumed */
  GByteArray *out;
  GPtrArray *events;

  /* the output stream */
  GstClockTime duration;        /* for Info, when known before the header */
  guint64 segment_start;        /* bytes before the Segment's data */
  guint64 first_track;          /* of the first frame written; 0 before */
  gboolean header_written;
  GBytes *tracks;
  GArray *track_times;          /* TrackTime: latest frame of each track */
  guint64 scale;

  /* the response */
  const KvamFragment **expected;
  guint n_expected;
  guint current;                /* document position, G_MAXUINT before one */
  guint complete;
  KvamMergerResume resume;

  gboolean halted;              /* an in-band error: stop until the next response */
  gboolean resyncing;           /* a damaged document: skip to an EBML header */
  Level level;
  guint64 segment_left;
  guint64 cluster_left;
  gboolean cluster_written;
  gint64 cluster_tc;            /* input ticks; -1 before its Timecode */
  gint64 cluster_out;           /* output ticks of the current cluster */
  Document doc;
};

typedef struct
{
  guint64 track;
  gint64 last;                  /* output ticks of its latest frame */
} TrackTime;

void
kvam_merger_event_free (KvamMergerEvent * ev)
{
  g_free (ev->producer_tag);
  g_free (ev->server_tag);
  g_free (ev->code);
  g_free (ev->message);
  g_free (ev);
}

static void
document_clear (Document * d)
{
  g_clear_pointer (&d->ebml, g_bytes_unref);
  g_clear_pointer (&d->info, g_bytes_unref);
  g_free (d->number);
  g_free (d->producer);
  g_free (d->server);
  g_free (d->error_code);
  g_free (d->error_message);
  memset (d, 0, sizeof (*d));
  d->first_cluster_tc = -1;
  d->last_cluster_out = 0;
  d->last_cluster_tc = -1;
  d->last_frame_out = -1;
  d->scale = DEFAULT_TIMECODE_SCALE;
}

KvamMkvMerger *
kvam_mkv_merger_new (GstClockTime base)
{
  KvamMkvMerger *self = g_new0 (KvamMkvMerger, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_merger_debug, "kvammerger", 0,
        "kvamsrc Matroska merger");
    g_once_init_leave (&once, 1);
  }
  self->base = base;
  self->duration = GST_CLOCK_TIME_NONE;
  self->in = g_byte_array_new ();
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvam_merger_event_free);
  self->track_times = g_array_new (FALSE, FALSE, sizeof (TrackTime));
  self->scale = DEFAULT_TIMECODE_SCALE;
  document_clear (&self->doc);
  return self;
}

void
kvam_mkv_merger_free (KvamMkvMerger * self)
{
  if (!self)
    return;
  g_byte_array_unref (self->in);
  if (self->out)
    g_byte_array_unref (self->out);
  g_ptr_array_unref (self->events);
  g_clear_pointer (&self->tracks, g_bytes_unref);
  g_array_unref (self->track_times);
  g_free (self->expected);
  document_clear (&self->doc);
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
  g_byte_array_set_size (self->in, 0);
  self->in_pos = 0;
  self->response_pos = 0;
  self->level = LEVEL_DOCUMENT;
  self->halted = FALSE;
  self->resyncing = FALSE;
  document_clear (&self->doc);
}

GPtrArray *
kvam_mkv_merger_take_events (KvamMkvMerger * self)
{
  GPtrArray *events = self->events;

  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvam_merger_event_free);
  return events;
}

static KvamMergerEvent *
add_event (KvamMkvMerger * self, KvamMergerEventType type)
{
  KvamMergerEvent *ev = g_new0 (KvamMergerEvent, 1);

  ev->type = type;
  ev->fragment = self->current;
  ev->first_frame = GST_CLOCK_TIME_NONE;
  g_ptr_array_add (self->events, ev);
  return ev;
}

/* ---- documents ----------------------------------------------------------- */

static void
end_document (KvamMkvMerger * self)
{
  Document *d = &self->doc;

  if (!d->active)
    return;
  add_event (self, KVAM_MERGER_FRAGMENT_DONE);
  self->complete++;
  document_clear (d);
}

static gboolean
begin_document (KvamMkvMerger * self, GError ** error)
{
  end_document (self);
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
    self->doc.skip_tags = self->resume.tags_written;
    /* a resumed fragment was announced by the response that began it */
    self->doc.started = self->resume.blocks_written > 0;
    self->doc.has_base = self->resume.has_base;
    self->doc.base = self->resume.base;
    self->doc.tracks_seen = self->resume.tracks_seen;
  }
  return TRUE;
}

static const KvamFragment *
expected_fragment (KvamMkvMerger * self)
{
  return self->current < self->n_expected ? self->expected[self->current] :
      NULL;
}

/* ---- writing ------------------------------------------------------------- */

static void
write_bytes (KvamMkvMerger * self, const guint8 * data, gsize size)
{
  if (!self->out)
    self->out = g_byte_array_sized_new (size + 64);
  g_byte_array_append (self->out, data, size);
}

/* Info, with the range's Duration when it is known (the fragments' own
 * were dropped: a fragment is not the stream). */
static void
write_info (KvamMkvMerger * self, GBytes * info)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize size, mark;
  const guint8 *data = g_bytes_get_data (info, &size);
  KvamEbmlHeader h;
  gdouble ticks;
  guint64 bits;
  guint8 be[8];
  guint i;

  if (!GST_CLOCK_TIME_IS_VALID (self->duration) ||
      kvam_ebml_read_header (data, size, &h) != KVAM_EBML_OK) {
    write_bytes (self, data, size);
    return;
  }
  mark = kvam_ebml_start_master (out, KVAM_EBML_ID_INFO);
  g_byte_array_append (out, data + h.header_len, size - h.header_len);
  ticks = (gdouble) self->duration / (gdouble) self->scale;
  memcpy (&bits, &ticks, sizeof (bits));
  for (i = 0; i < 8; i++)
    be[i] = (bits >> (56 - 8 * i)) & 0xFF;
  kvam_ebml_write_id (out, KVAM_EBML_ID_DURATION);
  kvam_ebml_write_size (out, sizeof (be), 0);
  g_byte_array_append (out, be, sizeof (be));
  kvam_ebml_end_master (out, mark);
  write_bytes (self, out->data, out->len);
}

static void
write_stream_header (KvamMkvMerger * self, const guint8 * tracks, gsize size)
{
  static const guint8 segment[12] = { 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
  };
  Document *d = &self->doc;
  g_autoptr (GByteArray) seek_head = g_byte_array_new ();

  if (d->ebml)
    write_bytes (self, g_bytes_get_data (d->ebml, NULL),
        g_bytes_get_size (d->ebml));
  write_bytes (self, segment, sizeof (segment));
  self->segment_start = (d->ebml ? g_bytes_get_size (d->ebml) : 0) +
      sizeof (segment);
  /* where matroskademux finds the Cues when asked to seek */
  kvam_seek_write_seek_head (seek_head);
  write_bytes (self, seek_head->data, seek_head->len);
  self->scale = d->scale;
  if (d->info)
    write_info (self, d->info);
  write_bytes (self, tracks, size);
  self->header_written = TRUE;
}

/* ---- element handlers ---------------------------------------------------- */

typedef struct
{
  const guint8 *data;           /* the whole element */
  gsize size;
  KvamEbmlHeader h;
} Element;

#define PAYLOAD(e) ((e)->data + (e)->h.header_len)
#define PAYLOAD_SIZE(e) ((e)->size - (e)->h.header_len)

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
  /* a fragment's Duration is not the stream's */
  if (c->h.id != KVAM_EBML_ID_DURATION)
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
    write_bytes (self, e->data, e->size);
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

static gboolean
handle_tags (KvamMkvMerger * self, const Element * e, GError ** error)
{
  Document *d = &self->doc;
  const KvamFragment *want = expected_fragment (self);
  TagReader r = { self, NULL, NULL };

  for_each_child (PAYLOAD (e), PAYLOAD_SIZE (e), read_tags_child, &r);
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
    KvamMergerEvent *ev = add_event (self, KVAM_MERGER_FRAGMENT_ERROR);
    GST_INFO ("fragment %s: in-band error %s", GST_STR_NULL (d->number),
        d->error_code);
    ev->code = g_strdup (d->error_code);
    ev->message = g_strdup (d->error_message);
    /* nothing after it may be written before it is tried again */
    self->halted = TRUE;
    document_clear (d);
    return TRUE;
  }
  if (self->header_written && !d->skip_tags) {
    write_bytes (self, e->data, e->size);
    d->tags_written = TRUE;
  }
  return TRUE;
}

/* Track number and relative timecode of a SimpleBlock or of the Block in
 * a BlockGroup. */
static gboolean
block_info (const Element * e, guint64 * track, gint16 * tc)
{
  const guint8 *p = PAYLOAD (e);
  gsize n = PAYLOAD_SIZE (e);
  guint track_len;

  if (e->h.id == KVAM_EBML_ID_BLOCKGROUP) {
    gsize pos = 0;
    while (pos < n) {
      KvamEbmlHeader h;
      if (kvam_ebml_read_header (p + pos, n - pos, &h) != KVAM_EBML_OK ||
          h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > n - pos - h.header_len)
        return FALSE;
      if (h.id == KVAM_EBML_ID_BLOCK) {
        p += pos + h.header_len;
        n = h.size;
        break;
      }
      pos += h.header_len + h.size;
    }
    if (pos >= PAYLOAD_SIZE (e))
      return FALSE;
  }
  if (n < 1)
    return FALSE;
  track_len = p[0] & 0x80 ? 1 : p[0] & 0x40 ? 2 : p[0] & 0x20 ? 3 : 4;
  if (n < track_len + 3)
    return FALSE;
  /* a vint of L bytes: the length marker is bit 7L */
  *track = kvam_ebml_read_uint (p, track_len) &
      ((G_GUINT64_CONSTANT (1) << (7 * track_len)) - 1);
  *tc = (gint16) ((p[track_len] << 8) | p[track_len + 1]);
  return TRUE;
}

/* Output timecode of the document's first cluster: its listed time from
 * the range base, exactly, so nothing accumulates from fragment to
 * fragment (tracks may overlap: the last audio frame of a fragment often
 * starts after the next fragment's listed time). */
static gint64
document_base (KvamMkvMerger * self)
{
  const KvamFragment *f = expected_fragment (self);

  if (!GST_CLOCK_TIME_IS_VALID (self->base))
    return self->doc.first_cluster_tc;
  return f && f->producer > self->base ?
      (gint64) MIN ((f->producer - self->base) / self->scale, MAX_TICKS) : 0;
}

/* A cluster's Timecode (or its first frame, when it has none) was read:
 * where the cluster goes in the output, never before the document's last
 * one. Runs for skipped clusters too, so a resumed response places the
 * rest of a fragment as an uncut one did. */
static void
begin_cluster_time (KvamMkvMerger * self, guint64 tc)
{
  Document *d = &self->doc;

  self->cluster_tc = (gint64) MIN (tc, (guint64) MAX_TICKS);
  if (d->first_cluster_tc < 0)
    d->first_cluster_tc = self->cluster_tc;
  if (!d->has_base) {
    d->base = document_base (self);
    d->has_base = TRUE;
  }
  self->cluster_out = MAX (d->base + (self->cluster_tc - d->first_cluster_tc),
      d->last_cluster_out);
  /* a timecode that does not move on (backwards, or the same again): the
   * cluster goes after the document's frames so far */
  if (d->last_cluster_tc >= 0 && self->cluster_tc <= d->last_cluster_tc)
    self->cluster_out = MAX (self->cluster_out, d->last_frame_out + 1);
  self->cluster_out = MAX (self->cluster_out, 0);
  d->last_cluster_out = self->cluster_out;
  d->last_cluster_tc = self->cluster_tc;
}

static TrackTime *
track_time (KvamMkvMerger * self, guint64 track)
{
  TrackTime add = { track, -1 };
  guint i;

  for (i = 0; i < self->track_times->len; i++)
    if (g_array_index (self->track_times, TrackTime, i).track == track)
      return &g_array_index (self->track_times, TrackTime, i);
  if (self->track_times->len >= MAX_TRACKS)
    return NULL;
  g_array_append_val (self->track_times, add);
  return &g_array_index (self->track_times, TrackTime, i);
}

/* The first frame of a track in a document must come after that track's
 * last frame (fragments listed with overlapping or repeated times): if it
 * would not, the rest of the document moves later, in a new cluster. Each
 * track on its own: overlap between tracks is normal Matroska. Returns the
 * frame's output time. */
static gint64
place_frame (KvamMkvMerger * self, guint64 track, gint64 t)
{
  Document *d = &self->doc;
  TrackTime *tt;
  gint64 shift;

  if (!GST_CLOCK_TIME_IS_VALID (self->base) || track >= 64 ||
      (d->tracks_seen & (G_GUINT64_CONSTANT (1) << track)))
    return t;
  d->tracks_seen |= G_GUINT64_CONSTANT (1) << track;
  tt = track_time (self, track);
  if (!tt || tt->last < 0 || t > tt->last)
    return t;
  shift = tt->last + 1 - t;
  GST_INFO ("fragment %u: track %" G_GUINT64_FORMAT " overlaps the previous "
      "fragment, moved %" G_GINT64_FORMAT " ticks later", self->current, track,
      shift);
  d->base += shift;
  self->cluster_out += shift;
  d->last_cluster_out = self->cluster_out;
  self->cluster_written = FALSE;
  return t + shift;
}

static void
write_cluster_header (KvamMkvMerger * self)
{
  static const guint8 cluster[12] = { 0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
  };
  g_autoptr (GByteArray) tc = g_byte_array_new ();

  /* unknown size: a cut can end it anywhere between complete elements */
  write_bytes (self, cluster, sizeof (cluster));
  kvam_ebml_write_uint (tc, KVAM_EBML_ID_TIMECODE, self->cluster_out);
  write_bytes (self, tc->data, tc->len);
  self->cluster_written = TRUE;
}

static void
handle_block (KvamMkvMerger * self, const Element * e)
{
  Document *d = &self->doc;
  guint64 track = 0;
  gint16 rel = 0;
  TrackTime *tt;
  gint64 t;

  if (self->cluster_tc < 0)
    begin_cluster_time (self, 0);       /* a cluster without a Timecode */
  block_info (e, &track, &rel);
  d->blocks++;
  if (d->blocks <= d->skip) {
    /* written before the cut, where it is now */
    d->last_frame_out = MAX (d->last_frame_out, self->cluster_out + rel);
    return;
  }
  if (!self->header_written)
    return;
  t = place_frame (self, track, self->cluster_out + rel);
  d->last_frame_out = MAX (d->last_frame_out, t);
  if (!self->first_track)
    self->first_track = track;
  if (!self->cluster_written)
    write_cluster_header (self);
  write_bytes (self, e->data, e->size);

  if (!d->started) {
    KvamMergerEvent *ev = add_event (self, KVAM_MERGER_FRAGMENT_STARTED);
    ev->first_frame = (GstClockTime) MAX (t, 0) * self->scale;
    ev->producer_tag = g_strdup (d->producer);
    ev->server_tag = g_strdup (d->server);
    d->started = TRUE;
  }
  tt = track_time (self, track);
  if (tt)
    tt->last = MAX (tt->last, t);
}

static void
handle_cluster_child (KvamMkvMerger * self, const Element * e)
{
  switch (e->h.id) {
    case KVAM_EBML_ID_TIMECODE:
      if (self->cluster_tc < 0)
        begin_cluster_time (self, kvam_ebml_read_uint (PAYLOAD (e),
                PAYLOAD_SIZE (e)));
      break;
    case KVAM_EBML_ID_SIMPLEBLOCK:
    case KVAM_EBML_ID_BLOCKGROUP:
      handle_block (self, e);
      break;
    case KVAM_EBML_ID_CRC32:
    case KVAM_EBML_ID_POSITION:
    case KVAM_EBML_ID_PREVSIZE:
    case KVAM_EBML_ID_VOID:
      break;                    /* wrong or useless once merged */
    default:
      if (self->cluster_written && self->header_written)
        write_bytes (self, e->data, e->size);
      break;
  }
}

static gboolean
handle_segment_child (KvamMkvMerger * self, const Element * e,
    GError ** error)
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

static void
consume (KvamMkvMerger * self, gsize n)
{
  self->in_pos += n;
  self->response_pos += n;
  if (self->doc.active)
    self->doc.bytes += n;
  if (self->level == LEVEL_CLUSTER && self->cluster_left != UNKNOWN)
    self->cluster_left -= MIN (n, self->cluster_left);
  if (self->level >= LEVEL_SEGMENT && self->segment_left != UNKNOWN)
    self->segment_left -= MIN (n, self->segment_left);
}

static gboolean
malformed (KvamMkvMerger * self, GError ** error, const gchar * what)
{
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
      "Malformed Matroska at byte %" G_GUINT64_FORMAT " of the response: %s",
      self->response_pos, what);
  return FALSE;
}

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
static gboolean
resync (KvamMkvMerger * self)
{
  const guint8 *p = self->in->data + self->in_pos;
  gsize avail = self->in->len - self->in_pos;
  gboolean need_more;
  gssize at = find_ebml_header (p, avail, &need_more);

  if (at < 0) {
    consume (self, avail > 3 ? avail - 3 : 0);
    return FALSE;
  }
  consume (self, at);
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
static gboolean
damaged (KvamMkvMerger * self, GError ** error, const gchar * why)
{
  KvamMergerEvent *ev;

  if (!self->doc.active)
    return malformed (self, error, why);
  GST_INFO ("fragment %u damaged at byte %" G_GUINT64_FORMAT " of its "
      "document: %s", self->current, self->doc.bytes, why);
  if (self->level == LEVEL_DOCUMENT) {
    /* its Segment had ended: the document is whole, junk follows */
    end_document (self);
  } else {
    ev = add_event (self, KVAM_MERGER_FRAGMENT_DAMAGED);
    ev->message = g_strdup_printf ("%s at byte %" G_GUINT64_FORMAT " of its "
        "document", why, self->doc.bytes);
    self->complete++;
    document_clear (&self->doc);
  }
  self->level = LEVEL_DOCUMENT;
  self->resyncing = TRUE;
  return TRUE;
}

/* An element that runs past its document's listed size and holds what
 * looks like the next document's EBML header: the document was stored
 * truncated inside it (a frame claiming more bytes than it has). */
static gssize
next_document_inside (KvamMkvMerger * self, const Element * e)
{
  const KvamFragment *f = expected_fragment (self);
  gboolean need_more;

  if (!f || f->size == 0 || self->doc.bytes + e->size <= f->size)
    return -1;
  return find_ebml_header (PAYLOAD (e), PAYLOAD_SIZE (e), &need_more);
}

/* One step; FALSE when more input is needed (*@error unset) or on error. */
static gboolean
step (KvamMkvMerger * self, GError ** error)
{
  const guint8 *p = self->in->data + self->in_pos;
  gsize avail = self->in->len - self->in_pos;
  Element e;
  gssize inside;

  if (self->resyncing)
    return resync (self);
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
      return damaged (self, error, "invalid element header");
    default:
      break;
  }

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

  /* masters we descend into */
  if (self->level == LEVEL_DOCUMENT && e.h.id == KVAM_EBML_ID_SEGMENT) {
    if (!self->doc.active)
      return malformed (self, error, "Segment without an EBML header");
    if (self->doc.ebml_seen_segment)
      return damaged (self, error, "a second Segment");
    self->doc.ebml_seen_segment = TRUE;
    consume (self, e.h.header_len);
    self->level = LEVEL_SEGMENT;
    self->segment_left = e.h.size == KVAM_EBML_SIZE_UNKNOWN ? UNKNOWN :
        e.h.size;
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT && e.h.id == KVAM_EBML_ID_CLUSTER) {
    consume (self, e.h.header_len);
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
    return damaged (self, error, "expected an EBML header");

  /* everything else is taken whole */
  if (e.h.size == KVAM_EBML_SIZE_UNKNOWN || e.h.size > MAX_ELEMENT_SIZE)
    return damaged (self, error, "element of unknown or absurd size");
  if (avail < e.h.header_len + e.h.size)
    return FALSE;
  e.data = p;
  e.size = e.h.header_len + e.h.size;
  if (self->level >= LEVEL_SEGMENT &&
      (inside = next_document_inside (self, &e)) >= 0) {
    consume (self, e.h.header_len + inside);
    return damaged (self, error, "truncated: an element runs into the next "
        "document");
  }

  if (self->level == LEVEL_DOCUMENT) {
    if (!begin_document (self, error))
      return FALSE;
    if (!self->header_written)
      self->doc.ebml = g_bytes_new (e.data, e.size);
    consume (self, e.size);
    return TRUE;
  }
  if (self->level == LEVEL_SEGMENT) {
    if (!handle_segment_child (self, &e, error))
      return FALSE;
  } else {
    handle_cluster_child (self, &e);
  }
  consume (self, e.size);
  return TRUE;
}

GBytes *
kvam_mkv_merger_push (KvamMkvMerger * self, const guint8 * data, gsize size,
    GError ** error)
{
  GError *err = NULL;

  if (self->halted)
    return g_bytes_new (NULL, 0);
  g_byte_array_append (self->in, data, size);
  while (!self->halted && step (self, &err));
  /* drop what was consumed; a partial element stays */
  g_byte_array_remove_range (self->in, 0, self->in_pos);
  self->in_pos = 0;
  if (err) {
    g_propagate_error (error, err);
    return NULL;
  }
  if (!self->out)
    return g_bytes_new (NULL, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&self->out));
}

/* Whether the document being read when the response ended is whole. */
static gboolean
document_is_whole (KvamMkvMerger * self)
{
  Document *d = &self->doc;
  const KvamFragment *f = expected_fragment (self);

  if (!d->active || self->in->len > 0)
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
    end_document (self);
  } else if (d->active) {
    resume->blocks_written = d->blocks;
    resume->tags_written = d->tags_written || d->skip_tags;
    resume->bytes_seen = d->bytes;
    resume->has_base = d->has_base;
    resume->base = d->base;
    resume->tracks_seen = d->tracks_seen;
    GST_INFO ("response ended inside fragment %u after %u frames, %"
        G_GUINT64_FORMAT " bytes", self->current, d->blocks, d->bytes);
  }
  document_clear (d);
  g_byte_array_set_size (self->in, 0);
  self->in_pos = 0;
  return self->complete;
}

void
kvam_mkv_merger_set_duration (KvamMkvMerger * self, GstClockTime duration)
{
  self->duration = duration;
}

guint64
kvam_mkv_merger_get_segment_start (KvamMkvMerger * self)
{
  return self->header_written ? self->segment_start : 0;
}

guint64
kvam_mkv_merger_get_first_track (KvamMkvMerger * self)
{
  return self->first_track ? self->first_track : 1;
}

guint64
kvam_mkv_merger_get_scale (KvamMkvMerger * self)
{
  return self->scale;
}

void
kvam_mkv_merger_seek (KvamMkvMerger * self)
{
  /* frames from the new position need not follow the old ones */
  g_array_set_size (self->track_times, 0);
}
