/* kvamsrc: the merger on what producers and the archive really hold:
 * fragments stored truncated, sound that overlaps the next fragment,
 * Tags that must not pile up downstream
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

#define START_MS G_GINT64_CONSTANT (1764000000000)

typedef struct
{
  GPtrArray *docs;              /* GBytes of each fragment's document */
  KvamFragment *fragments;
  const KvamFragment **ptrs;
  guint n;
} Docs;

static void
docs_free (Docs * d)
{
  guint i;

  for (i = 0; i < d->n; i++)
    g_free (d->fragments[i].number);
  g_free (d->fragments);
  g_free (d->ptrs);
  g_ptr_array_unref (d->docs);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Docs, docs_free);

/* @count fragments of 2 s as kvs-emulator makes them, listed whole. */
static Docs *
load_docs (guint count, KvsSyntheticFlags flags)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  Docs *d = g_new0 (Docs, 1);
  const KvsFragment *f;
  guint i, j;

  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic_full (emu, "s", count, 2, 64, 48,
          flags, NULL));
  f = kvs_emulator_get_fragments (emu, "s", &d->n);
  d->docs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  d->fragments = g_new0 (KvamFragment, d->n);
  d->ptrs = g_new0 (const KvamFragment *, d->n);
  for (i = 0; i < d->n; i++) {
    g_autoptr (GPtrArray) pieces = kvs_fragment_pieces (&f[i], KVS_TAGS_REAL);
    GByteArray *doc = g_byte_array_new ();
    for (j = 0; j < pieces->len; j++)
      g_byte_array_append (doc, g_bytes_get_data (pieces->pdata[j], NULL),
          g_bytes_get_size (pieces->pdata[j]));
    d->fragments[i].number = g_strdup (f[i].number);
    d->fragments[i].producer = f[i].producer_ms * GST_MSECOND;
    d->fragments[i].server = f[i].server_ms * GST_MSECOND;
    d->fragments[i].duration = f[i].duration_ms * GST_MSECOND;
    d->fragments[i].size = f[i].size;
    d->ptrs[i] = &d->fragments[i];
    g_ptr_array_add (d->docs, g_byte_array_free_to_bytes (doc));
  }
  return d;
}

/* The response for all of @d, fragment @cut_doc stored as its first
 * @cut bytes (G_MAXSIZE: whole). */
static GByteArray *
response (Docs * d, guint cut_doc, gsize cut)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  for (i = 0; i < d->n; i++) {
    gsize size = g_bytes_get_size (d->docs->pdata[i]);
    g_byte_array_append (out, g_bytes_get_data (d->docs->pdata[i], NULL),
        i == cut_doc ? MIN (cut, size) : size);
  }
  return out;
}

typedef struct
{
  GByteArray *out;
  guint complete;
  guint damaged;                /* DAMAGED events */
  gint damaged_fragment;
  guint64 dropped;
} Merged;

static void
merged_clear (Merged * m)
{
  g_clear_pointer (&m->out, g_byte_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Merged, merged_clear);

/* what the current merge is, for failures */
static gchar what[64];

/* Merges @in in reads of @chunk bytes. */
static void
merge (Docs * d, GByteArray * in, gsize chunk, Merged * r)
{
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (d->fragments[0].producer);
  KvamMergerResume resume;
  gsize pos;

  memset (r, 0, sizeof (*r));
  r->out = g_byte_array_new ();
  r->damaged_fragment = -1;
  kvam_mkv_merger_begin_response (m, d->ptrs, d->n, NULL);
  for (pos = 0; pos < in->len; pos += chunk) {
    GError *err = NULL;
    g_autoptr (GBytes) b = kvam_mkv_merger_push (m, in->data + pos,
        MIN (chunk, in->len - pos), &err);
    g_autoptr (GPtrArray) events = kvam_mkv_merger_take_events (m);
    guint i;

    fail_unless (b != NULL, "%s: %s", what, err ? err->message : "");
    g_byte_array_append (r->out, g_bytes_get_data (b, NULL),
        g_bytes_get_size (b));
    for (i = 0; i < events->len; i++) {
      KvamMergerEvent *ev = events->pdata[i];
      if (ev->type == KVAM_MERGER_FRAGMENT_DAMAGED) {
        r->damaged++;
        r->damaged_fragment = ev->fragment;
      }
    }
  }
  r->complete = kvam_mkv_merger_end_response (m, &resume);
  r->dropped = kvam_mkv_merger_get_dropped (m);
}

/* Frames (SimpleBlocks, BlockGroups) that are whole in the first @size
 * bytes of a document: what the merger can write of it. */
static guint
whole_frames (const guint8 * data, gsize size)
{
  gsize pos = 0;
  guint n = 0;

  while (pos < size) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK)
      break;
    if (h.id == KVAM_EBML_ID_SEGMENT || h.id == KVAM_EBML_ID_CLUSTER) {
      pos += h.header_len;
      continue;
    }
    if (h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > size - pos - h.header_len)
      break;
    n += h.id == KVAM_EBML_ID_SIMPLEBLOCK || h.id == KVAM_EBML_ID_BLOCKGROUP;
    pos += h.header_len + h.size;
  }
  return n;
}

