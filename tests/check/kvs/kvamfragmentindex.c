/* kvamsrc: the fragment index and its ListFragments paginator
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "kvamfragmentindex.h"
#include "kvamtime.h"
#include "kvsemulator.h"

#define T0 G_GUINT64_CONSTANT (1764000000)

static JsonNode *
entry (const gchar * number, const gchar * producer, const gchar * server)
{
  g_autofree gchar *json = g_strdup_printf ("{\"FragmentNumber\":\"%s\","
      "\"FragmentSizeInBytes\":100,\"ProducerTimestamp\":%s,"
      "\"ServerTimestamp\":%s,\"FragmentLengthInMilliseconds\":2000}",
      number, producer, server);

  return json_from_string (json, NULL);
}

static JsonArray *
page_of (JsonNode ** entries, guint n)
{
  JsonArray *a = json_array_new ();
  guint i;

  for (i = 0; i < n; i++)
    json_array_add_element (a, json_node_copy (entries[i]));
  return a;
}

GST_START_TEST (test_number_compare)
{
  fail_unless (kvam_fragment_number_compare ("9", "10") < 0);
  fail_unless (kvam_fragment_number_compare ("10", "9") > 0);
  fail_unless (kvam_fragment_number_compare ("0010", "9") > 0);
  fail_unless (kvam_fragment_number_compare
      ("91343852333181432392682062607743920146159169392",
          "91343852333181432392682062607743920146159169393") < 0);
  fail_unless (kvam_fragment_number_compare
      ("913438523331814323926820626077439201461591693920",
          "91343852333181432392682062607743920146159169393") > 0);
  fail_unless (kvam_fragment_number_compare ("42", "42") == 0);
}

GST_END_TEST;

/* Pages of 1, 7 and the rest of 1000 entries, shuffled, some listed twice,
 * with equal timestamps and numbers of different lengths: the published
 * index is sorted by time, then number, without duplicates. */
GST_START_TEST (test_unordered_pages_sorted)
{
  const guint n = 1000;
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_PRODUCER, 0, G_MAXUINT64);
  JsonNode **entries = g_new0 (JsonNode *, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint i, published;
  gboolean complete;
  JsonArray *page;

  for (i = 0; i < n; i++) {
    /* pairs share a timestamp; numbers grow by one digit at i = 10, 100 */
    g_autofree gchar *num = g_strdup_printf ("%u", i + 1);
    g_autofree gchar *t = g_strdup_printf ("%" G_GUINT64_FORMAT ".%03u",
        T0 + i / 2, 0);
    entries[i] = entry (num, t, t);
  }
  for (i = n - 1; i > 0; i--) {
    guint j = g_rand_int_range (rand, 0, i + 1);
    JsonNode *tmp = entries[i];
    entries[i] = entries[j];
    entries[j] = tmp;
  }
  page = page_of (entries, 1);
  fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
  json_array_unref (page);
  page = page_of (entries + 1, 7);
  fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
  json_array_unref (page);
  page = page_of (entries, n);  /* all again: duplicates */
  fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
  json_array_unref (page);
  kvam_fragment_index_publish (idx, G_MAXUINT64 - 1);
  kvam_fragment_index_finish (idx, NULL);

  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &published, &complete));
  fail_unless (complete);
  fail_unless_equals_int (published, n);
  fail_unless_equals_int (kvam_fragment_index_get_listed (idx), n);
  for (i = 0; i < n; i++) {
    const KvamFragment *f = kvam_fragment_index_get (idx, i);
    g_autofree gchar *want = g_strdup_printf ("%u", i + 1);
    fail_unless_equals_string (f->number, want);
    fail_unless_equals_uint64 (f->producer, (T0 + i / 2) * GST_SECOND);
  }
  fail_unless_equals_int (kvam_fragment_index_find (idx, (T0 + 10) *
          GST_SECOND), 20);
  for (i = 0; i < n; i++)
    json_node_unref (entries[i]);
  g_free (entries);
}

