/* kvamsrc: the Matroska merger alone, on real KVS captures
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>

#include "kvammkvmerger.h"
#include "kvamebml.h"
#include "kvsmedia.h"
#include "kvsemulator.h"
#include "kvamtestutil.h"

typedef struct
{
  GPtrArray *docs;              /* GBytes of each fragment's document */
  KvamFragment *fragments;
  const KvamFragment **ptrs;
  guint n;
  guint blocks;                 /* SimpleBlocks in all documents */
} Capture;

static guint count_blocks (const guint8 * data, gsize size, GArray * times,
    guint * clusters, guint * headers, guint * tracks);

static Capture *
load_capture (const gchar * file)
{
  g_autofree gchar *rel = g_build_filename ("kvs-captures", file, NULL);
  g_autofree gchar *path = kvam_test_fixture_path (rel);
  g_autofree gchar *data = NULL;
  g_autoptr (GPtrArray) frags = NULL;
  Capture *c = g_new0 (Capture, 1);
  gsize size;
  guint i;

  fail_unless (g_file_get_contents (path, &data, &size, NULL));
  frags = kvs_media_split_capture ((const guint8 *) data, size, NULL);
  fail_unless (frags != NULL);
  c->n = frags->len;
  c->docs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  c->fragments = g_new0 (KvamFragment, c->n);
  c->ptrs = g_new0 (const KvamFragment *, c->n);
  for (i = 0; i < c->n; i++) {
    KvsFragment *f = frags->pdata[i];
    c->fragments[i].number = g_strdup (f->number);
    c->fragments[i].producer = f->producer_ms * GST_MSECOND;
    c->fragments[i].server = f->server_ms * GST_MSECOND;
    c->fragments[i].size = f->size;
    c->ptrs[i] = &c->fragments[i];
    g_ptr_array_add (c->docs, f->document);
    c->blocks += count_blocks (g_bytes_get_data (f->document, NULL),
        g_bytes_get_size (f->document), NULL, NULL, NULL, NULL);
  }
  return c;
}

static void
capture_free (Capture * c)
{
  guint i;

  for (i = 0; i < c->n; i++)
    g_free (c->fragments[i].number);
  g_free (c->fragments);
  g_free (c->ptrs);
  g_ptr_array_unref (c->docs);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Capture, capture_free);

/* Documents @from.. of @c, concatenated, as a response would carry them. */
static GByteArray *
response_bytes (Capture * c, guint from)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  for (i = from; i < c->n; i++)
    g_byte_array_append (out, g_bytes_get_data (c->docs->pdata[i], NULL),
        g_bytes_get_size (c->docs->pdata[i]));
  return out;
}

/* Counts SimpleBlocks (and Clusters, EBML headers, Tracks) by walking the
 * Matroska in @data; unknown sizes end at the next top-level ID. Block
 * times (cluster timecode + relative) go to @times. */
static guint
count_blocks (const guint8 * data, gsize size, GArray * times,
    guint * clusters, guint * headers, guint * tracks)
{
  gsize pos = 0;
  guint blocks = 0;
  gint64 cluster_tc = 0;
  gboolean in_cluster = FALSE;

  while (pos < size) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK)
      break;
    if (kvam_ebml_is_top_level_id (h.id))
      in_cluster = FALSE;
    if (h.id == KVAM_EBML_ID_HEADER && headers)
      (*headers)++;
    if (h.id == KVAM_EBML_ID_TRACKS && tracks)
      (*tracks)++;
    if (h.id == KVAM_EBML_ID_SEGMENT) {
      pos += h.header_len;      /* descend */
      continue;
    }
    if (h.id == KVAM_EBML_ID_CLUSTER) {
      if (clusters)
        (*clusters)++;
      in_cluster = TRUE;
      pos += h.header_len;
      continue;
    }
    if (h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > size - pos - h.header_len)
      break;                    /* truncated at the end */
    if (in_cluster && h.id == KVAM_EBML_ID_TIMECODE)
      cluster_tc = kvam_ebml_read_uint (data + pos + h.header_len, h.size);
    if (in_cluster && h.id == KVAM_EBML_ID_SIMPLEBLOCK) {
      const guint8 *p = data + pos + h.header_len;
      gint64 t = cluster_tc + (gint16) ((p[1] << 8) | p[2]);
      blocks++;
      if (times)
        g_array_append_val (times, t);
    }
    pos += h.header_len + h.size;
  }
  return blocks;
}