/* Fragment 1 stored as its first @cut bytes, the next document at once,
 * still listed whole: its frames before the break come out once, every
 * later fragment whole at its times, one damage event names fragment 1. */
static void
check_truncated (Docs * d, GPtrArray * want, gsize cut, gsize chunk)
{
  g_autoptr (GByteArray) in = response (d, 1, cut);
  g_auto (Merged) r = { 0 };
  g_autoptr (GPtrArray) got = NULL;
  g_autoptr (GPtrArray) expect = g_ptr_array_new ();
  g_autofree gchar *diff = NULL;
  const guint8 *doc1 = g_bytes_get_data (d->docs->pdata[1], NULL);
  guint n0 = whole_frames (g_bytes_get_data (d->docs->pdata[0], NULL),
      g_bytes_get_size (d->docs->pdata[0]));
  guint n1 = whole_frames (doc1, g_bytes_get_size (d->docs->pdata[1]));
  guint k = whole_frames (doc1, cut), i;

  g_snprintf (what, sizeof (what), "cut at %" G_GSIZE_FORMAT ", reads of %"
      G_GSIZE_FORMAT, cut, chunk);
  merge (d, in, chunk, &r);
  for (i = 0; i < want->len; i++)
    if (i < n0 + k || i >= n0 + n1)
      g_ptr_array_add (expect, want->pdata[i]);
  got = kvam_test_frames (r.out->data, r.out->len);
  diff = kvam_test_frames_diff (got, expect);
  fail_unless (diff == NULL, "cut at %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
      " (reads of %" G_GSIZE_FORMAT "): %s", cut,
      g_bytes_get_size (d->docs->pdata[1]), chunk, diff);
  fail_unless (r.complete == d->n && r.damaged == 1 &&
      r.damaged_fragment == 1, "cut at %" G_GSIZE_FORMAT ": %u complete, "
      "%u damaged (fragment %d)", cut, r.complete, r.damaged,
      r.damaged_fragment);
}

/* Offset in @doc of the first element @id after @after (looking into
 * Segment, Cluster and BlockGroup). */
static gsize
find_after (GBytes * doc, guint32 id, gsize after)
{
  const guint8 *data = g_bytes_get_data (doc, NULL);
  gsize size = g_bytes_get_size (doc), pos = 0;

  while (pos < size) {
    KvamEbmlHeader h;
    fail_unless (kvam_ebml_read_header (data + pos, size - pos, &h) ==
        KVAM_EBML_OK);
    if (h.id == id && pos > after)
      return pos;
    if (h.id == KVAM_EBML_ID_SEGMENT || h.id == KVAM_EBML_ID_CLUSTER ||
        h.id == KVAM_EBML_ID_BLOCKGROUP) {
      pos += h.header_len;
      continue;
    }
    pos += h.header_len + h.size;
  }
  fail ("no element %x after %" G_GSIZE_FORMAT, id, after);
  return 0;
}

