/* kvamsrc against a broken or hostile peer: a fake service on 127.0.0.1
 * that answers what no real Kinesis Video endpoint would (listings,
 * secrets, the clock; kvamhostilemedia.c: media)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kvamclient.h"
#include "kvamebml.h"
#include "kvamfragmentindex.h"
#include "kvamhostilefixture.h"

/* ---- a body that trickles or never ends ---------------------------------- */

static void
trickled_listing (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  /* JSON white space, a byte every 300 ms: a page would take 3 hours */
  kvam_test_trickle (msg, "application/json", NULL, 0, (const guint8 *) " ", 1,
      300, 40000);
}

/* request-timeout bounds each read; the whole page must come within it
 * too, or the call is a timeout like any other (retried, then an error). */
GST_START_TEST (test_trickled_listing_times_out)
{
  g_autoptr (KvamPlayResult) r = NULL;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", trickled_listing,
      NULL);
  r = play (30, NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "Timeout");
  /* two tries of 1 s, backoff, set-up */
  fail_unless (r->seconds < 8.0, "took %.1f s", r->seconds);
}

GST_END_TEST;

/* A service that takes the connection and never answers, or refuses it:
 * each retry is a warning saying what failed, and the error comes within
 * (retry-attempts + 1) x request-timeout, saying it gave up. */
GST_START_TEST (test_dead_service_warns_then_gives_up)
{
  gboolean listens[] = { TRUE, FALSE };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (listens); i++) {
    g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
        (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr (GSocketAddress) bound = NULL;
    g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4,
        G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr (KvamPlayResult) r = NULL;
    g_autofree gchar *url = NULL;
    const gchar *props[] = { "stream-name", "cam", "start-time", START,
      "retry-attempts", "3", "request-timeout", "1000", NULL
    };
    g_autoptr (GError) e = NULL;
    GstMessage *w;

    fail_unless (g_socket_bind (sock, any, TRUE, NULL));
    if (listens[i])
      fail_unless (g_socket_listen (sock, NULL));
    bound = g_socket_get_local_address (sock, NULL);
    url = g_strdup_printf ("http://127.0.0.1:%u",
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    r = kvam_test_play_at (url, "fakesink name=sink", FALSE, 30, props, NULL,
        NULL);
    kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "gave up after");
    fail_unless (r->seconds < 4.0 + 1.5, "error after %.1f s", r->seconds);
    fail_unless (r->warnings->len >= 1, "no warning before the error");
    w = g_ptr_array_index (r->warnings, 0);
    gst_message_parse_warning (w, &e, NULL);
    fail_unless (strstr (e->message, "GetDataEndpoint") &&
        strstr (e->message, "retrying (retry 1 of 3"), "%s", e->message);
  }
}

GST_END_TEST;

static void
huge_listing (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  gsize pad = 16 * 1024 * 1024;
  gchar *body = g_malloc (pad + 32);

  memset (body, ' ', pad);
  strcpy (body + pad, "{\"Fragments\":[]}");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

/* JSON bodies are read within a cap, not whole however long they are. */
GST_START_TEST (test_huge_listing_refused)
{
  g_autoptr (KvamPlayResult) r = NULL;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", huge_listing, NULL);
  r = play (30, NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "longer than 4194304 bytes");
}

GST_END_TEST;

/* An object holding 100 000 '[': json-glib's parser recursed until the
 * lister's stack overflowed. */
GST_START_TEST (test_deeply_nested_json_refused)
{
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *nested = g_malloc (100010);

  strcpy (nested, "{\"a\":");
  memset (nested + 5, '[', 100000);
  nested[100005] = '\0';
  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed, nested);
  r = play (30, NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "nested deeper");
}

GST_END_TEST;

/* ---- secrets ------------------------------------------------------------- */

typedef struct
{
  gint hits;
  gchar *token_seen;
} Elsewhere;

static void
elsewhere (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Elsewhere *e = user_data;

  g_atomic_int_inc (&e->hits);
  respond (msg, 200, ONE_FRAGMENT "}");
}

