/* kvamsrc: riding through throttling, cuts, stalls, in-band errors,
 * stale endpoints and rotating credentials
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "kvamebml.h"
#include "kvamtestplay.h"
#include "kvamtestutil.h"

#define START "1764000000"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define DECODE "matroskademux ! h264parse ! avdec_h264 ! fakesink name=sink"
#define FPS 25

static KvsEmulator *emu;
static gchar *home;

static void
setup (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  home = g_dir_make_tmp ("kvam-res-XXXXXX", NULL);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
}

static void
teardown (void)
{
  g_autofree gchar *creds = g_build_filename (home, "credentials", NULL);

  kvs_emulator_free (emu);
  g_unlink (creds);
  g_rmdir (home);
  g_clear_pointer (&home, g_free);
  g_unsetenv ("AWS_SHARED_CREDENTIALS_FILE");
}

static void
start_with (guint fragments)
{
  GError *err = NULL;

  fail_unless (kvs_emulator_add_synthetic (emu, "cam", fragments, 1, 64, 48,
          &err), "%s", err ? err->message : "");
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
}

/* Every fragment exactly once, in order, in the stream and the messages;
 * every frame decoded once. */
static void
assert_all_fragments_once (KvamPlayResult * r, guint n)
{
  guint count, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &count);

  fail_unless (r->eos, "no EOS: %s", r->error ?
      gst_structure_to_string (gst_message_get_structure (r->error)) : "");
  /* every frame at its time, in the stream; each fragment in messages */
  kvam_test_assert_timeline (r, emu, "cam", 0, n);
  fail_unless_equals_int (r->fragments->len, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_string (r->fragments->pdata[i], f[i].number);
  fail_unless_equals_int (r->frames, n * FPS);
  fail_unless_equals_int (r->segments, 1);
}

static guint
stat_uint (KvamPlayResult * r, const gchar * field)
{
  guint v = G_MAXUINT;

  fail_unless (gst_structure_get_uint (r->stats, field, &v), "no %s", field);
  return v;
}

static const gchar *const range_props[] = { "stream-name", "cam",
  "start-time", START, "fragment-selector-type", "producer", NULL
};

/* ---- one behaviour at a time --------------------------------------------- */

GST_START_TEST (test_retries_through_throttles_and_failures)
{
  g_autoptr (KvamPlayResult) r = NULL;

  start_with (20);
  kvs_emulator_set_throttle_every (emu, 3);
  kvs_emulator_set_fail_every (emu, 4);
  r = kvam_test_play (emu, DECODE, TRUE, 60, range_props);
  assert_all_fragments_once (r, 20);
  fail_unless (kvs_emulator_count (emu, NULL, "ClientLimitExceededException")
      > 0);
  fail_unless_equals_int (stat_uint (r, "throttles"), kvs_emulator_count (emu,
          NULL, "ClientLimitExceededException"));
  fail_unless (stat_uint (r, "retries") >= kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException") + kvs_emulator_count (emu, NULL,
          "InternalFailure"));
}

GST_END_TEST;

GST_START_TEST (test_unknown_stream_not_retried)
{
  const gchar *props[] = { "stream-name", "nope", "start-time", START, NULL };
  g_autoptr (KvamPlayResult) r = NULL;

  start_with (2);
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, props);
  fail_unless (r->error != NULL);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL, "*"), 1);
}

GST_END_TEST;

/* A fragment's document as a response carries it. */
static GBytes *
fragment_document (const KvsFragment * f)
{
  g_autoptr (GPtrArray) pieces = kvs_fragment_pieces (f, KVS_TAGS_REAL);
  GByteArray *doc = g_byte_array_new ();
  guint i;

  for (i = 0; i < pieces->len; i++)
    g_byte_array_append (doc, g_bytes_get_data (pieces->pdata[i], NULL),
        g_bytes_get_size (pieces->pdata[i]));
  return g_byte_array_free_to_bytes (doc);
}