GST_END_TEST;

GST_START_TEST (test_java_doubles_and_range)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_SERVER, 1764000002000 * GST_MSECOND,
      1764000003000 * GST_MSECOND);
  JsonNode *e[] = {
    entry ("1", "1.764000002123E9", "1.764000001999E9"),        /* before */
    entry ("2", "1.7640000021E9", "1.764000002E9"),     /* on the start */
    entry ("3", "1.764000002123E9", "1.764000003E9"),   /* on the end */
    entry ("4", "1.764000002123E9", "1.764000003001E9"),        /* after */
  };
  JsonArray *page = page_of (e, 4);
  guint n;
  gboolean complete;

  fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
  kvam_fragment_index_publish (idx, 1764000003000 * GST_MSECOND);
  kvam_fragment_index_finish (idx, NULL);
  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &n, &complete));
  fail_unless_equals_int (n, 2);
  fail_unless_equals_string (kvam_fragment_index_get (idx, 0)->number, "2");
  fail_unless_equals_uint64 (kvam_fragment_index_get (idx, 0)->producer,
      1764000002100 * GST_MSECOND);
  fail_unless_equals_string (kvam_fragment_index_get (idx, 1)->number, "3");
  json_array_unref (page);
  for (n = 0; n < 4; n++)
    json_node_unref (e[n]);
}

GST_END_TEST;

/* What a listing claims is clamped or refused: lengths of 1e308 ms (a
 * signed overflow), negative sizes, times from 2262 on (they wrapped), and
 * one fragment listed twice, once with leading zeros, is one fragment. */
GST_START_TEST (test_absurd_listing_values)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_PRODUCER, 0, G_MAXUINT64);
  g_autoptr (JsonNode) absurd = json_from_string ("[{\"FragmentNumber\":"
      "\"123\",\"ProducerTimestamp\":1764000000,\"ServerTimestamp\":"
      "1764000001,\"FragmentLengthInMilliseconds\":1e308,"
      "\"FragmentSizeInBytes\":-5},{\"FragmentNumber\":\"000123\","
      "\"ProducerTimestamp\":1764000000,\"ServerTimestamp\":1764000001}]",
      NULL);
  g_autoptr (JsonNode) late = json_from_string ("[{\"FragmentNumber\":"
      "\"7\",\"ProducerTimestamp\":2e10,\"ServerTimestamp\":2e10}]", NULL);
  GstClockTime t;
  guint n;
  gboolean complete;

  fail_unless (kvam_fragment_index_add_page (idx,
          json_node_get_array (absurd), NULL));
  /* after 2262: skipped (test_unusable_entries_skipped), not taken */
  fail_unless (kvam_fragment_index_add_page (idx, json_node_get_array (late),
          NULL));
  kvam_fragment_index_publish (idx, G_MAXUINT64);
  kvam_fragment_index_finish (idx, NULL);
  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &n, &complete));
  fail_unless_equals_int (n, 1);
  fail_unless_equals_uint64 (kvam_fragment_index_get (idx, 0)->duration,
      24 * 3600 * GST_SECOND);
  fail_unless_equals_uint64 (kvam_fragment_index_get (idx, 0)->size, 0);

  /* the same bound on what users type */
  fail_if (kvam_time_parse ("2600-01-01T00:00:00Z", &t));
  fail_if (kvam_time_parse ("2262-01-01T00:00:00Z", &t));
  fail_if (kvam_time_parse ("20000000000", &t));
  fail_unless (kvam_time_parse ("2261-12-31T23:59:59Z", &t));
  fail_unless_equals_uint64 (t, (guint64) (KVAM_TIME_MAX_SECONDS - 1) *
      GST_SECOND);
}

GST_END_TEST;