static void
redirect (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  soup_server_message_set_redirect (msg, 302, user_data);
}

/* A signed request is never sent where a redirect points: its session
 * token and date would go with it. */
GST_START_TEST (test_redirect_not_followed)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "1", "session-token", TOKEN, NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  KvamTestServer *other = kvam_test_server_new ();
  g_autofree gchar *target = kvam_test_server_url (other, "/listFragments");
  Elsewhere e = { 0 };

  kvam_test_server_add_handler (other, NULL, elsewhere, &e);
  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", redirect, target);
  r = play (30, props);
  kvam_test_server_free (other);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "HTTP 302");
  fail_unless_equals_int (e.hits, 0);
}

GST_END_TEST;

static void
echo_canonical_request (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  /* what some AWS front ends answer to a signature mismatch */
  const gchar *body = "{\"__type\":\"InvalidSignatureException\","
      "\"message\":\"The request signature we calculated does not match the "
      "signature you provided. (token " TOKEN ", " TOKEN_ENCODED ", "
      TOKEN_ENCODED_LOWER ", " TOKEN_ENCODED_MIXED
      ")\\n\\nThe Canonical String "
      "for this request should have been\\n'POST\\n/getDataEndpoint\\n\\n"
      "host:127.0.0.1\\nx-amz-security-token:" TOKEN "\\n'\"}";

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "x-amzn-ErrorType", "InvalidSignatureException:" TOKEN);
  respond (msg, 403, body);
}

/* The service's text is scrubbed of every secret before it is logged or
 * posted, at any debug level. */
GST_START_TEST (test_service_error_text_scrubbed)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "0", "session-token", TOKEN, NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *log = NULL, *details = NULL, *debug = NULL;
  GError *err = NULL;

  kvam_test_server_add_handler (server, "/getDataEndpoint",
      echo_canonical_request, NULL);
  r = play (30, props);
  log = kvam_test_log_capture_stop ();
  kvam_test_log_capture_start ();       /* for teardown's check */
  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "signature");
  gst_message_parse_error (r->error, &err, &debug);
  details = gst_structure_to_string (gst_message_get_structure (r->error));
  fail_if (strstr (err->message, TOKEN), "token in the error: %s",
      err->message);
  fail_if (strstr (err->message, TOKEN_ENCODED) ||
      strstr (err->message, TOKEN_ENCODED_LOWER) ||
      strstr (err->message, TOKEN_ENCODED_MIXED),
      "URL-encoded token in the error: %s", err->message);
  fail_unless (strstr (err->message, "(token ****, ****, ****, ****)"),
      "the service's text is gone: %s", err->message);
  fail_if (debug && strstr (debug, TOKEN));
  fail_if (strstr (details, TOKEN), "token in the details: %s", details);
  fail_if (strstr (err->message, "x-amz-security-token"));
  fail_unless (strlen (log) > 1000, "nothing was logged");
  fail_if (strstr (log, TOKEN), "token in the debug log");
  fail_if (strstr (log, TOKEN_ENCODED) || strstr (log, TOKEN_ENCODED_LOWER)
      || strstr (log, TOKEN_ENCODED_MIXED),
      "URL-encoded token in the debug log");
  g_error_free (err);
}

GST_END_TEST;

/* ---- a downgrade ------------------------------------------------------- */

/* An https control plane that names an http data endpoint is refused:
 * signed requests and the media would otherwise travel in clear text on
 * the word of one answer. */
GST_START_TEST (test_http_data_endpoint_refused)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "1", NULL
  };
  g_autofree gchar *dir = g_dir_make_tmp ("kvam-tls-XXXXXX", NULL);
  g_autofree gchar *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree gchar *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree gchar *cmd = g_strdup_printf ("openssl req -x509 -newkey "
      "rsa:2048 -nodes -keyout %s -out %s -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1", key, cert);
  g_autofree gchar *saved = g_strdup (g_getenv ("AWS_CA_BUNDLE"));
  g_autofree gchar *tls_url = NULL, *plain_url = NULL;
  g_autoptr (KvamPlayResult) r = NULL;
  KvsEmulator *tls, *plain;
  GError *err = NULL;
  gint status = -1;