static GByteArray *
merge_in_chunks (Capture * c, gsize chunk)
{
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (c->fragments[0].producer);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  GByteArray *out = g_byte_array_new ();
  KvamMergerResume resume;
  gsize pos;

  kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
  for (pos = 0; pos < in->len; pos += chunk) {
    GError *err = NULL;
    g_autoptr (GBytes) b = kvam_mkv_merger_push (m, in->data + pos,
        MIN (chunk, in->len - pos), &err);
    fail_unless (b != NULL, "%s", err ? err->message : "");
    g_byte_array_append (out, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  }
  fail_unless_equals_int (kvam_mkv_merger_end_response (m, &resume), c->n);
  return out;
}

GST_START_TEST (test_one_segment_any_chunking)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (GByteArray) whole = merge_in_chunks (c, G_MAXSIZE / 2);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gsize chunks[] = { 7, 4096, 65536 };
  guint clusters = 0, headers = 0, tracks = 0, blocks, i;

  blocks = count_blocks (whole->data, whole->len, times, &clusters, &headers,
      &tracks);
  fail_unless_equals_int (headers, 1);
  fail_unless_equals_int (tracks, 1);
  fail_unless_equals_int (clusters, c->n);
  fail_unless_equals_int (blocks, c->blocks);
  /* rebased: the first frame at 0, never backwards */
  fail_unless_equals_int (g_array_index (times, gint64, 0), 0);
  for (i = 1; i < times->len; i++)
    fail_unless (g_array_index (times, gint64, i) >= g_array_index (times,
            gint64, i - 1) - 100 /* B-frames reorder within 100 ms */ );

  for (i = 0; i < G_N_ELEMENTS (chunks); i++) {
    g_autoptr (GByteArray) other = merge_in_chunks (c, chunks[i]);
    fail_unless (other->len == whole->len &&
        memcmp (other->data, whole->data, whole->len) == 0,
        "chunks of %" G_GSIZE_FORMAT " give other bytes", chunks[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_byte_by_byte)
{
  g_autoptr (Capture) c = load_capture ("test_mixed_tags.mkv");
  g_autoptr (GByteArray) whole = merge_in_chunks (c, G_MAXSIZE / 2);
  g_autoptr (GByteArray) bytes = merge_in_chunks (c, 1);

  fail_unless (bytes->len == whole->len &&
      memcmp (bytes->data, whole->data, whole->len) == 0);
  fail_unless_equals_int (count_blocks (whole->data, whole->len, NULL, NULL,
          NULL, NULL), c->blocks);
}

GST_END_TEST;

/* Cut the response at @cut, resume from the first incomplete fragment as
 * kvamsrc does, and check every frame is written exactly once, at exactly
 * the time it has in the uncut output (@want). */
static void
cut_and_resume (Capture * c, gsize cut, GPtrArray * want)
{
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (c->fragments[0].producer);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) rest = NULL;
  g_autoptr (GBytes) a = NULL, b = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  g_autofree gchar *diff = NULL;
  KvamMergerResume resume;
  guint done, headers = 0;

  kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
  a = kvam_mkv_merger_push (m, in->data, cut, NULL);
  fail_unless (a != NULL);
  g_byte_array_append (out, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  done = kvam_mkv_merger_end_response (m, &resume);
  fail_unless (done < c->n, "cut at %" G_GSIZE_FORMAT " looked whole", cut);

  rest = response_bytes (c, done);
  kvam_mkv_merger_begin_response (m, c->ptrs + done, c->n - done, &resume);
  b = kvam_mkv_merger_push (m, rest->data, rest->len, NULL);
  fail_unless (b != NULL);
  g_byte_array_append (out, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  fail_unless_equals_int (kvam_mkv_merger_end_response (m, &resume),
      c->n - done);

  count_blocks (out->data, out->len, NULL, NULL, &headers, NULL);
  fail_unless_equals_int (headers, 1);
  frames = kvam_test_frames (out->data, out->len);
  diff = kvam_test_frames_diff (frames, want);
  fail_unless (diff == NULL, "cut at %" G_GSIZE_FORMAT ": %s", cut, diff);
}

GST_START_TEST (test_cut_anywhere_and_resume)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (GByteArray) whole = merge_in_chunks (c, G_MAXSIZE / 2);
  g_autoptr (GPtrArray) want = kvam_test_frames (whole->data, whole->len);
  gsize doc0 = g_bytes_get_size (c->docs->pdata[0]);
  gsize doc1 = g_bytes_get_size (c->docs->pdata[1]);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  gsize cluster, last_block, first_block, unused;
  /* inside the EBML header, Segment, SeekHead, Info, Tracks, tags, a
   * cluster header, a frame; at and around document boundaries */
  gsize cuts[] = { 1, 10, 45, 60, 200, 400, 600, 700, 800, 900, 1000, 5000,
    60000, doc0 - 1, doc0 + 1, doc0 + 30, doc0 + doc1 - 300, doc0 + doc1 + 1,
    in->len - 100, in->len - 1
  };
  guint i;

  fail_unless_equals_int (want->len, c->blocks);
  for (i = 0; i < G_N_ELEMENTS (cuts); i++)
    cut_and_resume (c, cuts[i], want);

  /* right after the tags, before the first Cluster; inside the last frame
   * of a fragment; inside its first frame */
  kvam_test_find_element (c->docs->pdata[1], KVAM_EBML_ID_CLUSTER, &cluster,
      &unused);
  kvam_test_find_element (c->docs->pdata[1], KVAM_EBML_ID_SIMPLEBLOCK,
      &first_block, &last_block);
  cut_and_resume (c, doc0 + cluster, want);
  cut_and_resume (c, doc0 + last_block + 10, want);
  cut_and_resume (c, doc0 + first_block + 1, want);
}

GST_END_TEST;

/* The resumed response is cut again, at @second of its bytes (before or
 * after the point the first got to): the third still writes every frame
 * once. */
static void
cut_twice_and_resume (Capture * c, gsize cut1, gsize cut2, GPtrArray * want)
{
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (c->fragments[0].producer);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GPtrArray) frames = NULL;
  g_autofree gchar *diff = NULL;
  KvamMergerResume resume;
  guint done = 0, round;
  gsize cuts[] = { cut1, cut2, G_MAXSIZE };

  for (round = 0; round < 3; round++) {
    g_autoptr (GByteArray) bytes = response_bytes (c, done);
    g_autoptr (GBytes) got = NULL;
    kvam_mkv_merger_begin_response (m, c->ptrs + done, c->n - done,
        round ? &resume : NULL);
    got = kvam_mkv_merger_push (m, bytes->data, MIN (cuts[round],
            bytes->len), NULL);
    fail_unless (got != NULL);
    g_byte_array_append (out, g_bytes_get_data (got, NULL),
        g_bytes_get_size (got));
    done += kvam_mkv_merger_end_response (m, &resume);
  }
  fail_unless_equals_int (done, c->n);
  frames = kvam_test_frames (out->data, out->len);
  diff = kvam_test_frames_diff (frames, want);
  fail_unless (diff == NULL, "cuts at %" G_GSIZE_FORMAT " then %"
      G_GSIZE_FORMAT ": %s", cut1, cut2, diff);
}

/* Fragments as kvs-emulator makes them (small known-size clusters, a frame
 * every 40 ms), which the captures are not. */
static Capture *
load_synthetic (guint count)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  Capture *c = g_new0 (Capture, 1);
  const KvsFragment *f;
  guint i, j;

  kvs_emulator_set_stream_start (emu, G_GINT64_CONSTANT (1764000000000));
  fail_unless (kvs_emulator_add_synthetic (emu, "s", count, 2, 64, 48, NULL));
  f = kvs_emulator_get_fragments (emu, "s", &c->n);
  c->docs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  c->fragments = g_new0 (KvamFragment, c->n);
  c->ptrs = g_new0 (const KvamFragment *, c->n);
  for (i = 0; i < c->n; i++) {
    g_autoptr (GPtrArray) pieces = kvs_fragment_pieces (&f[i], KVS_TAGS_REAL);
    GByteArray *doc = g_byte_array_new ();
    for (j = 0; j < pieces->len; j++)
      g_byte_array_append (doc, g_bytes_get_data (pieces->pdata[j], NULL),
          g_bytes_get_size (pieces->pdata[j]));
    c->fragments[i].number = g_strdup (f[i].number);
    c->fragments[i].producer = f[i].producer_ms * GST_MSECOND;
    c->fragments[i].server = f[i].server_ms * GST_MSECOND;
    c->fragments[i].duration = f[i].duration_ms * GST_MSECOND;
    c->fragments[i].size = f[i].size;
    c->ptrs[i] = &c->fragments[i];
    c->blocks += count_blocks (doc->data, doc->len, NULL, NULL, NULL, NULL);
    g_ptr_array_add (c->docs, g_byte_array_free_to_bytes (doc));
  }
  return c;
}

GST_START_TEST (test_cut_twice_and_resume)
{
  g_autoptr (Capture) c = load_synthetic (3);
  g_autoptr (GByteArray) whole = merge_in_chunks (c, G_MAXSIZE / 2);
  g_autoptr (GPtrArray) want = kvam_test_frames (whole->data, whole->len);
  gsize doc0 = g_bytes_get_size (c->docs->pdata[0]);
  gsize doc1 = g_bytes_get_size (c->docs->pdata[1]);
  /* the first cut late in fragment 1 (then its first 7/8 are written);
   * the second: before its document begins again, in its header, among
   * the frames skipped, just past the first cut's point */
  gsize cut1 = doc0 + doc1 * 7 / 8;
  gsize seconds[] = { G_MAXSIZE, 0, 1, 30, 400, doc1 / 2, doc1 * 7 / 8 + 200 };
  guint i;

  fail_unless_equals_int (want->len, c->blocks);
  for (i = 0; i < G_N_ELEMENTS (seconds); i++)
    cut_twice_and_resume (c, cut1, seconds[i], want);
}

GST_END_TEST;

GST_START_TEST (test_unexpected_fragment_is_an_error)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (0);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  GError *err = NULL;

  /* asked for fragments 1.., given 0.. */
  kvam_mkv_merger_begin_response (m, c->ptrs + 1, c->n - 1, NULL);
  fail_if (kvam_mkv_merger_push (m, in->data, in->len, &err));
  fail_unless (strstr (err->message, c->fragments[0].number) != NULL);
  g_error_free (err);
}

