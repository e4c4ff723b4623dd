/* kvamsrc: SigV4 signer against the AWS test suite and Kinesis Video vectors
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Walks ../shared/fixtures/sigv4-test-suite/v4 and ../shared/fixtures/sigv4-kvs,
 * so a case added there is tested without a code change.
 */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kvamsigv4.h"
#include "kvamtestutil.h"

typedef struct
{
  guint passed;
  guint failed;
  GString *report;
} Tally;

static void
tally_compare (Tally * t, const gchar * what, const gchar * expected,
    const gchar * got)
{
  if (g_strcmp0 (expected, got) == 0) {
    t->passed++;
    return;
  }
  t->failed++;
  g_string_append_printf (t->report, "\n%s:\n  expected: %s\n  got:      %s",
      what, expected, got);
}

static gchar *
read_text (const gchar * dir, const gchar * name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static JsonObject *
load_json (const gchar * path, JsonParser * parser)
{
  GError *err = NULL;

  if (!json_parser_load_from_file (parser, path, &err))
    fail ("%s: %s", path, err->message);
  return json_node_get_object (json_parser_get_root (parser));
}

/* The suite's request.txt: request line, folded headers, blank line, body. */
static KvamSigv4Request *
parse_request_txt (const gchar * text)
{
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) request_line = NULL;
  g_autofree gchar *path = NULL;
  g_autoptr (GString) name = NULL, value = NULL;
  KvamSigv4Request *req;
  const gchar *body_start = strstr (text, "\n\n");
  gchar *q;
  guint i;

  lines = g_strsplit (text, "\n", -1);
  request_line = g_strsplit (lines[0], " ", 3);
  /* the path may contain a space: the protocol is the last word */
  path = g_strndup (lines[0] + strlen (request_line[0]) + 1,
      strrchr (lines[0], ' ') - lines[0] - strlen (request_line[0]) - 1);
  q = strchr (path, '?');
  if (q)
    *q++ = '\0';
  req = kvam_sigv4_request_new (request_line[0], path, q);

  for (i = 1; lines[i] && *lines[i]; i++) {
    if (lines[i][0] == ' ' || lines[i][0] == '\t') {
      g_string_append_printf (value, " %s", lines[i]);
      continue;
    }
    if (name)
      kvam_sigv4_request_add_header (req, name->str, value->str);
    if (name)
      g_string_free (name, TRUE);
    if (value)
      g_string_free (value, TRUE);
    name = g_string_new_len (lines[i], strchr (lines[i], ':') - lines[i]);
    value = g_string_new (strchr (lines[i], ':') + 1);
  }
  if (name)
    kvam_sigv4_request_add_header (req, name->str, value->str);
  if (body_start)
    kvam_sigv4_request_set_body (req, (const guint8 *) body_start + 2,
        strlen (body_start + 2));
  return req;
}

static GDateTime *
parse_timestamp (const gchar * ts)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autofree gchar *iso = NULL;

  if (strlen (ts) == 16 && ts[8] == 'T')        /* 20240101T001500Z */
    iso = g_strdup_printf ("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", ts, ts + 4,
        ts + 6, ts + 9, ts + 11, ts + 13);
  return g_date_time_new_from_iso8601 (iso ? iso : ts, utc);
}

