/* kvamsrc: pacing calls under 5 per second per stream and API
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>

#include "kvampacer.h"
#include "kvamclient.h"
#include "kvsemulator.h"

#define START_MS G_GINT64_CONSTANT (1764000000000)
#define CALLS_PER_CLIENT 8

GST_START_TEST (test_five_free_then_a_window)
{
  KvamPacer *a = kvam_pacer_acquire ("uri cam ListFragments");
  KvamPacer *b = kvam_pacer_acquire ("uri cam ListFragments");
  KvamPacer *other = kvam_pacer_acquire ("uri cam GetDataEndpoint");
  gint64 wait, booked;
  guint i;

  /* two holders of one key draw from one budget */
  for (i = 0; i < KVAM_PACER_CALLS; i++)
    fail_unless_equals_int64 (kvam_pacer_reserve (i % 2 ? a : b, &booked), 0);
  wait = kvam_pacer_reserve (a, &booked);
  fail_unless (wait > KVAM_PACER_WINDOW_US - 200 * G_TIME_SPAN_MILLISECOND
      && wait <= KVAM_PACER_WINDOW_US, "sixth call waits %" G_GINT64_FORMAT
      " us", wait);
  /* the seventh waits too: the budget is spent for the window */
  fail_unless (kvam_pacer_reserve (b, &booked) > 0);
  /* another API of the stream has its own budget */
  fail_unless_equals_int64 (kvam_pacer_reserve (other, &booked), 0);

  kvam_pacer_release (a);
  kvam_pacer_release (b);
  kvam_pacer_release (other);
  /* released by all: the next holder still waits for the window... */
  a = kvam_pacer_acquire ("uri cam ListFragments");
  fail_unless (kvam_pacer_reserve (a, &booked) > 0);
  kvam_pacer_release (a);
  /* ...and once it is over, starts with a full budget */
  g_usleep (3 * KVAM_PACER_WINDOW_US + 100 * G_TIME_SPAN_MILLISECOND);
  a = kvam_pacer_acquire ("uri cam ListFragments");
  fail_unless_equals_int64 (kvam_pacer_reserve (a, &booked), 0);
  kvam_pacer_release (a);
}

GST_END_TEST;

/* A call answered later than booked (a busy machine) pushes back the
 * call five after it: the window is kept from the answer. */
GST_START_TEST (test_late_send_keeps_the_window)
{
  KvamPacer *a = kvam_pacer_acquire ("uri late ListFragments");
  gint64 first_booked = 0, booked = 0, wait;
  guint i;

  fail_unless_equals_int64 (kvam_pacer_reserve (a, &first_booked), 0);
  for (i = 1; i < KVAM_PACER_CALLS; i++)
    fail_unless_equals_int64 (kvam_pacer_reserve (a, &booked), 0);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  kvam_pacer_sent (a, first_booked);
  /* booked from the first call's real send, 300 ms after its booking */
  wait = kvam_pacer_reserve (a, &booked);
  fail_unless (booked >= first_booked + 300 * G_TIME_SPAN_MILLISECOND +
      KVAM_PACER_WINDOW_US, "sixth call booked %" G_GINT64_FORMAT
      " us after the first's booking", booked - first_booked);
  fail_unless (wait > KVAM_PACER_WINDOW_US - 200 * G_TIME_SPAN_MILLISECOND);
  kvam_pacer_release (a);
}

GST_END_TEST;

typedef struct
{
  KvamClient *client;
  guint ok;
} Caller;

static gpointer
list_fragments_repeatedly (gpointer data)
{
  Caller *c = data;
  guint i;

  for (i = 0; i < CALLS_PER_CLIENT; i++) {
    KvamAwsError err = { 0 };
    JsonBuilder *b = kvam_client_begin_body (c->client);
    JsonNode *root;

    json_builder_set_member_name (b, "MaxResults");
    json_builder_add_int_value (b, 10);
    root = kvam_client_call (c->client, KVAM_API_LIST_FRAGMENTS, b, NULL, &err);
    g_object_unref (b);
    c->ok += root != NULL;
    if (root)
      json_node_unref (root);
    kvam_aws_error_clear (&err);
  }
  return NULL;
}

/* Two clients of one stream (two elements of an application, say) share
 * the stream's budget: the service's limit never trips. */
/* Between retries: full jitter, uniform in [0, min(5 s, 100 ms x 2^n)],
 * for every attempt number up to retry-attempts' maximum (a shift by the
 * attempt number overflowed from the 16th on: retries back to back). */
GST_START_TEST (test_backoff_full_jitter_capped)
{
  const gint64 cap = 5 * G_USEC_PER_SEC;
  guint attempt, i;

  for (attempt = 0; attempt <= 100; attempt++) {
    gint64 ceiling = MIN (cap, (gint64) 100000 << MIN (attempt, 10));
    gint64 sum = 0, top = 0;
    for (i = 0; i < 400; i++) {
      gint64 wait = kvam_backoff_us (attempt);
      fail_unless (wait >= 0 && wait <= ceiling, "attempt %u waits %"
          G_GINT64_FORMAT " us, over %" G_GINT64_FORMAT, attempt, wait,
          ceiling);
      sum += wait;
      top = MAX (top, wait);
    }
    /* uniform: the mean near half the ceiling, the top near all of it */
    fail_unless (sum / 400 > ceiling * 4 / 10 && sum / 400 < ceiling * 6 / 10,
        "attempt %u: mean %" G_GINT64_FORMAT " us", attempt, sum / 400);
    fail_unless (top > ceiling * 9 / 10, "attempt %u: longest %"
        G_GINT64_FORMAT " us", attempt, top);
  }
}

GST_END_TEST;

GST_START_TEST (test_two_clients_share_the_stream_budget)
{
  KvamCredentialsConfig cc = { KVS_EMULATOR_DEFAULT_ACCESS_KEY,
    KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL, NULL, 2000, NULL, NULL
  };
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autoptr (KvamCredentialsProvider) creds = NULL;
  g_autofree gchar *url = NULL;
  KvamClientConfig conf = { KVS_EMULATOR_DEFAULT_REGION, NULL, "cam", NULL,
    5000, 5, NULL, NULL, NULL, NULL, NULL
  };
  Caller one = { 0 }, two = { 0 };
  GThread *t1, *t2;
  GError *err = NULL;

  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", 20, 1, 32, 32, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
  url = kvs_emulator_get_url (emu);
  creds = kvam_credentials_provider_new (&cc);
  conf.endpoint_uri = url;
  conf.credentials = creds;
  one.client = kvam_client_new (&conf);
  two.client = kvam_client_new (&conf);

  t1 = g_thread_new ("one", list_fragments_repeatedly, &one);
  t2 = g_thread_new ("two", list_fragments_repeatedly, &two);
  g_thread_join (t1);
  g_thread_join (t2);

  fail_unless_equals_int (one.ok + two.ok, 2 * CALLS_PER_CLIENT);
  fail_unless_equals_int (kvs_emulator_count (emu, "ListFragments", NULL),
      2 * CALLS_PER_CLIENT);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL,
          "ClientLimitExceededException"), 0);
  kvam_client_free (one.client);
  kvam_client_free (two.client);
}

GST_END_TEST;

static Suite *
kvampacer_suite (void)
{
  Suite *s = suite_create ("kvampacer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_five_free_then_a_window);
  tcase_add_test (tc, test_late_send_keeps_the_window);
  tcase_add_test (tc, test_backoff_full_jitter_capped);
  tcase_add_test (tc, test_two_clients_share_the_stream_budget);
  return s;
}

GST_CHECK_MAIN (kvampacer);