GST_END_TEST;

GST_START_TEST (test_garbage_is_an_error)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (0);
  static const guint8 junk[] = "<html>503 Service Unavailable</html>";
  static const guint8 zeros[16] = { 0 };
  KvamMergerResume resume;
  GError *err = NULL;

  kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
  fail_if (kvam_mkv_merger_push (m, junk, sizeof (junk), &err));
  fail_unless (strstr (err->message, "Malformed Matroska") != NULL);
  g_clear_error (&err);
  kvam_mkv_merger_end_response (m, &resume);
  kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
  fail_if (kvam_mkv_merger_push (m, zeros, sizeof (zeros), &err));
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_in_band_error_stops_the_response)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (0);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (GBytes) err_doc = kvs_media_error_document (c->fragments[1].number,
      "FRAGMENT_NOT_FOUND", "gone", KVS_TAGS_DOCUMENTED);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GPtrArray) events = NULL;
  KvamMergerResume resume;
  KvamMergerEvent *last;
  guint i;

  g_byte_array_append (in, g_bytes_get_data (c->docs->pdata[0], NULL),
      g_bytes_get_size (c->docs->pdata[0]));
  g_byte_array_append (in, g_bytes_get_data (err_doc, NULL),
      g_bytes_get_size (err_doc));
  for (i = 2; i < c->n; i++)
    g_byte_array_append (in, g_bytes_get_data (c->docs->pdata[i], NULL),
        g_bytes_get_size (c->docs->pdata[i]));

  kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
  out = kvam_mkv_merger_push (m, in->data, in->len, NULL);
  events = kvam_mkv_merger_take_events (m);
  last = events->pdata[events->len - 1];
  fail_unless_equals_int (last->type, KVAM_MERGER_FRAGMENT_ERROR);
  fail_unless_equals_int (last->fragment, 1);
  fail_unless_equals_string (last->code, "FRAGMENT_NOT_FOUND");
  /* only fragment 0's frames were written */
  fail_unless_equals_int (count_blocks (g_bytes_get_data (out, NULL),
          g_bytes_get_size (out), NULL, NULL, NULL, NULL),
      count_blocks (g_bytes_get_data (c->docs->pdata[0], NULL),
          g_bytes_get_size (c->docs->pdata[0]), NULL, NULL, NULL, NULL));
  fail_unless_equals_int (kvam_mkv_merger_end_response (m, &resume), 1);
  fail_unless_equals_int (resume.blocks_written, 0);
}