#ifdef __SANITIZE_ADDRESS__
  /* as test_https in kvsemulator: LeakSanitizer's tracer has crashed at
   * exit with TLS handshake threads about; the plain build runs it */
  g_print ("SKIP test_http_data_endpoint_refused under AddressSanitizer: "
      "its leak check has crashed at exit with TLS threads running\n");
  return;
#endif
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) ||
      status != 0) {
    g_print ("SKIP test_http_data_endpoint_refused: openssl(1) could not "
        "make a certificate\n");
    return;
  }
  tls = kvs_emulator_new ();
  plain = kvs_emulator_new ();
  kvs_emulator_set_stream_start (tls, 1764000000000);
  kvs_emulator_set_stream_start (plain, 1764000000000);
  fail_unless (kvs_emulator_add_synthetic (tls, "cam", 2, 1, 64, 48, &err));
  fail_unless (kvs_emulator_add_synthetic (plain, "cam", 2, 1, 64, 48, &err));
  fail_unless (kvs_emulator_start (tls, "127.0.0.1", 0, cert, key, &err),
      "%s", err ? err->message : "");
  fail_unless (kvs_emulator_start (plain, "127.0.0.1", 0, NULL, NULL, &err));
  tls_url = kvs_emulator_get_url (tls);
  plain_url = kvs_emulator_get_url (plain);
  kvs_emulator_set_data_endpoint (tls, plain_url);
  g_setenv ("AWS_CA_BUNDLE", cert, TRUE);

  r = kvam_test_play_at (tls_url, "fakesink name=sink", FALSE, 30, props,
      NULL, NULL);
  if (saved)
    g_setenv ("AWS_CA_BUNDLE", saved, TRUE);
  else
    g_unsetenv ("AWS_CA_BUNDLE");
  /* the TLS emulator was reached (the bundle is trusted) and answered */
  fail_unless (kvs_emulator_count (tls, "GetDataEndpoint", NULL) >= 1);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "http:// data endpoint");
  fail_unless_equals_int (kvs_emulator_count (plain, NULL, "*"), 0);
  kvs_emulator_free (tls);
  kvs_emulator_free (plain);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

GST_END_TEST;

/* ---- the clock ----------------------------------------------------------- */

typedef struct
{
  gint calls;                   /* GetDataEndpoint for ListFragments */
  gchar *listing_date;          /* X-Amz-Date of the ListFragments call */
} FarFuture;

static void
expired_from_the_far_future (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  FarFuture *f = user_data;
  g_autofree gchar *url = NULL, *body = NULL;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);

  /* the media endpoint, looked up while the range is listed */
  if (request->data && strstr (request->data, "GET_MEDIA")) {
    url = kvam_test_server_url (server, "");
    body = g_strdup_printf ("{\"DataEndpoint\":\"%s\"}", url);
    respond (msg, 200, body);
    return;
  }
  if (g_atomic_int_add (&f->calls, 1) == 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Date", "Fri, 31 Dec 9999 23:59:59 GMT");
    respond (msg, 403, "{\"__type\":\"InvalidSignatureException\","
        "\"message\":\"Signature expired: 20261125T100000Z is now earlier "
        "than 99991231T235459Z\"}");
    return;
  }
  /* the next request is signed more than a second after the Date above:
   * past the end of 9999 by that clock */
  g_usleep (1200 * 1000);
  url = kvam_test_server_url (server, "");
  body = g_strdup_printf ("{\"DataEndpoint\":\"%s\"}", url);
  respond (msg, 200, body);
}

static void
empty_listing (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  FarFuture *f = user_data;

  g_free (f->listing_date);
  f->listing_date = g_strdup (soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "X-Amz-Date"));
  respond (msg, 200, "{\"Fragments\":[]}");
}