typedef enum
{
  NO_FAULT,
  CUT,
  STALL,
} Fault;

/* Six 1 s fragments of pictures and sound (BlockGroups) through a fresh
 * emulator (media calls count from 1 again) with one fault in the first
 * media response at @offset. */
static KvamPlayResult *
play_av_with_fault (Fault fault, guint64 offset)
{
  const gchar *stall_props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "request-timeout", "1000", NULL
  };
  GError *err = NULL;
  KvamPlayResult *r;

  kvs_emulator_free (emu);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic_full (emu, "cam", 6, 1, 64, 48,
          KVS_SYNTHETIC_AUDIO, &err), "%s", err ? err->message : "");
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
  kvs_emulator_set_rate_limit (emu, FALSE);
  if (fault == CUT)
    kvs_emulator_add_cut (emu, 1, offset);
  else if (fault == STALL)
    kvs_emulator_add_stall (emu, 1, offset);
  r = kvam_test_play (emu, DECODE, TRUE, 60, fault == STALL ? stall_props :
      range_props);
  assert_all_fragments_once (r, 6);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) ==
      (fault == NO_FAULT ? 1 : 2), "fault %d at %" G_GUINT64_FORMAT ": %u "
      "media calls", fault, offset, kvs_emulator_count (emu,
          "GetMediaForFragmentList", NULL));
  return r;
}

/* Cuts anywhere leave every frame once, at exactly the time (and with the
 * bytes) it has in an uncut run: a resumed response must not move the
 * frames after it, nor the fragments after those. */
GST_START_TEST (test_cut_at_twenty_offsets)
{
  g_autoptr (KvamPlayResult) uncut = play_av_with_fault (NO_FAULT, 0);
  g_autoptr (GPtrArray) want = kvam_test_frames (uncut->raw->data,
      uncut->raw->len);
  g_autoptr (GBytes) doc1 = NULL;
  guint n, i, k = 0;
  guint64 offsets[24], doc = 0, size[6];
  gsize group, cluster, block, last_block, last_group;
  /* each run frees the emulator, and its fragments with it */
  const KvsFragment *f = kvs_emulator_get_fragments (emu, "cam", &n);

  for (i = 0; i < 6; i++)
    size[i] = f[i].size;

  /* pictures and sound: 6 s of 48 kHz AAC are 281 frames, the first 21 ms
   * of it belonging to the fragment before the range */
  fail_unless (want->len > 6 * FPS + 270, "%u frames", want->len);
  /* inside the EBML header, Segment, Info, Tracks, tags, cluster header
   * and frames of the first document, around each boundary, and deep in
   * the later ones */
  offsets[k++] = 3;
  offsets[k++] = 30;
  offsets[k++] = 120;
  offsets[k++] = 250;
  offsets[k++] = 400;
  offsets[k++] = 600;
  offsets[k++] = size[0] / 2;
  for (i = 0; i < 4; i++) {
    doc += size[i];
    offsets[k++] = doc - 1;
    offsets[k++] = doc;
    offsets[k++] = doc + 90;
  }
  offsets[k++] = doc + size[4] / 3;
  fail_unless_equals_int (k, 20);
  /* in the second fragment: inside a BlockGroup, between the Tags and the
   * first Cluster, inside the last frame */
  doc1 = fragment_document (&f[1]);
  f = NULL;
  kvam_test_find_element (doc1, KVAM_EBML_ID_BLOCKGROUP, &group, &last_group);
  kvam_test_find_element (doc1, KVAM_EBML_ID_CLUSTER, &cluster, &block);
  kvam_test_find_element (doc1, KVAM_EBML_ID_SIMPLEBLOCK, &block, &last_block);
  offsets[k++] = size[0] + group + 6;
  offsets[k++] = size[0] + cluster;
  offsets[k++] = size[0] + MAX (last_block, last_group) + 6;

  for (i = 0; i < k; i++) {
    g_autoptr (KvamPlayResult) r = play_av_with_fault (CUT, offsets[i]);
    g_autoptr (GPtrArray) got = kvam_test_frames (r->raw->data, r->raw->len);
    g_autofree gchar *diff = kvam_test_frames_diff (got, want);
    fail_unless (diff == NULL, "cut at %" G_GUINT64_FORMAT ": %s", offsets[i],
        diff);
  }
  {
    /* a stall mid-fragment, resumed after request-timeout */
    g_autoptr (KvamPlayResult) r = play_av_with_fault (STALL, size[0] +
        size[1] / 2);
    g_autoptr (GPtrArray) got = kvam_test_frames (r->raw->data, r->raw->len);
    g_autofree gchar *diff = kvam_test_frames_diff (got, want);
    fail_unless (diff == NULL, "stall: %s", diff);
  }
}

