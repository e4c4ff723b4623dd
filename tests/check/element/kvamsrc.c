/* kvamsrc: element properties, configuration errors, secrets
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/base/gstpushsrc.h>
#include <string.h>

#include "kvamtestutil.h"
#include "kvsemulator.h"
#include "kvamclient.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz"
#define TOKEN "FwoGZXIvYXdzEzzTOKENzzLONGSESSIONTOKEN=="

static void
setup (void)
{
  /* the type must exist for the README check */
  gst_object_unref (gst_element_factory_make ("kvamsrc", NULL));
  g_unsetenv ("AWS_ACCESS_KEY_ID");
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
  g_unsetenv ("AWS_SESSION_TOKEN");
  g_unsetenv ("AWS_REGION");
  g_unsetenv ("AWS_DEFAULT_REGION");
  g_unsetenv ("AWS_PROFILE");
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kvam/credentials",
      TRUE);
  g_setenv ("AWS_CONFIG_FILE", "/nonexistent/kvam/config", TRUE);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
}

GST_START_TEST (test_properties_defaults_and_roundtrip)
{
  GstElement *src = gst_element_factory_make ("kvamsrc", NULL);
  gchar *s;
  guint u;

  fail_unless (src != NULL);
  g_object_get (src, "request-timeout", &u, NULL);
  fail_unless_equals_int (u, 15000);
  g_object_get (src, "retry-attempts", &u, NULL);
  fail_unless_equals_int (u, 5);

  g_object_set (src, "stream-name", "front-door", "start-time",
      "2026-11-24T10:00:00Z", "end-time", "1764000300.5", "region",
      "us-west-2", "access-key", "AKIDEXAMPLE", "profile", "work",
      "endpoint-uri", "http://127.0.0.1:1", NULL);
  g_object_get (src, "stream-name", &s, NULL);
  fail_unless_equals_string (s, "front-door");
  g_free (s);
  g_object_get (src, "end-time", &s, NULL);
  fail_unless_equals_string (s, "1764000300.5");
  g_free (s);
  g_object_get (src, "access-key", &s, NULL);
  fail_unless_equals_string (s, "AKIDEXAMPLE");
  g_free (s);

  /* secrets never read back */
  g_object_set (src, "secret-access-key", SECRET, "session-token", TOKEN, NULL);
  g_object_get (src, "secret-access-key", &s, NULL);
  fail_unless (s == NULL);
  g_object_get (src, "session-token", &s, NULL);
  fail_unless (s == NULL);

  gst_object_unref (src);
}

GST_END_TEST;

/* Bring a configured kvamsrc to PAUSED; returns the error message posted. */
static GstMessage *
start_and_get_error (GstElement * src)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;

  gst_bin_add_many (GST_BIN (pipe), src, sink, NULL);
  fail_unless (gst_element_link (src, sink));
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return msg;
}

static GstElement *
configured_src (void)
{
  GstElement *src = gst_element_factory_make ("kvamsrc", NULL);

  g_object_set (src, "stream-name", "front-door", "start-time",
      "2026-11-24T10:00:00Z", "end-time", "2026-11-24T11:05:00+01:00",
      "region", "us-west-2", "access-key", "AKIDEXAMPLE",
      "secret-access-key", SECRET, "endpoint-uri", "http://127.0.0.1:9", NULL);
  return src;
}

static void
assert_settings_error (const gchar * prop, const gchar * value,
    const gchar * expect_in_message)
{
  GstElement *src = configured_src ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  if (value && g_str_equal (value, "(unset)"))
    g_object_set (src, prop, NULL, NULL);
  else
    gst_util_set_object_arg (G_OBJECT (src), prop, value);
  msg = start_and_get_error (src);
  fail_unless (msg != NULL, "no error for %s=%s", prop, value);
  gst_message_parse_error (msg, &err, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), "%s=%s gave %s", prop, value,
      err->message);
  fail_unless (strstr (err->message, expect_in_message) != NULL,
      "'%s' does not name '%s'", err->message, expect_in_message);
  fail_unless (strstr (err->message, SECRET) == NULL);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
}