GST_END_TEST;

/* ---- hostile documents --------------------------------------------------- */

#define NUMBER "91343852333181432392682062607743920146159169392"

/* Merges one made-up document listed at @producer (the range base too);
 * returns its frames, or NULL with *@error. */
static GPtrArray *
merge_document (GByteArray * doc, GError ** error)
{
  KvamFragment f = { (gchar *) NUMBER, 1764000000 * GST_SECOND,
    1764000001 * GST_SECOND, 2 * GST_SECOND, doc->len
  };
  const KvamFragment *list[] = { &f };
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (f.producer);
  g_autoptr (GBytes) out = NULL;
  KvamMergerResume resume;

  kvam_mkv_merger_begin_response (m, list, 1, NULL);
  out = kvam_mkv_merger_push (m, doc->data, doc->len, error);
  if (!out)
    return NULL;
  fail_unless_equals_int (kvam_mkv_merger_end_response (m, &resume), 1);
  return kvam_test_frames (g_bytes_get_data (out, NULL),
      g_bytes_get_size (out));
}

static gint64
frame_time (GPtrArray * frames, guint i)
{
  guint track;
  gint64 t;

  fail_unless (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT,
          &track, &t) == 2);
  return t;
}

/* Tags > Tag > Tag > ... 200 000 deep (2 MB, far under the element size
 * limit): the tag reader recursed once a level and overflowed the stack. */