static void
run_suite_case (const gchar * dir, const gchar * name, Tally * t, guint * cases)
{
  g_autofree gchar *context_path = g_build_filename (dir, "context.json",
      NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *ctx = load_json (context_path, parser);
  JsonObject *c = json_object_get_object_member (ctx, "credentials");
  g_autofree gchar *request_txt = read_text (dir, "request.txt");
  g_autoptr (KvamSigv4Request) req = parse_request_txt (request_txt);
  g_autoptr (KvamCredentials) creds = NULL;
  g_autoptr (GDateTime) when = parse_timestamp
      (json_object_get_string_member (ctx, "timestamp"));
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT (NULL, NULL);
  static const gchar *const modes[] = { "header", "query" };
  guint m;

  creds = kvam_credentials_new (json_object_get_string_member (c,
          "access_key_id"), json_object_get_string_member (c,
          "secret_access_key"), json_object_get_string_member_with_default (c,
          "token", NULL), 0, "fixture");
  opts.service = json_object_get_string_member (ctx, "service");
  opts.region = json_object_get_string_member (ctx, "region");
  opts.normalize_path = json_object_get_boolean_member (ctx, "normalize");
  opts.omit_session_token = json_object_get_boolean_member_with_default (ctx,
      "omit_session_token", FALSE);

  for (m = 0; m < G_N_ELEMENTS (modes); m++) {
    g_autofree gchar *f_creq = g_strdup_printf ("%s-canonical-request.txt",
        modes[m]);
    g_autofree gchar *f_sts = g_strdup_printf ("%s-string-to-sign.txt",
        modes[m]);
    g_autofree gchar *f_sig = g_strdup_printf ("%s-signature.txt", modes[m]);
    g_autofree gchar *creq = read_text (dir, f_creq);
    g_autofree gchar *sts = read_text (dir, f_sts);
    g_autofree gchar *sig = read_text (dir, f_sig);
    g_autofree gchar *label = g_strdup_printf ("%s [%s]", name, modes[m]);
    KvamSigv4Result r;
    guint before = t->failed;

    if (!creq)
      continue;
    if (m == 0) {
      opts.add_content_sha256 = json_object_get_boolean_member (ctx,
          "sign_body");
      kvam_sigv4_sign_headers (&opts, creds, req, when, &r);
    } else {
      opts.add_content_sha256 = FALSE;
      kvam_sigv4_presign (&opts, creds, req, when,
          json_object_get_int_member (ctx, "expiration_in_seconds"), &r);
    }
    tally_compare (t, label, creq, r.canonical_request);
    tally_compare (t, label, sts, r.string_to_sign);
    tally_compare (t, label, g_strstrip (sig), r.signature);
    if (m == 0) {
      g_autofree gchar *signed_req = read_text (dir,
          "header-signed-request.txt");
      g_autofree gchar *line = g_strdup_printf ("Authorization:%s\n",
          r.authorization);
      tally_compare (t, label, "Authorization header present",
          strstr (signed_req, line) ? "Authorization header present" : line);
    }
    if (t->failed == before)
      cases[m]++;
    kvam_sigv4_result_clear (&r);
  }
}

static void
add_json_headers (KvamSigv4Request * req, GUri * uri, JsonObject * headers)
{
  g_autoptr (GList) names = headers ? json_object_get_members (headers) : NULL;
  g_autofree gchar *host = NULL;
  GList *l;

  /* botocore signs Host with the port only when it is not the default */
  if (g_uri_get_port (uri) > 0 &&
      !(g_uri_get_port (uri) == 443 && !g_strcmp0 (g_uri_get_scheme (uri),
              "https")) && !(g_uri_get_port (uri) == 80
          && !g_strcmp0 (g_uri_get_scheme (uri), "http")))
    host = g_strdup_printf ("%s:%d", g_uri_get_host (uri),
        g_uri_get_port (uri));
  else
    host = g_strdup (g_uri_get_host (uri));
  kvam_sigv4_request_add_header (req, "Host", host);
  for (l = names; l; l = l->next)
    kvam_sigv4_request_add_header (req, l->data,
        json_object_get_string_member (headers, l->data));
}

static void
run_kvs_vector (const gchar * path, Tally * t, guint * vectors)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *v = load_json (path, parser);
  JsonObject *c = json_object_get_object_member (v, "credentials");
  JsonObject *request = json_object_has_member (v, "request") ?
      json_object_get_object_member (v, "request") : NULL;
  const gchar *presigned = json_object_get_string_member_with_default (v,
      "presigned_url", NULL);
  g_autoptr (KvamCredentials) creds = NULL;
  g_autoptr (KvamSigv4Request) req = NULL;
  g_autoptr (GDateTime) when = parse_timestamp
      (json_object_get_string_member (v, "timestamp"));
  g_autoptr (GUri) uri = NULL;
  g_autofree gchar *method = NULL;
  g_autofree gchar *label = g_path_get_basename (path);
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT ("kinesisvideo", NULL);
  KvamSigv4Result r;
  guint before = t->failed;

  creds = kvam_credentials_new (json_object_get_string_member (c,
          "access_key_id"), json_object_get_string_member (c,
          "secret_access_key"), json_object_get_string_member_with_default (c,
          "session_token", NULL), 0, "fixture");
  opts.service = json_object_get_string_member (v, "service");
  opts.region = json_object_get_string_member (v, "region");

  if (request) {
    const gchar *body = json_object_get_string_member (request, "body");
    uri = g_uri_parse (json_object_get_string_member (request, "url"),
        G_URI_FLAGS_ENCODED, NULL);
    req = kvam_sigv4_request_new (json_object_get_string_member (request,
            "method"), g_uri_get_path (uri), g_uri_get_query (uri));
    add_json_headers (req, uri, json_object_get_object_member (request,
            "headers"));
    kvam_sigv4_request_set_body (req, (const guint8 *) body, strlen (body));
    kvam_sigv4_sign_headers (&opts, creds, req, when, &r);
  } else {
    /* the presigned vector has no request object: rebuild it from the URL */
    const gchar *creq = json_object_get_string_member (v, "canonical_request");
    method = g_strndup (creq, strchr (creq, '\n') - creq);
    uri = g_uri_parse (presigned, G_URI_FLAGS_ENCODED, NULL);
    req = kvam_sigv4_request_new (method, g_uri_get_path (uri), NULL);
    add_json_headers (req, uri, NULL);
    kvam_sigv4_presign (&opts, creds, req, when,
        json_object_get_int_member (v, "expires"), &r);
  }

  tally_compare (t, label, json_object_get_string_member (v,
          "canonical_request"), r.canonical_request);
  tally_compare (t, label, json_object_get_string_member (v,
          "string_to_sign"), r.string_to_sign);
  if (request) {
    JsonObject *h = json_object_get_object_member (v, "signed_headers");
    tally_compare (t, label, json_object_get_string_member (h,
            "Authorization"), r.authorization);
    tally_compare (t, label, json_object_get_string_member (h, "X-Amz-Date"),
        r.amz_date);
  } else {
    g_autofree gchar *url = g_strdup_printf ("%s://%s%s?%s",
        g_uri_get_scheme (uri), g_uri_get_host (uri), g_uri_get_path (uri),
        r.query);
    tally_compare (t, label, presigned, url);
  }
  if (t->failed == before)
    (*vectors)++;
  kvam_sigv4_result_clear (&r);
}