GST_START_TEST (test_invalid_settings_fail_start)
{
  assert_settings_error ("stream-name", "(unset)", "stream-name");
  assert_settings_error ("stream-name", "bad name!", "'bad name!'");
  assert_settings_error ("stream-arn", "arn:aws:kinesisvideo:x", "stream-arn");
  assert_settings_error ("start-time", "yesterday", "'yesterday'");
  assert_settings_error ("start-time", "(unset)", "start-time");
  assert_settings_error ("end-time", "2026-13-40T99:00:00Z", "end-time");
  assert_settings_error ("end-time", "2026-02-30T00:00:00Z",
      "'2026-02-30T00:00:00Z': February 2026 has 28 days, not 30");
  assert_settings_error ("start-time", "1764000000000",
      "milliseconds since the epoch: give seconds");
  assert_settings_error ("end-time", "2026-11-24T08:00:00Z", "before");
  assert_settings_error ("start-time", "-5", "'-5'");
  assert_settings_error ("start-time", "1e400", "'1e400'");
  assert_settings_error ("region", "US WEST", "'US WEST'");
  /* typos refused at start, not found as DNS errors after the retries */
  assert_settings_error ("region", "us-west2",
      "'us-west2': expected a region code such as us-west-2");
  assert_settings_error ("region", "uswest-2", "'uswest-2'");
  assert_settings_error ("region", "us-west-234", "'us-west-234'");
  assert_settings_error ("region", "us--west-2", "'us--west-2'");
  assert_settings_error ("region", "us-west-", "'us-west-'");
  assert_settings_error ("endpoint-uri", "ftp://x", "'ftp://x'");
  /* basesrc's own property: refused with the reason, not a bare failed
   * initial seek */
  assert_settings_error ("do-timestamp", "true",
      "'do-timestamp' is for the live playback modes");
  assert_settings_error ("endpoint-uri", "not a url", "endpoint-uri");
}

GST_END_TEST;

/* "uri" mirrors the URI handler (as awss3src's): it sets what the URI
 * names, reads back the settings as a URI, and a refused one changes
 * nothing. */
GST_START_TEST (test_uri_property)
{
  GstElement *src = gst_element_factory_make ("kvamsrc", NULL);
  g_autofree gchar *name = NULL, *region = NULL, *uri = NULL;
  g_autofree gchar *after = NULL;

  g_object_set (src, "uri", "kvs://front-door?start-time=-10m&region="
      "eu-west-1", NULL);
  g_object_get (src, "stream-name", &name, "region", &region, "uri", &uri,
      NULL);
  fail_unless_equals_string (name, "front-door");
  fail_unless_equals_string (region, "eu-west-1");
  fail_unless (g_str_has_prefix (uri, "kvs://front-door?"), "%s", uri);
  fail_unless (strstr (uri, "region=eu-west-1") != NULL, "%s", uri);
  fail_unless (strstr (uri, "uri=") == NULL, "%s", uri);
  /* a secret in a URI is refused: nothing changes */
  g_object_set (src, "uri", "kvs://other?secret-access-key=x", NULL);
  g_object_get (src, "uri", &after, NULL);
  fail_unless_equals_string (after, uri);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_missing_region_is_explained)
{
  GstElement *src = configured_src ();
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (src, "region", NULL, NULL);
  msg = start_and_get_error (src);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "region") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "AWS_REGION") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
}

GST_END_TEST;

GST_START_TEST (test_missing_credentials_is_not_authorized)
{
  GstElement *src = configured_src ();
  GstMessage *msg;
  GError *err = NULL;
  const GstStructure *details = NULL;

  g_object_set (src, "access-key", NULL, "secret-access-key", NULL, NULL);
  msg = start_and_get_error (src);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  gst_message_parse_error_details (msg, &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "stream"),
      "front-door");
  g_error_free (err);
  gst_message_unref (msg);
}

GST_END_TEST;

/* Runs the element through the credential chain (properties, and a container
 * endpoint handing out a session token) at GST_DEBUG=*:9 and looks for the
 * secrets in every log line and bus message. */
static void
token_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  const gchar *body = "{\"AccessKeyId\":\"ASIACONTAINER\","
      "\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN "\","
      "\"Expiration\":\"2099-01-01T00:00:00Z\"}";

  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_STATIC, body, strlen (body));
  soup_server_message_set_status (msg, 200, NULL);
}