GST_END_TEST;

/* The time of frame @i of kvam_test_frames(), in the output's ticks. */
static gint64
frame_ms (GPtrArray * frames, guint i)
{
  guint track;
  gint64 t;

  fail_unless (i < frames->len);
  fail_unless (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT,
          &track, &t) == 2);
  return t;
}

/* A fragment stored truncated inside a frame, with the next fragment in
 * the same response: the frames it has are played, the rest of it is
 * skipped with a warning naming it, the next buffer is DISCONT, and every
 * later fragment plays at its time. Or, when asked, an error. */
GST_START_TEST (test_damaged_fragment_skipped)
{
  const gchar *fail_props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "on-fragment-error", "fail", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL, failed = NULL;
  g_autoptr (GBytes) doc = NULL;
  g_autoptr (GPtrArray) frames = NULL, before = NULL;
  g_autofree gchar *warning = NULL;
  gsize block, last, gap;
  guint n, i;
  GError *err = NULL;
  const KvsFragment *f;

  start_with (5);
  kvs_emulator_set_rate_limit (emu, FALSE);
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  doc = fragment_document (&f[2]);
  kvam_test_find_element (doc, KVAM_EBML_ID_SIMPLEBLOCK, &block, &last);
  /* inside the last frame's data: its size claims bytes that are the next
   * document's */
  kvs_emulator_truncate_fragment (emu, "cam", 2, last + 8);
  r = kvam_test_play (emu, DECODE, TRUE, 60, range_props);
  fail_unless (r->eos, "no EOS: %s", r->error ?
      gst_structure_to_string (gst_message_get_structure (r->error)) : "");
  fail_unless_equals_int (r->warnings->len, 1);
  gst_message_parse_warning (r->warnings->pdata[0], &err, NULL);
  warning = g_strdup (err->message);
  g_clear_error (&err);
  fail_unless (strstr (warning, f[2].number) && strstr (warning, "damaged"),
      "%s", warning);
  /* DISCONT on the buffer that starts right after the gap, even when one
   * read held both sides of it: fragment 3's first Cluster, after all the
   * frames before the cut */
  fail_unless_equals_int (r->disconts, 1);
  gap = g_array_index (r->discont_offsets, gsize, 0);
  fail_unless (gap + 4 <= r->raw->len);
  fail_unless_equals_int ((guint32) r->raw->data[gap] << 24 |
      r->raw->data[gap + 1] << 16 | r->raw->data[gap + 2] << 8 |
      r->raw->data[gap + 3], KVAM_EBML_ID_CLUSTER);
  before = kvam_test_frames (r->raw->data, gap);
  fail_unless_equals_int (before->len, 3 * FPS - 1);
  fail_unless_equals_int (stat_uint (r, "fragments-skipped"), 1);
  fail_unless_equals_int (stat_uint (r, "fragments-delivered"), 4);
  /* all frames but the cut one, each at its own time: fragment k's first
   * frame at k s */
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  fail_unless_equals_int (frames->len, 5 * FPS - 1);
  /* the gap is between fragment 2's last frame kept and fragment 3's first,
   * at 3 s (ms ticks) */
  fail_unless (frame_ms (frames, before->len - 1) < 3000);
  fail_unless_equals_int64 (frame_ms (frames, before->len), 3000);
  fail_unless_equals_int (r->fragments->len, 5);
  for (i = 0; i < 5; i++)
    fail_unless_equals_uint64 (g_array_index (r->fragment_times, guint64, i),
        i * GST_SECOND);

  failed = kvam_test_play (emu, "fakesink name=sink", FALSE, 60, fail_props);
  kvam_test_assert_error (failed, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
      f[2].number);
}