GST_START_TEST (test_malformed_entries)
{
  static const gchar *bad[] = {
    "[{\"ProducerTimestamp\":1,\"ServerTimestamp\":1}]",
    "[{\"FragmentNumber\":\"12a\",\"ProducerTimestamp\":1,\"ServerTimestamp\":1}]",
    "[{\"FragmentNumber\":\"12\",\"ProducerTimestamp\":\"1\",\"ServerTimestamp\":1}]",
    "[{\"FragmentNumber\":12,\"ProducerTimestamp\":1,\"ServerTimestamp\":1}]",
    /* json-glib's getters warn (a critical) on these: read without one */
    "[{\"FragmentNumber\":{\"a\":1},\"ProducerTimestamp\":1,\"ServerTimestamp\":1}]",
    "[{\"FragmentNumber\":[\"12\"],\"ProducerTimestamp\":1,\"ServerTimestamp\":1}]",
    "[{\"FragmentNumber\":\"12\",\"ProducerTimestamp\":[1],\"ServerTimestamp\":1}]",
    "[7]",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
        (KVAM_SELECTOR_SERVER, 0, G_MAXUINT64);
    JsonNode *n = json_from_string (bad[i], NULL);
    GError *err = NULL;
    fail_if (kvam_fragment_index_add_page (idx, json_node_get_array (n),
            &err), "accepted %s", bad[i]);
    fail_unless (err != NULL);
    g_error_free (err);
    json_node_unref (n);
  }
}

GST_END_TEST;

static void
record_notice (gpointer data, KvamIndexNotice notice, const KvamFragment * f,
    const gchar * why)
{
  g_ptr_array_add (data, g_strdup_printf ("%d %s: %s", notice, f->number, why));
}

/* One entry whose times cannot be played (negative, after 2262, not a
 * number) does not make its page malformed: it is skipped with one notice
 * naming it, however often it is listed, and the rest is taken. */
GST_START_TEST (test_unusable_entries_skipped)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_PRODUCER, 0, G_MAXUINT64);
  g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonNode) page = json_from_string ("["
      "{\"FragmentNumber\":\"11\",\"ProducerTimestamp\":1764000000,"
      "\"ServerTimestamp\":1764000001},"
      "{\"FragmentNumber\":\"12\",\"ProducerTimestamp\":-5,"
      "\"ServerTimestamp\":1764000003},"
      "{\"FragmentNumber\":\"13\",\"ProducerTimestamp\":1764000004,"
      "\"ServerTimestamp\":9.3e9},"
      "{\"FragmentNumber\":\"14\",\"ProducerTimestamp\":1764000006,"
      "\"ServerTimestamp\":1764000007}]", NULL);
  guint n, i;
  gboolean complete;

  kvam_fragment_index_set_notify (idx, record_notice, notices);
  for (i = 0; i < 2; i++)       /* the same page listed twice */
    fail_unless (kvam_fragment_index_add_page (idx,
            json_node_get_array (page), NULL));
  kvam_fragment_index_publish (idx, G_MAXUINT64);
  kvam_fragment_index_finish (idx, NULL);
  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &n, &complete));
  fail_unless_equals_int (n, 2);
  fail_unless_equals_string (kvam_fragment_index_get (idx, 0)->number, "11");
  fail_unless_equals_string (kvam_fragment_index_get (idx, 1)->number, "14");
  fail_unless_equals_int (notices->len, 2);
  fail_unless (g_str_has_prefix (notices->pdata[0], "0 12: "), "%s",
      (gchar *) notices->pdata[0]);
  fail_unless (g_str_has_prefix (notices->pdata[1], "0 13: "));
  fail_unless_equals_int (kvam_fragment_index_get_skipped (idx), 2);
}

GST_END_TEST;

static gpointer
publish_later (gpointer idx)
{
  g_usleep (100000);
  kvam_fragment_index_finish (idx, NULL);
  return NULL;
}