GST_START_TEST (test_nested_tags_do_not_recurse)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autoptr (GPtrArray) frames = NULL;
  GError *err = NULL;

  kvam_test_doc_add_nested_tags (doc, 200000);
  kvam_test_doc_add_number (doc, NUMBER);
  kvam_test_doc_add_cluster (doc, 0, 5);
  frames = merge_document (doc, &err);
  fail_unless (frames != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (frames->len, 5);
}

GST_END_TEST;

/* Cluster timecodes that go backwards inside a fragment, or sit at 2^63-1,
 * give sane, non-decreasing output times (a backward one was written as
 * 2^64-8000; 2^63-1 overflowed). */
GST_START_TEST (test_absurd_cluster_times_clamped)
{
  g_autoptr (GByteArray) back = kvam_test_doc_begin ();
  g_autoptr (GByteArray) huge = kvam_test_doc_begin ();
  g_autoptr (GPtrArray) a = NULL, b = NULL;
  guint i;

  kvam_test_doc_add_number (back, NUMBER);
  kvam_test_doc_add_cluster (back, 10000, 3);
  kvam_test_doc_add_cluster (back, 12000, 3);
  kvam_test_doc_add_cluster (back, 2000, 3);    /* 8 s before the first */
  a = merge_document (back, NULL);
  fail_unless_equals_int (a->len, 9);
  fail_unless_equals_int64 (frame_time (a, 0), 0);
  /* the backward cluster goes after the frames before it */
  for (i = 1; i < a->len; i++)
    fail_unless (frame_time (a, i) > frame_time (a, i - 1) &&
        frame_time (a, i) < 60000, "%s", (gchar *) a->pdata[i]);

  kvam_test_doc_add_number (huge, NUMBER);
  kvam_test_doc_add_cluster (huge, 0, 2);
  kvam_test_doc_add_cluster (huge, G_MAXINT64, 2);
  kvam_test_doc_add_cluster (huge, G_MAXUINT64, 2);
  b = merge_document (huge, NULL);
  fail_unless_equals_int (b->len, 6);
  for (i = 0; i < b->len; i++)
    fail_unless (frame_time (b, i) > (i ? frame_time (b, i - 1) : -1) &&
        frame_time (b, i) <=
        (G_GINT64_CONSTANT (1) << 53) + 200, "%s", (gchar *) b->pdata[i]);
}

GST_END_TEST;

/* A fragment-number tag of 1 MB is not copied into the error message. */
GST_START_TEST (test_long_tag_not_quoted_whole)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autofree gchar *number = g_strnfill (1024 * 1024, '7');
  GError *err = NULL;

  kvam_test_doc_add_number (doc, number);
  kvam_test_doc_add_cluster (doc, 0, 1);
  fail_if (merge_document (doc, &err));
  fail_unless (strstr (err->message, "arrived where") != NULL, "%s",
      err->message);
  fail_unless (strlen (err->message) < 400, "%" G_GSIZE_FORMAT " characters",
      strlen (err->message));
  g_error_free (err);
}

GST_END_TEST;

/* Read through the lent input space, as kvamsrc reads: the output is the
 * same bytes as with copies, and the frames in it are the very memory that
 * was read into (slices, not copies), whatever the read size. */