GST_END_TEST;

GST_START_TEST (test_stale_endpoint_refreshed)
{
  g_autoptr (KvamPlayResult) r = NULL;

  start_with (4);
  kvs_emulator_set_stale_endpoints (emu, 1);
  r = kvam_test_play (emu, DECODE, TRUE, 60, range_props);
  assert_all_fragments_once (r, 4);
  fail_unless (stat_uint (r, "endpoint-refreshes") >= 1);
  fail_unless (kvs_emulator_count (emu, "GetDataEndpoint", NULL) >= 3);
}

GST_END_TEST;

/* The service's clock an hour ahead: the first call fails with "Signature
 * expired", and kvamsrc signs by the Date of that response from then on. */
GST_START_TEST (test_clock_skew_corrected_from_date_header)
{
  const gchar *no_retry[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "0", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL, refused = NULL;
  guint expired;

  start_with (4);
  kvs_emulator_set_clock_offset (emu, 3600);
  r = kvam_test_play (emu, DECODE, TRUE, 60, range_props);
  assert_all_fragments_once (r, 4);
  /* once per thread at most: the lister's and the streaming thread's first
   * calls may go out before either learns the offset */
  expired = kvs_emulator_count (emu, NULL, "InvalidSignatureException");
  fail_unless (expired >= 1 && expired <= 2, "%u expired signatures", expired);

  /* without a retry the error says what to check */
  refused = kvam_test_play (emu, "fakesink name=sink", FALSE, 30, no_retry);
  kvam_test_assert_error (refused, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "clock");
}

GST_END_TEST;

GST_START_TEST (test_stall_ends_in_error_in_bounded_time)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "request-timeout", "1000", "retry-attempts", "2", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  guint i;

  start_with (4);
  for (i = 1; i <= 10; i++)
    kvs_emulator_add_stall (emu, i, 0);
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 60, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "'cam'");
  /* request-timeout x (retry-attempts + 1), plus backoff and set-up */
  fail_unless (r->seconds < 3 * 1.0 + 1.5, "took %.2f s", r->seconds);
  fail_unless_equals_int (kvs_emulator_count (emu, "GetMediaForFragmentList",
          "*"), 3);
}

GST_END_TEST;

GST_START_TEST (test_in_band_error_retried)
{
  g_autoptr (KvamPlayResult) r = NULL;

  start_with (5);
  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_add_fragment_error (emu, "cam", 2, 2, NULL);
  r = kvam_test_play (emu, DECODE, TRUE, 60, range_props);
  assert_all_fragments_once (r, 5);
  fail_unless_equals_int (r->warnings->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_in_band_error_skipped_with_warning)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "retry-attempts", "2", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  GError *err = NULL;
  guint n;
  const KvsFragment *f;

  start_with (5);
  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_add_fragment_error (emu, "cam", 3, 100, "INTERNAL_ERROR");
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  r = kvam_test_play (emu, DECODE, TRUE, 60, props);
  fail_unless (r->eos);
  fail_unless_equals_int (r->fragments->len, 4);
  fail_unless_equals_int (r->frames, 4 * FPS);
  fail_unless_equals_int (r->warnings->len, 1);
  gst_message_parse_warning (r->warnings->pdata[0], &err, NULL);
  fail_unless (strstr (err->message, f[3].number) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "INTERNAL_ERROR") != NULL);
  fail_unless_equals_int (r->disconts, 1);
  fail_unless_equals_int (stat_uint (r, "fragments-skipped"), 1);
  fail_unless_equals_int (stat_uint (r, "fragments-delivered"), 4);
  /* 0-4 (fails at 3), 3-4 twice more, then 4 alone: the first failure
   * counts although fragments before it completed */
  fail_unless_equals_int (kvs_emulator_count (emu, "GetMediaForFragmentList",
          NULL), 4);
  g_error_free (err);
}