GST_START_TEST (test_wait_blocks_until_known_or_cancelled)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_SERVER, 0, G_MAXUINT64);
  g_autoptr (KvamFragmentIndex) idx2 = kvam_fragment_index_new
      (KVAM_SELECTOR_SERVER, 0, G_MAXUINT64);
  g_autoptr (GCancellable) c = g_cancellable_new ();
  GThread *t = g_thread_new ("finisher", publish_later, idx);
  guint n;
  gboolean complete;

  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &n, &complete));
  fail_unless (complete && n == 0);
  g_thread_join (t);

  g_cancellable_cancel (c);
  fail_if (kvam_fragment_index_wait (idx2, 0, c, &n, &complete));
}

GST_END_TEST;

/* A client of @stream on the running @emu, signing with @creds (which
 * must outlive it). */
static KvamClient *
emulator_client (KvsEmulator * emu, KvamCredentialsProvider * creds,
    const gchar * stream)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);
  /* the element's default timeout: a page of 1000 under ASan on a busy
   * machine has been seen to take over 2 s */
  KvamClientConfig conf = { KVS_EMULATOR_DEFAULT_REGION, NULL, NULL, NULL,
    15000, 3, NULL, NULL, NULL, NULL, NULL
  };

  conf.stream_name = stream;
  conf.endpoint_uri = url;
  conf.credentials = creds;
  return kvam_client_new (&conf);
}

static KvamCredentialsProvider *
emulator_keys (void)
{
  KvamCredentialsConfig cc = { KVS_EMULATOR_DEFAULT_ACCESS_KEY,
    KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL, NULL, 2000, NULL, NULL
  };

  return kvam_credentials_provider_new (&cc);
}

/* The whole paginator against the emulator's shuffled pages. */
static void
list_with_page_size (guint count, guint page_size, gint64 end_offset_ms)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autoptr (KvamCredentialsProvider) creds = emulator_keys ();
  g_autoptr (KvamClient) client = NULL;
  g_autoptr (KvamFragmentIndex) idx = NULL;
  const KvsFragment *f;
  GError *err = NULL;
  guint n, published, i;
  gboolean complete;

  kvs_emulator_set_stream_start (emu, T0 * 1000);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", count, 1, 32, 32, &err));
  kvs_emulator_set_rate_limit (emu, FALSE);
  fail_unless (kvs_emulator_start (emu, NULL, 0, NULL, NULL, &err));
  client = emulator_client (emu, creds, "cam");
  idx = kvam_fragment_index_new (KVAM_SELECTOR_PRODUCER, T0 * GST_SECOND,
      (T0 * 1000 + end_offset_ms) * GST_MSECOND);

  kvam_fragment_index_list (idx, client, page_size, NULL);
  fail_unless (kvam_fragment_index_wait (idx, 0, NULL, &published, &complete));
  if (!complete) {
    KvamAwsError lerr = { 0 };
    g_autofree gchar *what = NULL;

    kvam_fragment_index_get_error (idx, &lerr);
    what = kvam_aws_error_describe (&lerr);
    kvam_aws_error_clear (&lerr);
    fail ("listing %u fragments in pages of %u failed: %s", count, page_size,
        what);
  }
  f = kvs_emulator_get_fragments (emu, "cam", &n);
  fail_unless_equals_int (published, MIN (n, end_offset_ms / 1000 + 1));
  for (i = 0; i < published; i++)
    fail_unless_equals_string (kvam_fragment_index_get (idx, i)->number,
        f[i].number);
  GST_INFO ("%u fragments, pages of %u: %u ListFragments calls", count,
      page_size, kvs_emulator_count (emu, "ListFragments", NULL));
}

/* Lists @count fragments in pages of @page_size with the emulator's pages
 * of @long_pages (0: as asked) and the index capped at @cap; the listing's
 * error, described */