static gchar *
run_and_collect_messages (GstElement * src)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GString *all = g_string_new (NULL);
  GstMessage *msg;

  gst_bin_add_many (GST_BIN (pipe), src, sink, NULL);
  gst_element_link (src, sink);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while ((msg = gst_bus_timed_pop (bus, GST_SECOND))) {
    const GstStructure *st = gst_message_get_structure (msg);
    gchar *s = st ? gst_structure_to_string (st) :
        g_strdup (GST_MESSAGE_TYPE_NAME (msg));
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    g_string_append_printf (all, "%s\n", s);
    g_free (s);
    gst_message_unref (msg);
    if (type == GST_MESSAGE_ERROR || type == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return g_string_free (all, FALSE);
}

static void
assert_no_secret (const gchar * where, const gchar * text)
{
  fail_unless (strstr (text, SECRET) == NULL, "secret key in %s", where);
  fail_unless (strstr (text, TOKEN) == NULL, "session token in %s", where);
  fail_unless (strstr (text, "zzSECRETzz") == NULL, "secret part in %s", where);
  fail_unless (strstr (text, "zzTOKENzz") == NULL, "token part in %s", where);
}

GST_START_TEST (test_secrets_never_logged)
{
  KvamTestServer *server = kvam_test_server_new ();
  g_autofree gchar *url = NULL;
  g_autofree gchar *log = NULL;
  g_autofree gchar *bus1 = NULL, *bus2 = NULL;
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autofree gchar *emu_url = NULL;
  GError *err = NULL;
  GstElement *src;

  kvs_emulator_set_stream_start (emu, G_GINT64_CONSTANT (1764000000000));
  kvs_emulator_add_credentials (emu, "ASIACONTAINER", SECRET, TOKEN);
  fail_unless (kvs_emulator_add_synthetic (emu, "front-door", 3, 1, 32, 32,
          &err));
  fail_unless (kvs_emulator_start (emu, NULL, 0, NULL, NULL, &err));
  emu_url = kvs_emulator_get_url (emu);
  kvam_test_server_add_handler (server, "/creds", token_handler, NULL);
  url = kvam_test_server_url (server, "/creds");
  kvam_test_log_capture_start ();

  /* keys from properties */
  src = configured_src ();
  g_object_set (src, "session-token", TOKEN, NULL);
  bus1 = run_and_collect_messages (src);

  /* keys from a container endpoint, signing real requests to the emulator
   * and playing to the end */
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  src = configured_src ();
  g_object_set (src, "access-key", NULL, "secret-access-key", NULL,
      "endpoint-uri", emu_url, "start-time", "1764000000", "end-time",
      "1764000010", NULL);
  bus2 = run_and_collect_messages (src);
  g_unsetenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI");

  log = kvam_test_log_capture_stop ();
  kvam_test_server_free (server);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) >= 1,
      "the signed playback did not run");
  /* nor the Authorization header's value */
  fail_unless (strstr (log, "Signature=") == NULL, "Authorization in log");
  fail_unless (strstr (bus2, "Signature=") == NULL);

  /* the capture really saw the element and the credential chain work */
  fail_unless (strstr (log, "secret-access-key set") != NULL);
  fail_unless (strstr (log, "key id ASIACONTAINER from container") != NULL,
      "the chain did not log its source");
  assert_no_secret ("the debug log", log);
  assert_no_secret ("bus messages (properties)", bus1);
  assert_no_secret ("bus messages (container)", bus2);
}

GST_END_TEST;

typedef struct
{
  GstElement *src;
  gint stop;
  guint reads;
} StatsReader;

static gpointer
read_stats (gpointer data)
{
  StatsReader *r = data;

  while (!g_atomic_int_get (&r->stop)) {
    GstStructure *stats = NULL;
    guint listed = 0;

    g_object_get (r->src, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint (stats, "fragments-listed", &listed));
    gst_structure_free (stats);
    r->reads++;
  }
  return NULL;
}

/* stats (read under the object lock by any thread) while the element
 * starts and stops again and again: the session, index and client it
 * reads are taken away under that lock before they are freed (ASan finds
 * a read of a freed one). */