GST_START_TEST (test_truncated_fragment_anywhere)
{
  g_autoptr (Docs) d = load_docs (4, KVS_SYNTHETIC_AUDIO);
  g_autoptr (GByteArray) whole = response (d, G_MAXUINT, 0);
  g_auto (Merged) clean = { 0 };
  g_autoptr (GPtrArray) want = NULL;
  GBytes *doc1 = d->docs->pdata[1];
  gsize size = g_bytes_get_size (doc1), cut, tags, cluster, block, group;
  gsize chunks[] = { G_MAXSIZE / 2, 4096, 997 };
  guint i;

  merge (d, whole, G_MAXSIZE / 2, &clean);
  want = kvam_test_frames (clean.out->data, clean.out->len);
  fail_unless_equals_int (clean.damaged, 0);
  fail_unless (want->len > 300, "%u frames", want->len);

  /* inside the Tags, a cluster's header, its Timecode, a SimpleBlock's
   * header and data, a BlockGroup's Block and its BlockDuration */
  tags = find_after (doc1, KVAM_EBML_ID_TAGS, 0);
  cluster = find_after (doc1, KVAM_EBML_ID_CLUSTER, 0);
  cluster = find_after (doc1, KVAM_EBML_ID_CLUSTER, cluster);
  block = find_after (doc1, KVAM_EBML_ID_SIMPLEBLOCK, cluster);
  group = find_after (doc1, KVAM_EBML_ID_BLOCKGROUP, cluster);
  {
    gsize at[] = { tags + 2, tags + 20, cluster + 1, cluster + 3,
      cluster + 6, cluster + 12, cluster + 14, block + 1, block + 3,
      block + 30, group + 1, group + 4, group + 12, size * 6 / 10, size - 2,
      size - 1, 30, 50
    };
    for (i = 0; i < G_N_ELEMENTS (at); i++)
      check_truncated (d, want, at[i], chunks[i % G_N_ELEMENTS (chunks)]);
  }
  /* and at every 61st byte, in reads of two sizes */
  for (cut = 7, i = 0; cut < size; cut += 61, i++)
    check_truncated (d, want, cut, chunks[i % 2]);
}

GST_END_TEST;

/* The video of a stream whose sound overlaps itself (each fragment begins
 * with the last 64 ms of the sound before it) is where it is without the
 * overlap, every fragment's first cluster at its listed time, and the
 * repeated sound frames are dropped, so each track only moves forward. */
GST_START_TEST (test_overlapping_sound_dropped)
{
  g_autoptr (Docs) plain = load_docs (16, KVS_SYNTHETIC_AUDIO);
  g_autoptr (Docs) over = load_docs (16, KVS_SYNTHETIC_AUDIO |
      KVS_SYNTHETIC_AUDIO_OVERLAP);
  g_autoptr (GByteArray) in_plain = response (plain, G_MAXUINT, 0);
  g_autoptr (GByteArray) in_over = response (over, G_MAXUINT, 0);
  g_auto (Merged) a = { 0 };
  g_auto (Merged) b = { 0 };
  g_autoptr (GPtrArray) fa = NULL;
  g_autoptr (GPtrArray) fb = NULL;
  g_autoptr (GPtrArray) fa_late = g_ptr_array_new ();
  g_autoptr (GPtrArray) fb_late = g_ptr_array_new ();
  g_autofree gchar *diff = NULL;
  gint64 last[128];
  guint i, clusters_at_listed = 0;
  gsize pos;

  merge (plain, in_plain, 65536, &a);
  merge (over, in_over, 65536, &b);
  fail_unless_equals_int (a.dropped, 0);
  /* three frames again in each of fragments 1-15; fragment 0's before 0 */
  fail_unless (b.dropped >= 3 * 15, "%" G_GUINT64_FORMAT " dropped", b.dropped);
  fa = kvam_test_frames (a.out->data, a.out->len);
  fb = kvam_test_frames (b.out->data, b.out->len);
  /* from fragment 1 on, the same frames at the same times, exactly */
  for (i = 0; i < fa->len; i++) {
    guint track;
    gint64 t;
    fail_unless (sscanf (fa->pdata[i], "track %u at %" G_GINT64_FORMAT,
            &track, &t) == 2);
    if (t >= 2000)
      g_ptr_array_add (fa_late, fa->pdata[i]);
  }
  for (i = 0; i < 128; i++)
    last[i] = -1;
  for (i = 0; i < fb->len; i++) {
    guint track;
    gint64 t;
    fail_unless (sscanf (fb->pdata[i], "track %u at %" G_GINT64_FORMAT,
            &track, &t) == 2);
    if (t >= 2000)
      g_ptr_array_add (fb_late, fb->pdata[i]);
    /* sound only moves forward (video has B-frames in no stream here) */
    fail_unless (t > last[track % 128], "%s after %" G_GINT64_FORMAT,
        (gchar *) fb->pdata[i], last[track % 128]);
    last[track % 128] = t;
  }
  diff = kvam_test_frames_diff (fb_late, fa_late);
  fail_unless (diff == NULL, "%s", diff);

  /* each fragment's first cluster at its listed time from the first */
  for (pos = 0; pos + 6 < b.out->len; pos++) {
    static const guint8 cluster[] = { 0x1F, 0x43, 0xB6, 0x75 };
    KvamEbmlHeader h;
    gsize tc_at;
    guint64 tc;
    if (memcmp (b.out->data + pos, cluster, 4) != 0)
      continue;
    fail_unless (kvam_ebml_read_header (b.out->data + pos,
            b.out->len - pos, &h) == KVAM_EBML_OK);
    tc_at = pos + h.header_len;
    fail_unless (kvam_ebml_read_header (b.out->data + tc_at,
            b.out->len - tc_at, &h) == KVAM_EBML_OK);
    fail_unless_equals_int (h.id, KVAM_EBML_ID_TIMECODE);
    tc = kvam_ebml_read_uint (b.out->data + tc_at + h.header_len, h.size);
    clusters_at_listed += tc % 2000 == 0 && tc / 2000 < 16;
  }
  fail_unless_equals_int (clusters_at_listed, 16);
}