static gchar *
list_failing (guint count, guint page_size, guint long_pages, guint cap,
    guint * published)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autoptr (KvamCredentialsProvider) creds = emulator_keys ();
  g_autoptr (KvamClient) client = NULL;
  g_autoptr (KvamFragmentIndex) idx = NULL;
  KvamAwsError lerr = { 0 };
  GError *err = NULL;
  gboolean complete = TRUE;
  gchar *what;

  kvs_emulator_set_stream_start (emu, T0 * 1000);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", count, 1, 32, 32, &err));
  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_set_short_pages (emu, 0);
  kvs_emulator_set_long_pages (emu, long_pages);
  fail_unless (kvs_emulator_start (emu, NULL, 0, NULL, NULL, &err));
  client = emulator_client (emu, creds, "cam");
  idx = kvam_fragment_index_new (KVAM_SELECTOR_PRODUCER, T0 * GST_SECOND,
      (T0 + count) * GST_SECOND);
  if (cap)
    kvam_fragment_index_set_max_fragments (idx, cap);
  kvam_fragment_index_list (idx, client, page_size, NULL);
  kvam_fragment_index_wait (idx, 0, NULL, published, &complete);
  fail_if (complete, "a listing of %u in pages of %u (served %u, cap %u) "
      "completed", count, page_size, long_pages, cap);
  fail_unless (kvam_fragment_index_get_error (idx, &lerr));
  what = kvam_aws_error_describe (&lerr);
  kvam_aws_error_clear (&lerr);
  return what;
}

/* A page longer than MaxResults is refused (it would grow the index
 * without bound), and a range past the index's cap is an error saying
 * what to do, not memory growing with every page. */
GST_START_TEST (test_long_pages_and_cap)
{
  g_autofree gchar *long_pages = NULL, *full = NULL;
  guint published = 0;

  long_pages = list_failing (300, 20, 100, 0, &published);
  fail_unless (strstr (long_pages, "the page holds 100 fragments where "
          "MaxResults was 20") != NULL, "%s", long_pages);
  fail_unless_equals_int (published, 0);

  full = list_failing (300, 50, 0, 120, &published);
  fail_unless (strstr (full, "more than 120 fragments") != NULL &&
      strstr (full, "shorter range") != NULL, "%s", full);
  fail_unless (published <= 120);
  g_print ("%s\n%s\n", long_pages, full);
}

GST_END_TEST;

GST_START_TEST (test_list_against_emulator)
{
  list_with_page_size (40, 3, 100000);  /* many small pages, one window */
  list_with_page_size (300, 1000, 1000000);     /* one call */
  list_with_page_size (2500, 1000, 10000000);   /* windows */
  list_with_page_size (300, 7, 149999); /* range ends inside the stream */
}

GST_END_TEST;

/* The range's last fragment: found in the range's last minute, or in a
 * wider window; and a search that would take long stops at its deadline,
 * inside a window too (the streaming thread waits on it). */