GST_END_TEST;

GST_START_TEST (test_in_band_error_fatal_when_asked)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "1", "on-fragment-error", "fail", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  GError *err = NULL;

  start_with (3);
  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_add_fragment_error (emu, "cam", 1, 100, NULL);
  r = kvam_test_play (emu, "fakesink name=sink", FALSE, 60, props);
  fail_unless (r->error != NULL);
  gst_message_parse_error (r->error, &err, NULL);
  fail_unless (strstr (err->message, "FRAGMENT_NOT_FOUND") != NULL);
  g_error_free (err);
}

GST_END_TEST;

/* ---- rotating credentials ------------------------------------------------ */

static gchar *
write_credentials (const gchar * key, const gchar * secret)
{
  g_autofree gchar *text = g_strdup_printf ("[default]\naws_access_key_id = "
      "%s\naws_secret_access_key = %s\n", key, secret);
  gchar *path = g_build_filename (home, "credentials", NULL);
  g_autofree gchar *tmp = g_strconcat (path, ".new", NULL);

  /* replaced whole, as rotation tools do */
  fail_unless (g_file_set_contents (tmp, text, -1, NULL));
  fail_unless (g_rename (tmp, path) == 0);
  return path;
}

typedef struct
{
  guint after_media_calls;
  gboolean expired;
  gboolean rotated;
} Rotation;

/* First the old key stops working, then the file gets the new one: the
 * element sees ExpiredTokenException until it reads the new file. */
static void
rotate_when_due (GstElement * src, gpointer data)
{
  Rotation *rot = data;
  g_autofree gchar *path = NULL;

  if (!rot->expired &&
      kvs_emulator_count (emu, "GetMediaForFragmentList", "*") >=
      rot->after_media_calls) {
    kvs_emulator_add_credentials (emu, "AKIDROTATED", "rotated-secret", NULL);
    kvs_emulator_expire_credentials (emu, "AKIDFIRST");
    rot->expired = TRUE;
  } else if (rot->expired && !rot->rotated &&
      kvs_emulator_count (emu, NULL, "ExpiredTokenException") > 0) {
    path = write_credentials ("AKIDROTATED", "rotated-secret");
    rot->rotated = TRUE;
  }
}

/* The element reads its keys from a credentials file; mid-run the file is
 * rotated and the old key expires. */
static KvamPlayResult *
play_with_rotation (const gchar * const *extra, guint after_media_calls)
{
  g_autofree gchar *path = write_credentials ("AKIDFIRST", "first-secret");
  const gchar *props[32] = { "stream-name", "cam", "start-time", START,
    "fragment-selector-type", "producer", "access-key", "",
    "secret-access-key", "", NULL
  };
  Rotation rot = { after_media_calls, FALSE, FALSE };
  KvamPlayResult *r;
  guint i, n = 10;

  for (i = 0; extra && extra[i]; i++)
    props[n++] = extra[i];
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", path, TRUE);
  kvs_emulator_add_credentials (emu, "AKIDFIRST", "first-secret", NULL);
  /* under ASan, with two other jobs on the 2-core machine, this took over
   * 120 s once */
  r = kvam_test_play_full (emu, DECODE, TRUE, 220, props, rotate_when_due,
      &rot);
  fail_unless (rot.rotated, "the run ended before the rotation");
  return r;
}