/* A service clock far from ours is not believed: signing by the end of
 * the year 9999 overflowed GDateTime a second later and crashed. */
GST_START_TEST (test_far_future_date_not_believed)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "2", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *year = g_date_time_format (now, "%Y");
  FarFuture f = { 0 };

  kvam_test_server_add_handler (server, "/getDataEndpoint",
      expired_from_the_far_future, &f);
  kvam_test_server_add_handler (server, "/listFragments", empty_listing, &f);
  r = play (30, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "no fragments");
  fail_unless_equals_int (f.calls, 2);
  /* signed by our own clock */
  fail_unless (f.listing_date && g_str_has_prefix (f.listing_date, year),
      "X-Amz-Date %s", GST_STR_NULL (f.listing_date));
  g_free (f.listing_date);
}

GST_END_TEST;

/* ---- listings that never end or end too early ---------------------------- */

static KvamFragmentIndex *
list_against_server (KvamAwsError * err)
{
  KvamCredentialsConfig cc =
      { "AKIDEXAMPLE", "secret", NULL, NULL, 2000, NULL, NULL };
  g_autoptr (KvamCredentialsProvider) creds =
      kvam_credentials_provider_new (&cc);
  g_autofree gchar *url = kvam_test_server_url (server, "");
  KvamClientConfig conf =
      { "us-west-2", url, "cam", NULL, 2000, 1, creds, NULL, NULL,
    NULL, NULL
  };
  g_autoptr (KvamClient) client = kvam_client_new (&conf);
  KvamFragmentIndex *idx = kvam_fragment_index_new (KVAM_SELECTOR_SERVER,
      1764000000 * GST_SECOND, 1764003600 * GST_SECOND);

  kvam_fragment_index_list (idx, client, 1000, NULL);
  kvam_fragment_index_get_error (idx, err);
  return idx;
}

/* Every page hands back the same NextToken: the listing went round in
 * circles, about 4.6 calls a second, forever. */
GST_START_TEST (test_repeated_token_ends_the_listing)
{
  g_autoptr (KvamFragmentIndex) idx = NULL;
  KvamAwsError err = { 0 };

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed,
      (gpointer) ONE_FRAGMENT ",\"NextToken\":\"again\"}");
  idx = list_against_server (&err);
  fail_unless_equals_int (err.kind, KVAM_AWS_ERROR_MALFORMED);
  fail_unless (strstr (err.message, "NextToken came back twice"), "%s",
      err.message);
  kvam_aws_error_clear (&err);
}

GST_END_TEST;

/* A NextToken that is not a string is a malformed page (retried, then an
 * error), not the last page: playback once ended with EOS after 5 of 20
 * fragments. */
GST_START_TEST (test_token_not_a_string_is_malformed)
{
  static const gchar *const bodies[] = {
    ONE_FRAGMENT ",\"NextToken\":5}",
    ONE_FRAGMENT ",\"NextToken\":{\"a\":1}}",
  };
  guint i;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  for (i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autoptr (KvamFragmentIndex) idx = NULL;
    KvamAwsError err = { 0 };
    kvam_test_server_add_handler (server, "/listFragments", fixed,
        (gpointer) bodies[i]);
    idx = list_against_server (&err);
    fail_unless_equals_int (err.kind, KVAM_AWS_ERROR_MALFORMED);
    fail_unless (strstr (err.message, "NextToken is not a string"), "%s",
        err.message);
    /* nothing of a refused page is taken */
    fail_unless_equals_int (kvam_fragment_index_get_listed (idx), 0);
    kvam_aws_error_clear (&err);
  }
}

GST_END_TEST;

/* Members of the wrong kind (an object for the DataEndpoint string, an
 * array for a FragmentNumber) are malformed answers: json-glib's getters
 * raised a GLib critical on them, fatal under G_DEBUG=fatal-criticals. */