static GPtrArray *
sorted_dir_entries (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *n;

  fail_unless (d != NULL, "cannot open %s", dir);
  while ((n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_build_filename (dir, n, NULL));
  g_dir_close (d);
  g_ptr_array_sort (names, (GCompareFunc) kvam_test_strcmp_indirect);
  return names;
}

GST_START_TEST (test_aws_sigv4_suite)
{
  g_autofree gchar *root = kvam_test_fixture_path ("sigv4-test-suite/v4");
  g_autoptr (GPtrArray) dirs = sorted_dir_entries (root);
  Tally t = { 0, 0, g_string_new (NULL) };
  guint cases[2] = { 0, 0 };
  guint i;

  for (i = 0; i < dirs->len; i++) {
    g_autofree gchar *name = g_path_get_basename (dirs->pdata[i]);
    run_suite_case (dirs->pdata[i], name, &t, cases);
  }
  g_print ("sigv4 suite: %u cases; header signing passed %u, query signing "
      "passed %u\n", dirs->len, cases[0], cases[1]);
  fail_unless (t.failed == 0, "%u mismatches:%s", t.failed, t.report->str);
  fail_unless (dirs->len >= 38, "only %u cases found in %s", dirs->len, root);
  fail_unless_equals_int (cases[0], dirs->len);
  fail_unless_equals_int (cases[1], dirs->len);
  g_string_free (t.report, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_kvs_vectors)
{
  g_autofree gchar *root = kvam_test_fixture_path ("sigv4-kvs");
  g_autoptr (GPtrArray) files = sorted_dir_entries (root);
  Tally t = { 0, 0, g_string_new (NULL) };
  guint vectors = 0, total = 0;
  guint i;

  for (i = 0; i < files->len; i++) {
    if (!g_str_has_suffix (files->pdata[i], ".json"))
      continue;
    total++;
    run_kvs_vector (files->pdata[i], &t, &vectors);
  }
  g_print ("sigv4-kvs: %u of %u vectors passed\n", vectors, total);
  fail_unless (t.failed == 0, "%u mismatches:%s", t.failed, t.report->str);
  fail_unless (total > 0, "no vectors in %s", root);
  g_string_free (t.report, TRUE);
}

GST_END_TEST;

/* Kinesis Video must not get x-amz-content-sha256 unless asked for. */
GST_START_TEST (test_no_content_sha256_by_default)
{
  g_autoptr (KvamCredentials) creds = kvam_credentials_new ("AKID", "SECRET",
      NULL, 0, "test");
  g_autoptr (KvamSigv4Request) req = kvam_sigv4_request_new ("POST",
      "/listFragments", NULL);
  g_autoptr (GDateTime) when = g_date_time_new_utc (2024, 1, 1, 0, 0, 0);
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT ("kinesisvideo",
      "us-west-2");
  KvamSigv4Result r;

  kvam_sigv4_request_add_header (req, "Host", "example.com");
  kvam_sigv4_request_set_body (req, (const guint8 *) "{}", 2);
  kvam_sigv4_sign_headers (&opts, creds, req, when, &r);
  fail_unless (r.content_sha256 == NULL);
  fail_unless (strstr (r.canonical_request, "x-amz-content-sha256") == NULL);
  /* the body is hashed into the canonical request all the same */
  fail_unless (g_str_has_suffix (r.canonical_request,
          "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
  kvam_sigv4_result_clear (&r);
}

GST_END_TEST;

static Suite *
kvamsigv4_suite (void)
{
  Suite *s = suite_create ("kvamsigv4");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_content_sha256_by_default);
  if (kvam_test_fixtures_available ("sigv4-test-suite/v4"))
    tcase_add_test (tc, test_aws_sigv4_suite);
  if (kvam_test_fixtures_available ("sigv4-kvs"))
    tcase_add_test (tc, test_kvs_vectors);
  return s;
}

GST_CHECK_MAIN (kvamsigv4);