GST_START_TEST (test_stats_while_stopping)
{
  g_autoptr (KvsEmulator) emu = kvs_emulator_new ();
  g_autofree gchar *emu_url = NULL;
  GstElement *pipeline, *src;
  StatsReader r = { NULL, 0, 0 };
  GError *err = NULL;
  GThread *t;
  guint i;

  kvs_emulator_set_stream_start (emu, G_GINT64_CONSTANT (1764000000000));
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", 20, 1, 32, 32, &err));
  kvs_emulator_set_rate_limit (emu, FALSE);
  fail_unless (kvs_emulator_start (emu, NULL, 0, NULL, NULL, &err));
  emu_url = kvs_emulator_get_url (emu);
  pipeline = gst_parse_launch ("kvamsrc name=src ! fakesink sync=false", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_object_set (src, "endpoint-uri", emu_url, "stream-name", "cam", "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "start-time", "1764000000",
      "end-time", "1764000019", NULL);
  r.src = src;
  t = g_thread_new ("stats", read_stats, &r);
  for (i = 0; i < 20; i++) {
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    g_usleep ((i % 4) * 20 * 1000);
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  g_atomic_int_set (&r.stop, 1);
  g_thread_join (t);
  g_print ("%u stats reads over 20 starts and stops\n", r.reads);
  fail_unless (r.reads > 20);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The property table of @file's "## Properties" section lists exactly the
 * element's own properties, with the defaults gst-inspect shows (cell
 * @default_col) and, when @range_col > 0, the numeric ranges. */
static void
check_property_table (const gchar * file, guint default_col, guint range_col)
{
  g_autofree gchar *path = g_build_filename (KVAM_TEST_SOURCE_DIR, file,
      NULL);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GObjectClass *klass = g_type_class_ref (g_type_from_name ("GstKvamSrc"));
  GObjectClass *base = g_type_class_ref (GST_TYPE_PUSH_SRC);
  g_autoptr (GHashTable) documented = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  g_autoptr (GRegex) version_re = g_regex_new ("/[0-9][0-9.]*", 0, 0, NULL);
  GParamSpec **specs;
  guint n, i;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "no %s", file);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && !g_str_equal (lines[i], "## Properties"); i++);
  fail_unless (lines[i] != NULL, "%s has no '## Properties' section", file);
  for (i++; lines[i] && !g_str_has_prefix (lines[i], "## "); i++) {
    gchar **cells;
    if (!g_str_has_prefix (lines[i], "| `"))
      continue;
    cells = g_strsplit (lines[i], "|", -1);
    if (g_strv_length (cells) <= MAX (default_col, range_col) + 1 ||
        strlen (g_strstrip (cells[1])) < 3) {
      g_strfreev (cells);
      continue;
    }
    g_strstrip (cells[default_col]);
    if (range_col)
      g_strstrip (cells[range_col]);
    cells[1][strlen (cells[1]) - 1] = '\0';
    g_hash_table_insert (documented, g_strdup (cells[1] + 1), cells);
  }

  specs = g_object_class_list_properties (klass, &n);
  for (i = 0; i < n; i++) {
    GParamSpec *p = specs[i];
    gchar **cells;
    g_autofree gchar *actual = NULL, *range = NULL;

    if (g_object_class_find_property (base, p->name))
      continue;                 /* inherited: name, blocksize, ... */
    cells = g_hash_table_lookup (documented, p->name);
    fail_unless (cells != NULL, "%s lacks property %s", file, p->name);
    if (G_IS_PARAM_SPEC_STRING (p)) {
      /* versions in a default (user-agent) are written VERSION */
      actual = g_regex_replace (version_re, G_PARAM_SPEC_STRING
          (p)->default_value ? G_PARAM_SPEC_STRING (p)->default_value :
          "NULL", -1, 0, "/VERSION", 0, NULL);
    } else if (G_IS_PARAM_SPEC_UINT (p)) {
      GParamSpecUInt *u = G_PARAM_SPEC_UINT (p);
      actual = g_strdup_printf ("%u", u->default_value);
      range = g_strdup_printf ("%u to %u", u->minimum, u->maximum);
    } else if (G_IS_PARAM_SPEC_UINT64 (p)) {
      GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64 (p);
      actual = g_strdup_printf ("%" G_GUINT64_FORMAT, u->default_value);
      range = g_strdup_printf ("%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
          u->minimum, u->maximum);
    } else if (G_IS_PARAM_SPEC_BOOLEAN (p)) {
      actual = g_strdup (G_PARAM_SPEC_BOOLEAN (p)->default_value ? "true" :
          "false");
    } else if (G_IS_PARAM_SPEC_ENUM (p)) {
      actual = g_strdup (g_enum_get_value (G_PARAM_SPEC_ENUM (p)->enum_class,
              G_PARAM_SPEC_ENUM (p)->default_value)->value_nick);
    }
    if (actual)
      fail_unless (strstr (cells[default_col], actual) != NULL,
          "%s: default of %s is '%s', the element's is '%s'", file, p->name,
          cells[default_col], actual);
    if (range && range_col)
      fail_unless (strstr (cells[range_col], range) != NULL,
          "%s: range of %s is '%s', the element's is '%s'", file, p->name,
          cells[range_col], range);
    g_hash_table_remove (documented, p->name);
  }
  if (g_hash_table_size (documented) > 0) {
    GList *extra = g_hash_table_get_keys (documented);
    fail ("%s documents '%s', which the element does not have", file,
        (gchar *) extra->data);
  }
  g_free (specs);
  g_type_class_unref (klass);
  g_type_class_unref (base);
}