GST_START_TEST (test_members_of_the_wrong_kind)
{
  g_autoptr (KvamFragmentIndex) idx = NULL, idx2 = NULL;
  KvamAwsError err = { 0 };

  kvam_test_server_add_handler (server, "/getDataEndpoint", fixed,
      (gpointer) "{\"DataEndpoint\":{\"url\":\"http://127.0.0.1:1\"}}");
  idx = list_against_server (&err);
  fail_unless_equals_int (err.kind, KVAM_AWS_ERROR_MALFORMED);
  fail_unless (strstr (err.message, "no DataEndpoint URL"), "%s", err.message);
  kvam_aws_error_clear (&err);

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed, (gpointer)
      "{\"Fragments\":[{\"FragmentNumber\":[\"1\"],\"ProducerTimestamp\":"
      "1764000000.0,\"ServerTimestamp\":1764000001.0}]}");
  idx2 = list_against_server (&err);
  fail_unless_equals_int (err.kind, KVAM_AWS_ERROR_MALFORMED);
  fail_unless_equals_int (kvam_fragment_index_get_listed (idx2), 0);
  kvam_aws_error_clear (&err);
}

GST_END_TEST;

/* What a listing claims, clamped or refused when served: a length of
 * 1e308 ms (a signed overflow), a negative size, one fragment listed twice
 * (once with leading zeros: it played twice). */
GST_START_TEST (test_absurd_listing_served)
{
  g_autoptr (KvamFragmentIndex) idx = NULL;
  KvamAwsError err = { 0 };
  const KvamFragment *f;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed, (gpointer)
      "{\"Fragments\":[{\"FragmentNumber\":\"" NUMBER "\","
      "\"FragmentSizeInBytes\":-5,\"ProducerTimestamp\":1764000000.5,"
      "\"ServerTimestamp\":1764000001.5,\"FragmentLengthInMilliseconds\":"
      "1e308},{\"FragmentNumber\":\"000" NUMBER "\","
      "\"FragmentSizeInBytes\":100,\"ProducerTimestamp\":1764000000.5,"
      "\"ServerTimestamp\":1764000001.5}]}");
  idx = list_against_server (&err);
  fail_unless_equals_int (err.kind, KVAM_AWS_ERROR_NONE);
  fail_unless_equals_int (kvam_fragment_index_get_published (idx), 1);
  f = kvam_fragment_index_get (idx, 0);
  fail_unless_equals_uint64 (f->duration, 24 * 3600 * GST_SECOND);
  fail_unless_equals_uint64 (f->size, 0);
}

GST_END_TEST;

/* A start time past what a GstClockTime holds is refused, not wrapped
 * (2600-01-01 was taken as about 2015). */
GST_START_TEST (test_far_future_start_refused)
{
  const gchar *props[] = { "stream-name", "cam", "start-time",
    "2600-01-01T00:00:00Z", "retry-attempts", "0", NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed,
      (gpointer) ONE_FRAGMENT "}");
  r = play (30, props);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "'start-time'");
}

GST_END_TEST;

static Suite *
kvamhostile_suite (void)
{
  Suite *s = suite_create ("kvamhostile");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, hostile_setup, hostile_teardown);
  tcase_add_test (tc, test_trickled_listing_times_out);
  tcase_add_test (tc, test_dead_service_warns_then_gives_up);
  tcase_add_test (tc, test_huge_listing_refused);
  tcase_add_test (tc, test_deeply_nested_json_refused);
  tcase_add_test (tc, test_redirect_not_followed);
  tcase_add_test (tc, test_service_error_text_scrubbed);
  tcase_add_test (tc, test_http_data_endpoint_refused);
  tcase_add_test (tc, test_far_future_date_not_believed);
  tcase_add_test (tc, test_repeated_token_ends_the_listing);
  tcase_add_test (tc, test_members_of_the_wrong_kind);
  tcase_add_test (tc, test_token_not_a_string_is_malformed);
  tcase_add_test (tc, test_absurd_listing_served);
  tcase_add_test (tc, test_far_future_start_refused);
  return s;
}

GST_CHECK_MAIN (kvamhostile);