GST_START_TEST (test_find_last)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autoptr (KvamCredentialsProvider) creds = emulator_keys ();
  g_autoptr (KvamClient) client = NULL;
  g_autoptr (KvamClient) far_client = NULL;
  g_autoptr (KvamFragmentIndex) near = NULL;
  g_autoptr (KvamFragmentIndex) sparse = NULL;
  GError *err = NULL;
  GstClockTime end = 0;
  gint64 t0, took;

  kvs_emulator_set_stream_start (emu, T0 * 1000);
  /* 100 fragments of 1 s, listed 5 a page at most; the same again in a
   * stream of its own (the client's pacing is per stream) */
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", 100, 1, 32, 32, &err));
  fail_unless (kvs_emulator_add_synthetic (emu, "far", 100, 1, 32, 32, &err));
  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_set_short_pages (emu, 5);
  fail_unless (kvs_emulator_start (emu, NULL, 0, NULL, NULL, &err));
  client = emulator_client (emu, creds, "cam");
  far_client = emulator_client (emu, creds, "far");

  /* a range ending 10 minutes after the stream: found in the second try */
  near = kvam_fragment_index_new (KVAM_SELECTOR_PRODUCER, T0 * GST_SECOND,
      (T0 + 900) * GST_SECOND);
  fail_unless (kvam_fragment_index_find_last (near, client, 1000,
          g_get_monotonic_time () + 30 * G_USEC_PER_SEC, NULL, &end));
  fail_unless_equals_uint64 (end, (T0 + 100) * GST_SECOND);

  /* two days: three empty windows (50 ms each), then the one that holds
   * the stream takes 20+ pages, paced at 5 a second; the search gives up
   * at its deadline (0.5 s), not after them (4 s) */
  kvs_emulator_set_latency (emu, 50);
  sparse = kvam_fragment_index_new (KVAM_SELECTOR_PRODUCER, T0 * GST_SECOND,
      (T0 + 2 * 86400) * GST_SECOND);
  t0 = g_get_monotonic_time ();
  fail_if (kvam_fragment_index_find_last (sparse, far_client, 1000,
          t0 + 500000, NULL, &end));
  took = g_get_monotonic_time () - t0;
  /* the deadline, plus the page under way (under load: a few more) */
  fail_unless (took < 2 * G_USEC_PER_SEC, "took %" G_GINT64_FORMAT " us", took);
}

GST_END_TEST;

/* One fragment k of a followed stream, 2 s long, at T0 + 2k. */
static void
add_followed (KvamFragmentIndex * idx, guint k)
{
  g_autofree gchar *number = g_strdup_printf ("%u", 1000 + k);
  g_autofree gchar *t = g_strdup_printf ("%" G_GUINT64_FORMAT, T0 + 2 * k);
  JsonNode *e = entry (number, t, t);
  g_autoptr (JsonArray) page = page_of (&e, 1);

  fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
  json_node_unref (e);
}

static const gchar *
last_number (KvamFragmentIndex * idx)
{
  return kvam_fragment_index_get_last (idx)->number;
}

/* Following: a fragment after a hole waits for a late one, up to the
 * straggler wait; one listed after its turn is dropped. */
GST_START_TEST (test_publish_following)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_SERVER, T0 * GST_SECOND, G_MAXINT64);
  const gint64 wait = 1500000;
  g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);

  kvam_fragment_index_set_notify (idx, record_notice, notices);
  add_followed (idx, 0);
  add_followed (idx, 1);
  add_followed (idx, 3);        /* 2 is listed late */
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx, 0,
          wait), 2);
  fail_unless_equals_string (last_number (idx), "1001");
  /* still within the wait: 3 stays back */
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          wait - 1, wait), 0);
  add_followed (idx, 2);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          wait - 1, wait), 2);
  fail_unless_equals_string (kvam_fragment_index_get (idx, 2)->number, "1002");
  fail_unless_equals_string (last_number (idx), "1003");

  /* 5 without 4: published once the wait is over; 4 then comes too late */
  add_followed (idx, 5);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          10 * wait, wait), 0);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          11 * wait, wait), 1);
  fail_unless_equals_string (last_number (idx), "1005");
  add_followed (idx, 4);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          12 * wait, wait), 0);
  fail_unless_equals_int (kvam_fragment_index_get_late (idx), 1);
  /* never silent: the element makes this a kvam-fragment-late message */
  fail_unless_equals_int (notices->len, 1);
  fail_unless (g_str_has_prefix (notices->pdata[0], "1 1004: "), "%s",
      (gchar *) notices->pdata[0]);
  fail_unless_equals_int (kvam_fragment_index_get_published (idx), 5);
  /* a duplicate listing of a published one changes nothing */
  add_followed (idx, 5);
  add_followed (idx, 6);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx,
          12 * wait, wait), 1);
  fail_unless_equals_int (kvam_fragment_index_get_published (idx), 6);
}