GST_START_TEST (test_frames_are_not_copied)
{
  g_autoptr (Capture) c = load_capture ("output_get_media.mkv");
  g_autoptr (GByteArray) want = merge_in_chunks (c, 65536);
  g_autoptr (GByteArray) in = response_bytes (c, 0);
  gsize reads[] = { 65536, 4096, 1000000 };
  guint r;

  for (r = 0; r < G_N_ELEMENTS (reads); r++) {
    g_autoptr (KvamMkvMerger) m =
        kvam_mkv_merger_new (c->fragments[0].producer);
    g_autoptr (GByteArray) got = g_byte_array_new ();
    g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func
        ((GDestroyNotify) gst_buffer_unref);
    GArray *spans = g_array_new (FALSE, FALSE, sizeof (gpointer));
    guint64 sliced = 0;
    KvamMergerResume resume;
    gsize pos, i;

    kvam_mkv_merger_begin_response (m, c->ptrs, c->n, NULL);
    for (pos = 0; pos < in->len; pos += reads[r]) {
      gsize n = MIN (reads[r], in->len - pos);
      guint8 *space = kvam_mkv_merger_take_input_space (m, reads[r]);
      GError *err = NULL;
      GstBuffer *buf;
      guint k;

      memcpy (space, in->data + pos, n);
      /* where the reads went: [start, end) pairs, one for reads that
       * followed each other in memory */
      if (spans->len && g_array_index (spans, guint8 *, spans->len - 1) ==
          space) {
        g_array_index (spans, guint8 *, spans->len - 1) = space + n;
      } else {
        g_array_append_val (spans, space);
        space += n;
        g_array_append_val (spans, space);
      }
      buf = kvam_mkv_merger_push_input_buffer (m, n, &err);
      fail_unless (buf != NULL, "%s", err ? err->message : "");
      for (k = 0; k < gst_buffer_n_memory (buf); k++) {
        GstMapInfo map;
        guint s;
        gst_memory_map (gst_buffer_peek_memory (buf, k), &map, GST_MAP_READ);
        g_byte_array_append (got, map.data, map.size);
        for (s = 0; s + 1 < spans->len; s += 2)
          if (map.data >= g_array_index (spans, guint8 *, s) &&
              map.data + map.size <= g_array_index (spans, guint8 *, s + 1))
            sliced += map.size;
        gst_memory_unmap (gst_buffer_peek_memory (buf, k), &map);
      }
      /* kept alive like buffers downstream: their memory stays valid */
      g_ptr_array_add (kept, buf);
    }
    fail_unless_equals_int (kvam_mkv_merger_end_response (m, &resume), c->n);
    fail_unless (got->len == want->len && memcmp (got->data, want->data,
            want->len) == 0, "reads of %" G_GSIZE_FORMAT ": other bytes",
        reads[r]);
    g_print ("reads of %" G_GSIZE_FORMAT ": %.1f %% of the output bytes are "
        "the read memory itself\n", reads[r], 100.0 * sliced / got->len);
    /* small reads get small blocks, where more frames straddle two */
    fail_unless (sliced > got->len * (reads[r] >= 65536 ? 8 : 6) / 10,
        "only %" G_GUINT64_FORMAT " of %u bytes are slices", sliced, got->len);
    for (i = 0; i < kept->len; i++)
      fail_unless (gst_buffer_get_size (kept->pdata[i]) < G_MAXSIZE);
    g_array_unref (spans);
  }
}

GST_END_TEST;

static Suite *
kvammkvmerger_suite (void)
{
  Suite *s = suite_create ("kvammkvmerger");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nested_tags_do_not_recurse);
  tcase_add_test (tc, test_absurd_cluster_times_clamped);
  tcase_add_test (tc, test_long_tag_not_quoted_whole);
  if (!kvam_test_fixtures_available ("kvs-captures"))
    return s;
  tcase_add_test (tc, test_one_segment_any_chunking);
  tcase_add_test (tc, test_frames_are_not_copied);
  tcase_add_test (tc, test_byte_by_byte);
  tcase_add_test (tc, test_cut_anywhere_and_resume);
  tcase_add_test (tc, test_cut_twice_and_resume);
  tcase_add_test (tc, test_unexpected_fragment_is_an_error);
  tcase_add_test (tc, test_garbage_is_an_error);
  tcase_add_test (tc, test_in_band_error_stops_the_response);
  return s;
}

GST_CHECK_MAIN (kvammkvmerger);