/* The README's table and the reference's match the element. */
GST_START_TEST (test_readme_property_table)
{
  check_property_table ("README.md", 3, 0);
}

GST_END_TEST;

GST_START_TEST (test_reference_property_table)
{
  check_property_table ("docs/kvamsrc.md", 4, 3);
}

GST_END_TEST;

/* The AWS endpoints are checked as URLs: nothing here connects to AWS. */
GST_START_TEST (test_default_aws_endpoint_url)
{
  g_autofree gchar *us = kvam_client_default_control_uri ("us-west-2");
  g_autofree gchar *cn = kvam_client_default_control_uri ("cn-north-1");

  fail_unless_equals_string (us,
      "https://kinesisvideo.us-west-2.amazonaws.com");
  fail_unless_equals_string (cn,
      "https://kinesisvideo.cn-north-1.amazonaws.com.cn");
}

GST_END_TEST;

static gchar *
proxy_for (GProxyResolver * r, const gchar * uri)
{
  g_auto (GStrv) proxies = g_proxy_resolver_lookup (r, uri, NULL, NULL);

  return g_strdup (proxies ? proxies[0] : NULL);
}

/* Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as in the AWS
 * SDKs; looked up, never connected to. */
GST_START_TEST (test_proxy_from_environment)
{
  g_autoptr (GProxyResolver) r = NULL;
  g_autofree gchar *aws = NULL, *local = NULL, *plain = NULL;

  g_unsetenv ("HTTPS_PROXY");
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("http_proxy");
  g_setenv ("NO_PROXY", "localhost, 127.0.0.1", TRUE);
  fail_unless (kvam_environment_proxy_resolver () == NULL);

  g_setenv ("https_proxy", "http://127.0.0.1:3128", TRUE);
  g_setenv ("HTTP_PROXY", "http://127.0.0.1:3129", TRUE);
  r = kvam_environment_proxy_resolver ();
  fail_unless (r != NULL);
  aws = proxy_for (r, "https://kinesisvideo.us-west-2.amazonaws.com/");
  fail_unless_equals_string (aws, "http://127.0.0.1:3128");
  plain = proxy_for (r, "http://example.com/");
  fail_unless_equals_string (plain, "http://127.0.0.1:3129");
  local = proxy_for (r, "https://localhost:4443/");
  fail_unless_equals_string (local, "direct://");

  g_setenv ("NO_PROXY", "*", TRUE);
  fail_unless (kvam_environment_proxy_resolver () == NULL);
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_setenv ("NO_PROXY", "*", TRUE);
}

GST_END_TEST;

static Suite *
kvamsrc_suite (void)
{
  Suite *s = suite_create ("kvamsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, NULL);
  tcase_add_test (tc, test_properties_defaults_and_roundtrip);
  tcase_add_test (tc, test_invalid_settings_fail_start);
  tcase_add_test (tc, test_uri_property);
  tcase_add_test (tc, test_missing_region_is_explained);
  tcase_add_test (tc, test_missing_credentials_is_not_authorized);
  tcase_add_test (tc, test_secrets_never_logged);
  tcase_add_test (tc, test_readme_property_table);
  tcase_add_test (tc, test_reference_property_table);
  tcase_add_test (tc, test_default_aws_endpoint_url);
  tcase_add_test (tc, test_proxy_from_environment);
  tcase_add_test (tc, test_stats_while_stopping);
  return s;
}

GST_CHECK_MAIN (kvamsrc);