GST_END_TEST;

/* A fragment far ahead of the clock (a producer's clock jump) is skipped
 * and notified: published, it would hold back every later fragment, which
 * would then come "late". */
GST_START_TEST (test_astray_fragment_skipped)
{
  GstClockTime now = g_get_real_time () / G_USEC_PER_SEC * GST_SECOND;
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_PRODUCER, now - 60 * GST_SECOND, G_MAXINT64);
  g_autoptr (GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  guint64 secs = now / GST_SECOND;
  gchar t[4][32];
  guint i;

  kvam_fragment_index_set_notify (idx, record_notice, notices);
  g_snprintf (t[0], 32, "%" G_GUINT64_FORMAT, secs - 4);
  g_snprintf (t[1], 32, "%" G_GUINT64_FORMAT, secs + 1800);
  g_snprintf (t[2], 32, "%" G_GUINT64_FORMAT, secs - 2);
  g_snprintf (t[3], 32, "%" G_GUINT64_FORMAT, secs);
  for (i = 0; i < 4; i++) {
    g_autofree gchar *number = g_strdup_printf ("%u", 2000 + i);
    JsonNode *e = entry (number, t[i], t[i]);
    g_autoptr (JsonArray) page = page_of (&e, 1);
    fail_unless (kvam_fragment_index_add_page (idx, page, NULL));
    json_node_unref (e);
    kvam_fragment_index_publish_following (idx, i * 100, 1500000);
  }
  fail_unless_equals_int (kvam_fragment_index_get_published (idx), 3);
  fail_unless_equals_string (last_number (idx), "2003");
  fail_unless_equals_int (kvam_fragment_index_get_late (idx), 0);
  fail_unless_equals_int (kvam_fragment_index_get_skipped (idx), 1);
  fail_unless_equals_int (notices->len, 1);
  fail_unless (g_str_has_prefix (notices->pdata[0], "2 2001: "), "%s",
      (gchar *) notices->pdata[0]);
}

GST_END_TEST;

/* Live starts at the newest of what is pending. */
GST_START_TEST (test_start_at_newest)
{
  g_autoptr (KvamFragmentIndex) idx = kvam_fragment_index_new
      (KVAM_SELECTOR_SERVER, T0 * GST_SECOND, G_MAXINT64);

  fail_if (kvam_fragment_index_start_at_newest (idx));
  add_followed (idx, 4);
  add_followed (idx, 7);
  add_followed (idx, 2);
  fail_unless (kvam_fragment_index_start_at_newest (idx));
  fail_unless_equals_uint64 (kvam_fragment_index_get_start (idx),
      (T0 + 14) * GST_SECOND);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx, 0, 1), 1);
  fail_unless_equals_string (last_number (idx), "1007");
  /* older ones listed again are out of the range now */
  add_followed (idx, 6);
  fail_unless_equals_int (kvam_fragment_index_publish_following (idx, 0, 1), 0);
}

GST_END_TEST;

static Suite *
kvamfragmentindex_suite (void)
{
  Suite *s = suite_create ("kvamfragmentindex");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_number_compare);
  tcase_add_test (tc, test_unordered_pages_sorted);
  tcase_add_test (tc, test_java_doubles_and_range);
  tcase_add_test (tc, test_malformed_entries);
  tcase_add_test (tc, test_unusable_entries_skipped);
  tcase_add_test (tc, test_astray_fragment_skipped);
  tcase_add_test (tc, test_find_last);
  tcase_add_test (tc, test_absurd_listing_values);
  tcase_add_test (tc, test_wait_blocks_until_known_or_cancelled);
  tcase_add_test (tc, test_list_against_emulator);
  tcase_add_test (tc, test_long_pages_and_cap);
  tcase_add_test (tc, test_publish_following);
  tcase_add_test (tc, test_start_at_newest);
  return s;
}

GST_CHECK_MAIN (kvamfragmentindex);