GST_END_TEST;

/* Each fragment's Tags stay out of the output (matroskademux would merge
 * them all and post the growing list again for every fragment); what they
 * say comes with the fragment's STARTED event. */
GST_START_TEST (test_tags_stay_out)
{
  g_autoptr (Docs) d = load_docs (3, 0);
  g_autoptr (GByteArray) in = response (d, G_MAXUINT, 0);
  g_autoptr (KvamMkvMerger) m = kvam_mkv_merger_new (d->fragments[0].producer);
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GPtrArray) events = NULL;
  const guint8 *data;
  gsize size, pos = 0;
  guint i, started = 0, segment_children = 0;

  kvam_mkv_merger_begin_response (m, d->ptrs, d->n, NULL);
  out = kvam_mkv_merger_push (m, in->data, in->len, NULL);
  fail_unless (out != NULL);
  events = kvam_mkv_merger_take_events (m);
  for (i = 0; i < events->len; i++) {
    KvamMergerEvent *ev = events->pdata[i];
    if (ev->type != KVAM_MERGER_FRAGMENT_STARTED)
      continue;
    fail_unless (ev->producer_tag != NULL && ev->server_tag != NULL);
    fail_unless_equals_int (g_ascii_strtod (ev->producer_tag, NULL),
        d->fragments[ev->fragment].producer / GST_SECOND);
    started++;
  }
  fail_unless_equals_int (started, 3);

  data = g_bytes_get_data (out, &size);
  while (pos < size) {
    KvamEbmlHeader h;
    fail_unless (kvam_ebml_read_header (data + pos, size - pos, &h) ==
        KVAM_EBML_OK);
    fail_if (h.id == KVAM_EBML_ID_TAGS, "Tags at byte %" G_GSIZE_FORMAT, pos);
    if (h.id == KVAM_EBML_ID_SEGMENT) {
      pos += h.header_len;
      continue;
    }
    if (h.id == KVAM_EBML_ID_CLUSTER)
      break;                    /* unknown size: nothing but frames follows */
    segment_children++;
    pos += h.header_len + h.size;
  }
  fail_unless (segment_children >= 3, "%u", segment_children);
  /* nor between clusters: no Tags ID anywhere in the bytes */
  for (pos = 0; pos + 4 <= size; pos++)
    fail_if (memcmp (data + pos, "\x12\x54\xC3\x67", 4) == 0,
        "Tags at byte %" G_GSIZE_FORMAT, pos);
}

GST_END_TEST;

static Suite *
kvammkvmergerfaults_suite (void)
{
  Suite *s = suite_create ("kvammkvmergerfaults");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tags_stay_out);
  tcase_add_test (tc, test_truncated_fragment_anywhere);
  tcase_add_test (tc, test_overlapping_sound_dropped);
  return s;
}

GST_CHECK_MAIN (kvammkvmergerfaults);