GST_START_TEST (test_credentials_rotated_mid_run)
{
  g_autoptr (KvamPlayResult) r = NULL;
  guint i;

  start_with (10);
  kvs_emulator_set_rate_limit (emu, FALSE);
  /* slow enough to rotate between the media calls the cuts cause */
  kvs_emulator_set_latency (emu, 150);
  for (i = 1; i <= 3; i++)
    kvs_emulator_add_cut (emu, i, 2000 * i);
  r = play_with_rotation (NULL, 1);
  assert_all_fragments_once (r, 10);
  fail_unless (kvs_emulator_count (emu, NULL, "ExpiredTokenException") >= 1);
  fail_unless (stat_uint (r, "credential-refreshes") >= 1);
}

GST_END_TEST;

/* ---- all at once --------------------------------------------------------- */

GST_START_TEST (test_six_hundred_fragments_through_every_fault)
{
  const gchar *extra[] = { "retry-attempts", "6", NULL };
  g_autoptr (KvamPlayResult) r = NULL;
  guint64 total = 0;
  guint n, i, others;
  gchar *first_other;
  const KvsFragment *f;

  start_with (600);
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  for (i = 0; i < n; i++)
    total += f[i].size;
  kvs_emulator_set_latency (emu, 40);
  kvs_emulator_set_throttle_every (emu, 5);
  kvs_emulator_set_fail_every (emu, 7);
  kvs_emulator_add_cut (emu, 1, total / 7);
  kvs_emulator_add_cut (emu, 2, total / 5);
  kvs_emulator_add_cut (emu, 3, total / 3);
  kvs_emulator_add_fragment_error (emu, "cam", 100, 2, NULL);
  kvs_emulator_add_fragment_error (emu, "cam", 400, 2, NULL);

  r = play_with_rotation (extra, 2);
  assert_all_fragments_once (r, 600);
  /* the faults are retried with warnings saying so; nothing else */
  others = kvam_test_other_warnings (r, &first_other);
  fail_unless (others == 0, "%u warnings, first: %s", others, first_other);
  g_free (first_other);
  fail_unless (r->warnings->len > 0, "no warning of the retries");

  /* the element's account matches the service's log */
  fail_unless_equals_int (stat_uint (r, "fragments-delivered"), 600);
  fail_unless_equals_int (stat_uint (r, "fragments-skipped"), 0);
  fail_unless_equals_int (stat_uint (r, "requests-list-fragments"),
      kvs_emulator_count (emu, "ListFragments", "*"));
  fail_unless_equals_int (stat_uint (r, "requests-get-media-for-fragment-list"),
      kvs_emulator_count (emu, "GetMediaForFragmentList", "*"));
  fail_unless_equals_int (stat_uint (r, "requests-get-data-endpoint"),
      kvs_emulator_count (emu, "GetDataEndpoint", "*"));
  fail_unless_equals_int (stat_uint (r, "throttles"),
      kvs_emulator_count (emu, NULL, "ClientLimitExceededException"));
  fail_unless (stat_uint (r, "credential-refreshes") >= 1);
  fail_unless (kvs_emulator_count (emu, NULL, "ExpiredTokenException") >= 1);
  fail_unless (kvs_emulator_count (emu, NULL, "InternalFailure") > 0);
}

GST_END_TEST;

static Suite *
kvamsrcresilience_suite (void)
{
  Suite *s = suite_create ("kvamsrcresilience");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_retries_through_throttles_and_failures);
  tcase_add_test (tc, test_unknown_stream_not_retried);
  tcase_add_test (tc, test_cut_at_twenty_offsets);
  tcase_add_test (tc, test_damaged_fragment_skipped);
  tcase_add_test (tc, test_stale_endpoint_refreshed);
  tcase_add_test (tc, test_clock_skew_corrected_from_date_header);
  tcase_add_test (tc, test_stall_ends_in_error_in_bounded_time);
  tcase_add_test (tc, test_in_band_error_retried);
  tcase_add_test (tc, test_in_band_error_skipped_with_warning);
  tcase_add_test (tc, test_in_band_error_fatal_when_asked);
  tcase_add_test (tc, test_credentials_rotated_mid_run);
  tcase_add_test (tc, test_six_hundred_fragments_through_every_fault);
  return s;
}

GST_CHECK_MAIN (kvamsrcresilience);
