/* kvamsrc: the AWS default credential chain and region
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kvamcredentials.h"
#include "kvamtestutil.h"

static gchar *home;

static const gchar *const aws_vars[] = {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
  "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
  "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_METADATA_SERVICE_TIMEOUT",
  "AWS_METADATA_SERVICE_NUM_ATTEMPTS", NULL
};

/* Every test starts with an empty HOME and no AWS_* variable but
 * AWS_EC2_METADATA_DISABLED=true. */
static void
setup (void)
{
  guint i;

  for (i = 0; aws_vars[i]; i++)
    g_unsetenv (aws_vars[i]);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  home = g_dir_make_tmp ("kvam-home-XXXXXX", NULL);
  /* never read the real ~/.aws of the machine running the tests */
  {
    g_autofree gchar *none = g_build_filename (home, "absent", NULL);
    g_setenv ("AWS_SHARED_CREDENTIALS_FILE", none, TRUE);
    g_setenv ("AWS_CONFIG_FILE", none, TRUE);
  }
}

static void
teardown (void)
{
  kvam_test_rm_rf (home);
  g_clear_pointer (&home, g_free);
}

/* Writes @contents to HOME/@name and points @env_var at it. */
static gchar *
write_file (const gchar * env_var, const gchar * name, const gchar * contents)
{
  gchar *path = g_build_filename (home, name, NULL);

  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  if (env_var)
    g_setenv (env_var, path, TRUE);
  return path;
}

static KvamCredentials *
get_creds (const KvamCredentialsConfig * config, GError ** error)
{
  g_autoptr (KvamCredentialsProvider) p = kvam_credentials_provider_new
      (config);

  return kvam_credentials_provider_get (p, NULL, error);
}

static const KvamCredentialsConfig no_props =
    { NULL, NULL, NULL, NULL, 2000, NULL, NULL };

#define CREDENTIALS_FILE \
  "[default]\naws_access_key_id = FILEDEFAULT\n" \
  "aws_secret_access_key = file-default-secret\n\n" \
  "# a comment\n; another\n[work]\naws_access_key_id=FILEWORK\n" \
  "aws_secret_access_key=file-work-secret\naws_session_token = tok\n" \
  "s3 =\n  max_concurrent_requests = 10\n"

GST_START_TEST (test_properties_first)
{
  KvamCredentialsConfig config = { "PROPKEY", "prop-secret", "prop-token",
    NULL, 2000, NULL, NULL
  };
  g_autoptr (KvamCredentials) c = NULL;

  g_setenv ("AWS_ACCESS_KEY_ID", "ENVKEY", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret", TRUE);
  c = get_creds (&config, NULL);
  fail_unless_equals_string (c->access_key_id, "PROPKEY");
  fail_unless_equals_string (c->secret_access_key, "prop-secret");
  fail_unless_equals_string (c->session_token, "prop-token");
  fail_unless_equals_string (c->source, "properties");
}

GST_END_TEST;

GST_START_TEST (test_half_properties_is_an_error)
{
  KvamCredentialsConfig config =
      { "PROPKEY", NULL, NULL, NULL, 2000, NULL, NULL };
  GError *err = NULL;

  g_setenv ("AWS_ACCESS_KEY_ID", "ENVKEY", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret", TRUE);
  fail_unless (get_creds (&config, &err) == NULL);
  fail_unless (strstr (err->message, "secret-access-key") != NULL, "%s",
      err->message);
  g_error_free (err);
}

GST_END_TEST;

GST_START_TEST (test_environment_before_files)
{
  g_autoptr (KvamCredentials) c = NULL;
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      CREDENTIALS_FILE);

  g_setenv ("AWS_ACCESS_KEY_ID", "ENVKEY", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret", TRUE);
  g_setenv ("AWS_SESSION_TOKEN", "env-token", TRUE);
  c = get_creds (&no_props, NULL);
  fail_unless_equals_string (c->access_key_id, "ENVKEY");
  fail_unless_equals_string (c->session_token, "env-token");
  fail_unless_equals_string (c->source, "environment");
}

GST_END_TEST;

GST_START_TEST (test_shared_credentials_profiles)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      CREDENTIALS_FILE);
  KvamCredentialsConfig config = { NULL, NULL, NULL, "work", 2000, NULL, NULL };
  KvamCredentials *c;

  c = get_creds (&no_props, NULL);
  fail_unless_equals_string (c->access_key_id, "FILEDEFAULT");
  fail_unless (c->session_token == NULL);
  kvam_credentials_unref (c);

  g_setenv ("AWS_PROFILE", "work", TRUE);
  c = get_creds (&no_props, NULL);
  fail_unless_equals_string (c->access_key_id, "FILEWORK");
  fail_unless_equals_string (c->session_token, "tok");
  kvam_credentials_unref (c);

  /* the property beats AWS_PROFILE */
  g_setenv ("AWS_PROFILE", "default", TRUE);
  c = get_creds (&config, NULL);
  fail_unless_equals_string (c->access_key_id, "FILEWORK");
  kvam_credentials_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_config_file_profile_sections)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[default]\nregion = eu-west-1\n"
      "[profile cam]\nregion = ap-south-1\naws_access_key_id = CONFCAM\n"
      "aws_secret_access_key = conf-cam-secret\n"
      "[cam]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n");
  KvamCredentialsConfig config = { NULL, NULL, NULL, "cam", 2000, NULL, NULL };
  g_autoptr (KvamCredentials) c = get_creds (&config, NULL);
  g_autofree gchar *r1 = kvam_resolve_region (NULL, "cam", NULL);
  g_autofree gchar *r2 = kvam_resolve_region (NULL, NULL, NULL);

  /* in config, "[profile cam]" is the section of profile cam */
  fail_unless_equals_string (c->access_key_id, "CONFCAM");
  fail_unless_equals_string (r1, "ap-south-1");
  fail_unless_equals_string (r2, "eu-west-1");
}

GST_END_TEST;

GST_START_TEST (test_credentials_file_before_config)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      CREDENTIALS_FILE);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[default]\naws_access_key_id = CONFDEFAULT\n"
      "aws_secret_access_key = conf-secret\n");
  g_autoptr (KvamCredentials) c = get_creds (&no_props, NULL);

  fail_unless_equals_string (c->access_key_id, "FILEDEFAULT");
}

GST_END_TEST;

static void
assert_malformed (const gchar * contents, guint line)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "bad",
      contents);
  g_autofree gchar *where = g_strdup_printf ("%s:%u:", f, line);
  GError *err = NULL;

  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless (g_error_matches (err, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_MALFORMED));
  fail_unless (g_str_has_prefix (err->message, where), "'%s' lacks %s",
      err->message, where);
  /* the offending line may be a pasted secret: it is never quoted */
  fail_unless (strstr (err->message, "SECRETLINE") == NULL);
  g_error_free (err);
}

GST_START_TEST (test_malformed_files)
{
  assert_malformed ("[default]\naws_access_key_id = A\nSECRETLINE\n", 3);
  assert_malformed ("aws_access_key_id = A\n", 1);
  assert_malformed ("\n\n[default\nSECRETLINE=1\n", 3);
  assert_malformed ("[default]\n = SECRETLINE\n", 2);
  assert_malformed ("[]\n", 1);
}

GST_END_TEST;

GST_START_TEST (test_binary_file_is_rejected)
{
  g_autofree gchar *path = g_build_filename (home, "bin", NULL);
  static const gchar junk[] = "[default]\naws\0\xff\xfe";
  GError *err = NULL;

  fail_unless (g_file_set_contents (path, junk, sizeof (junk), NULL));
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", path, TRUE);
  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless (strstr (err->message, path) != NULL, "%s", err->message);
  g_error_free (err);
}

GST_END_TEST;

/* Files whose size lies (/proc's say 0) are capped while reading, and a
 * device or FIFO is refused on the descriptor opened, without blocking. */
GST_START_TEST (test_proc_and_device_files_are_bounded)
{
  const gchar *vars[] = { "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    NULL
  };
  const gchar *files[] = { "/proc/self/pagemap", "/dev/zero", NULL, NULL };
  g_autofree gchar *fifo = g_build_filename (home, "fifo", NULL);
  guint i, j;

  fail_unless (mkfifo (fifo, 0600) == 0);
  files[2] = fifo;
  for (i = 0; vars[i]; i++)
    for (j = 0; files[j]; j++) {
      gint64 t0 = g_get_monotonic_time ();
      GError *err = NULL;

      g_setenv (vars[i], files[j], TRUE);
      fail_unless (get_creds (&no_props, &err) == NULL);
      fail_unless (strstr (err->message, files[j]) != NULL &&
          strstr (err->message, "not a regular file of at most") != NULL,
          "%s=%s: %s", vars[i], files[j], err->message);
      fail_unless (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC);
      g_error_free (err);
      g_unsetenv (vars[i]);
    }
  g_unlink (fifo);
}

GST_END_TEST;

GST_START_TEST (test_half_profile_is_an_error)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      "[default]\naws_access_key_id = ONLYID\n");
  GError *err = NULL;

  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless (strstr (err->message, "aws_secret_access_key") != NULL);
  g_error_free (err);
}

GST_END_TEST;

GST_START_TEST (test_nothing_found)
{
  GError *err = NULL;

  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless (g_error_matches (err, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_NOT_FOUND));
  fail_unless (strstr (err->message, "AWS_EC2_METADATA_DISABLED") != NULL,
      "%s", err->message);
  g_error_free (err);
}

GST_END_TEST;

/* ---- container and IMDS against a server on 127.0.0.1 ----------------- */

typedef struct
{
  gint hits;
  gint token_puts;
  gint64 expires_in;            /* seconds from now in the JSON */
  gchar *last_authorization;
  gchar *last_imds_token;
} Fake;

static gchar *
creds_json (Fake * fake, const gchar * id)
{
  g_autoptr (GDateTime) exp = g_date_time_new_from_unix_utc
      (g_get_real_time () / G_USEC_PER_SEC + fake->expires_in);
  g_autofree gchar *iso = g_date_time_format_iso8601 (exp);

  return g_strdup_printf ("{\"Code\":\"Success\",\"AccessKeyId\":\"%s%d\","
      "\"SecretAccessKey\":\"temp-secret\",\"Token\":\"temp-token\","
      "\"Expiration\":\"%s\"}", id, g_atomic_int_get (&fake->hits), iso);
}

static void
respond (SoupServerMessage * msg, guint status, gchar * body)
{
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
  soup_server_message_set_status (msg, status, NULL);
}

static void
container_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  Fake *fake = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  g_atomic_int_inc (&fake->hits);
  g_free (fake->last_authorization);
  fake->last_authorization = g_strdup (soup_message_headers_get_one (h,
          "Authorization"));
  respond (msg, 200, creds_json (fake, "CONTAINER"));
}

static void
imds_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  Fake *fake = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *token = soup_message_headers_get_one (h,
      "X-aws-ec2-metadata-token");

  if (g_str_equal (path, "/latest/api/token")) {
    fail_unless_equals_string (soup_server_message_get_method (msg), "PUT");
    fail_unless (soup_message_headers_get_one (h,
            "X-aws-ec2-metadata-token-ttl-seconds") != NULL);
    g_atomic_int_inc (&fake->token_puts);
    respond (msg, 200, g_strdup ("imds-session-token"));
    return;
  }
  if (g_strcmp0 (token, "imds-session-token") != 0) {
    respond (msg, 401, g_strdup (""));
    return;
  }
  if (g_str_equal (path, "/latest/meta-data/iam/security-credentials/")) {
    respond (msg, 200, g_strdup ("my-role\n"));
  } else if (g_str_equal (path,
          "/latest/meta-data/iam/security-credentials/my-role")) {
    g_atomic_int_inc (&fake->hits);
    respond (msg, 200, creds_json (fake, "IMDS"));
  } else {
    respond (msg, 404, g_strdup (""));
  }
}

GST_START_TEST (test_container_credentials)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *url = NULL;
  g_autoptr (KvamCredentials) c = NULL;

  kvam_test_server_add_handler (server, "/creds", container_handler, &fake);
  url = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth", TRUE);

  c = get_creds (&no_props, NULL);
  fail_unless (c != NULL);
  fail_unless_equals_string (c->access_key_id, "CONTAINER1");
  fail_unless_equals_string (c->session_token, "temp-token");
  fail_unless_equals_string (fake.last_authorization, "container-auth");
  fail_unless (ABS (c->expiration - (g_get_real_time () / G_USEC_PER_SEC +
              3600)) < 5);

  kvam_test_server_free (server);
  g_free (fake.last_authorization);
}

GST_END_TEST;

static void
endless_credentials (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  static const gchar head[] = "{\"AccessKeyId\":\"";
  static guint8 chunk[4096];

  memset (chunk, 'A', sizeof (chunk));
  kvam_test_trickle (msg, "application/json", (const guint8 *) head,
      strlen (head), chunk, sizeof (chunk), 1, 1000000);
}

static void
trickled_credentials (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  kvam_test_trickle (msg, "application/json", NULL, 0,
      (const guint8 *) " ", 1, 300, 100000);
}

/* A credentials endpoint that never stops sending, or sends a byte every
 * 300 ms, fails the fetch within the size cap and the timeout (an endless
 * body reached 6 GB in 12 s; a trickle blocked start() for good). */
GST_START_TEST (test_container_body_bounded)
{
  KvamTestServer *server = kvam_test_server_new ();
  g_autofree gchar *url = NULL;
  GError *err = NULL;
  gint64 t0;

  kvam_test_server_add_handler (server, "/endless", endless_credentials, NULL);
  kvam_test_server_add_handler (server, "/trickle", trickled_credentials, NULL);
  url = kvam_test_server_url (server, "/endless");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  fail_if (get_creds (&no_props, &err));
  fail_unless (strstr (err->message, "longer than 65536 bytes"), "%s",
      err->message);
  g_clear_error (&err);

  g_free (url);
  url = kvam_test_server_url (server, "/trickle");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  t0 = g_get_monotonic_time ();
  fail_if (get_creds (&no_props, &err));
  fail_unless (strstr (err->message, "did not arrive in time"), "%s",
      err->message);
  /* 2 s of timeout, the last read's 300 ms, room for a busy machine: the
   * body would take 8 hours */
  fail_unless (g_get_monotonic_time () - t0 < 6 * G_USEC_PER_SEC);
  g_clear_error (&err);
  kvam_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_container_token_file)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *url = NULL;
  g_autofree gchar *tf = write_file ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
      "token", "from-file\n");
  g_autoptr (KvamCredentials) c = NULL;

  kvam_test_server_add_handler (server, "/creds", container_handler, &fake);
  url = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored", TRUE);
  c = get_creds (&no_props, NULL);
  fail_unless (c != NULL);
  fail_unless_equals_string (fake.last_authorization, "from-file");

  kvam_test_server_free (server);
  g_free (fake.last_authorization);
}

GST_END_TEST;

/* TRUE once @fake was asked @n times and the provider took the answer */
static gboolean
wait_for_hits (Fake * fake, gint n)
{
  gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&fake->hits) < n && g_get_monotonic_time () < until)
    g_usleep (10 * 1000);
  g_usleep (100 * 1000);
  return g_atomic_int_get (&fake->hits) >= n;
}

GST_START_TEST (test_temporary_credentials_refresh)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *url = NULL;
  g_autoptr (KvamCredentialsProvider) p = NULL;
  KvamCredentials *c;

  kvam_test_server_add_handler (server, "/creds", container_handler, &fake);
  url = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  p = kvam_credentials_provider_new (&no_props);

  /* an hour left: the second call is served from the cache */
  c = kvam_credentials_provider_get (p, NULL, NULL);
  kvam_credentials_unref (c);
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "CONTAINER1");
  fail_unless_equals_int (g_atomic_int_get (&fake.hits), 1);
  kvam_credentials_unref (c);

  /* inside the refresh window: fetched again behind the keys, which serve
   * meanwhile, before they expire */
  kvam_credentials_provider_set_refresh_window (p, 7200);
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "CONTAINER1");
  kvam_credentials_unref (c);
  fail_unless (wait_for_hits (&fake, 2));
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "CONTAINER2");
  fail_unless_equals_int (g_atomic_int_get (&fake.hits), 2);
  kvam_credentials_unref (c);

  /* after ExpiredTokenException the caller invalidates */
  kvam_credentials_provider_set_refresh_window (p, 300);
  kvam_credentials_provider_invalidate (p);
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "CONTAINER3");
  kvam_credentials_unref (c);

  kvam_test_server_free (server);
  g_free (fake.last_authorization);
}

GST_END_TEST;

static void
slow_container_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  g_usleep (1500 * G_TIME_SPAN_MILLISECOND);
  container_handler (server, msg, path, query, data);
}

typedef struct
{
  KvamCredentialsProvider *provider;
  GCancellable *cancellable;
  KvamCredentials *creds;
  GError *error;
  gint64 elapsed_us;
} Getter;

static gpointer
getter_thread (gpointer data)
{
  Getter *g = data;
  gint64 t0 = g_get_monotonic_time ();

  g->creds = kvam_credentials_provider_get (g->provider, g->cancellable,
      &g->error);
  g->elapsed_us = g_get_monotonic_time () - t0;
  return NULL;
}

/* While one thread fetches, others wait for its keys instead of fetching
 * again, and a waiter whose cancellable fires (unlock()) returns at once. */
GST_START_TEST (test_concurrent_fetch_waits_and_cancels)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *url = NULL;
  g_autoptr (KvamCredentialsProvider) p = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Getter fetcher = { 0 }, waiter = { 0 }, cancelled = { 0 };
  GThread *t1, *t2, *t3;

  kvam_test_server_add_handler (server, "/creds", slow_container_handler,
      &fake);
  url = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  p = kvam_credentials_provider_new (&no_props);
  fetcher.provider = waiter.provider = cancelled.provider = p;
  cancelled.cancellable = cancel;

  t1 = g_thread_new ("fetcher", getter_thread, &fetcher);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  t2 = g_thread_new ("waiter", getter_thread, &waiter);
  t3 = g_thread_new ("cancelled", getter_thread, &cancelled);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  g_cancellable_cancel (cancel);
  g_thread_join (t3);
  fail_unless (cancelled.creds == NULL);
  fail_unless (g_error_matches (cancelled.error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED));
  /* cancelled 200 ms in; the fetch it waited on takes 1500 ms */
  fail_unless (cancelled.elapsed_us < 700 * G_TIME_SPAN_MILLISECOND,
      "cancelled waiter returned after %" G_GINT64_FORMAT " us",
      cancelled.elapsed_us);

  g_thread_join (t1);
  g_thread_join (t2);
  fail_unless_equals_string (fetcher.creds->access_key_id, "CONTAINER1");
  fail_unless_equals_string (waiter.creds->access_key_id, "CONTAINER1");
  fail_unless_equals_int (g_atomic_int_get (&fake.hits), 1);

  kvam_credentials_unref (fetcher.creds);
  kvam_credentials_unref (waiter.creds);
  g_clear_error (&cancelled.error);
  kvam_test_server_free (server);
  g_free (fake.last_authorization);
}

GST_END_TEST;

/* Keys from a profile are read again when the file is replaced. */
GST_START_TEST (test_profile_file_rotation)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      CREDENTIALS_FILE);
  g_autoptr (KvamCredentialsProvider) p =
      kvam_credentials_provider_new (&no_props);
  g_autofree gchar *tmp = g_strconcat (f, ".new", NULL);
  KvamCredentials *c;

  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "FILEDEFAULT");
  kvam_credentials_unref (c);
  fail_unless (g_file_set_contents (tmp, "[default]\naws_access_key_id = "
          "ROTATED\naws_secret_access_key = new-secret\n", -1, NULL));
  fail_unless (g_rename (tmp, f) == 0);
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "ROTATED");
  kvam_credentials_unref (c);
}

GST_END_TEST;

/* Keys that expire in seconds are in their refresh window from the start:
 * refreshed at most once per minimum interval, not on every request; keys
 * that expired before they were given are an error naming the source. */
GST_START_TEST (test_short_lived_keys_bounded)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 20, NULL, NULL };
  g_autofree gchar *curl = NULL;
  g_autoptr (KvamCredentialsProvider) p = NULL, expired = NULL;
  GError *err = NULL;
  KvamCredentials *c;
  guint i;

  kvam_test_server_add_handler (server, "/creds", container_handler, &fake);
  curl = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", curl, TRUE);
  p = kvam_credentials_provider_new (&no_props);
  for (i = 0; i < 100; i++) {
    c = kvam_credentials_provider_get (p, NULL, &err);
    fail_unless (c != NULL, "%s", err ? err->message : "");
    kvam_credentials_unref (c);
    g_usleep (10 * 1000);
  }
  g_print ("100 requests with keys of 20 s: %d fetches\n",
      g_atomic_int_get (&fake.hits));
  fail_unless_equals_int (g_atomic_int_get (&fake.hits), 1);

  fake.expires_in = -30;
  expired = kvam_credentials_provider_new (&no_props);
  fail_unless (kvam_credentials_provider_get (expired, NULL, &err) == NULL);
  fail_unless (strstr (err->message, "container credentials") != NULL &&
      strstr (err->message, "already expired") != NULL, "%s", err->message);
  g_clear_error (&err);
  kvam_test_server_free (server);
  g_free (fake.last_authorization);
}

GST_END_TEST;

static guint
count (const gchar * text, const gchar * needle)
{
  guint n = 0;

  for (text = strstr (text, needle); text; text = strstr (text + 1, needle))
    n++;
  return n;
}

/* A shared file that changes into something unreadable (a typo in another
 * profile, the file moved away for a moment) keeps the keys read before,
 * with one warning; a good change is taken at once. */
GST_START_TEST (test_file_reload_failure_keeps_keys)
{
  g_autofree gchar *f = write_file ("AWS_SHARED_CREDENTIALS_FILE", "creds",
      CREDENTIALS_FILE);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[profile other]\nregion = us-west-2\n");
  g_autofree gchar *away = g_strconcat (f, ".away", NULL);
  g_autoptr (KvamCredentialsProvider) p =
      kvam_credentials_provider_new (&no_props);
  g_autofree gchar *log = NULL;
  GError *err = NULL;
  KvamCredentials *c;
  guint i;

  c = kvam_credentials_provider_get (p, NULL, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  kvam_credentials_unref (c);

  kvam_test_log_capture_start ();
  g_usleep (1100 * 1000);       /* a new mtime */
  fail_unless (g_file_set_contents (conf, "[profile other\nregion = x\n", -1,
          NULL));
  for (i = 0; i < 3; i++) {
    c = kvam_credentials_provider_get (p, NULL, &err);
    fail_unless (c != NULL, "a typo in the config lost the keys: %s",
        err ? err->message : "");
    fail_unless_equals_string (c->access_key_id, "FILEDEFAULT");
    kvam_credentials_unref (c);
  }
  log = kvam_test_log_capture_stop ();
  fail_unless_equals_int (count (log, "could not be read"), 1);

  fail_unless (g_file_set_contents (conf, "[profile other]\n", -1, NULL));
  fail_unless (g_rename (f, away) == 0);
  c = kvam_credentials_provider_get (p, NULL, &err);
  fail_unless (c != NULL, "a moved credentials file lost the keys: %s",
      err ? err->message : "");
  fail_unless_equals_string (c->access_key_id, "FILEDEFAULT");
  kvam_credentials_unref (c);
  fail_unless (g_rename (away, f) == 0);

  fail_unless (g_file_set_contents (away, "[default]\naws_access_key_id = "
          "ROTATED\naws_secret_access_key = new-secret\n", -1, NULL));
  fail_unless (g_rename (away, f) == 0);
  c = kvam_credentials_provider_get (p, NULL, NULL);
  fail_unless_equals_string (c->access_key_id, "ROTATED");
  kvam_credentials_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_container_uri_rules)
{
  GError *err = NULL;
  g_autofree gchar *rel = NULL;

  /* checked as a URL: nothing connects to 169.254.170.2 in tests */
  g_setenv ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc",
      TRUE);
  rel = kvam_container_credentials_uri (NULL);
  fail_unless_equals_string (rel, "http://169.254.170.2/v2/credentials/abc");
  g_unsetenv ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds",
      TRUE);
  fail_unless (kvam_container_credentials_uri (&err) == NULL);
  fail_unless (strstr (err->message, "example.com") != NULL);
  g_clear_error (&err);

  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "not a url", TRUE);
  fail_unless (kvam_container_credentials_uri (&err) == NULL);
  g_clear_error (&err);
}

GST_END_TEST;

static void
garbage_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  respond (msg, 200, g_strdup (data));
}

GST_START_TEST (test_container_bad_json)
{
  KvamTestServer *server = kvam_test_server_new ();
  g_autofree gchar *url = NULL;
  GError *err = NULL;

  /* cut short; empty or blanks only (json-glib got no root: a GLib
   * critical, found by fuzz_json); a value with more after it; an object or
   * an array where a string belongs (json-glib's getters raised a
   * critical) */
  static const gchar *const bodies[] = { "{\"AccessKeyId\": 12", "",
    " \n\t ",
    "1{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}",
    "{\"AccessKeyId\":{\"a\":1},\"SecretAccessKey\":\"s\"}",
    "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":[\"s\"]}"
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autofree gchar *path = g_strdup_printf ("/creds%u", i);
    kvam_test_server_add_handler (server, path, garbage_handler,
        (gpointer) bodies[i]);
    g_free (url);
    url = kvam_test_server_url (server, path);
    g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
    fail_unless (get_creds (&no_props, &err) == NULL);
    fail_unless (g_error_matches (err, KVAM_CREDENTIALS_ERROR,
            KVAM_CREDENTIALS_ERROR_MALFORMED), "%s", err->message);
    g_clear_error (&err);
  }
  kvam_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_container_http_error)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *url = NULL;
  GError *err = NULL;

  kvam_test_server_add_handler (server, "/creds", imds_handler, &fake);
  /* imds_handler answers 401 to a request without the IMDS token */
  url = kvam_test_server_url (server, "/creds");
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless (strstr (err->message, "401") != NULL, "%s", err->message);
  g_clear_error (&err);
  kvam_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_imds_v2)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *base = NULL;
  g_autoptr (KvamCredentials) c = NULL;

  kvam_test_server_add_handler (server, "/latest", imds_handler, &fake);
  base = kvam_test_server_url (server, "");
  g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", base, TRUE);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "false", TRUE);

  c = get_creds (&no_props, NULL);
  fail_unless (c != NULL);
  fail_unless_equals_string (c->access_key_id, "IMDS1");
  fail_unless_equals_string (c->session_token, "temp-token");
  fail_unless (c->expiration > 0);
  fail_unless_equals_int (fake.token_puts, 1);

  kvam_test_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_imds_disabled)
{
  KvamTestServer *server = kvam_test_server_new ();
  Fake fake = { 0, 0, 3600, NULL, NULL };
  g_autofree gchar *base = NULL;
  GError *err = NULL;

  kvam_test_server_add_handler (server, "/latest", imds_handler, &fake);
  base = kvam_test_server_url (server, "");
  g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", base, TRUE);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "TRUE", TRUE);

  fail_unless (get_creds (&no_props, &err) == NULL);
  fail_unless_equals_int (fake.token_puts, 0);
  g_clear_error (&err);
  kvam_test_server_free (server);
}

GST_END_TEST;

/* A socket on 127.0.0.1 that takes connections (the kernel's backlog) and
 * never answers, or with @listen FALSE one that refuses them; its URL. */
static gchar *
dead_endpoint (gboolean listen, GSocket ** out)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);

  fail_unless (g_socket_bind (sock, any, TRUE, NULL));
  if (listen)
    fail_unless (g_socket_listen (sock, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  *out = sock;
  return g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port
      (G_INET_SOCKET_ADDRESS (bound)));
}

/* Off EC2, with IMDS not disabled: the "no credentials" error, naming
 * every source looked at and that instance metadata did not answer, within
 * about the SDKs' 1 s, not a socket error after request-timeout. */
GST_START_TEST (test_imds_unreachable_is_no_credentials)
{
  gboolean listens[] = { FALSE, TRUE };
  guint i;

  g_unsetenv ("AWS_EC2_METADATA_DISABLED");
  for (i = 0; i < G_N_ELEMENTS (listens); i++) {
    g_autoptr (GSocket) sock = NULL;
    g_autofree gchar *url = dead_endpoint (listens[i], &sock);
    KvamCredentialsConfig config = no_props;
    g_autoptr (KvamCredentialsProvider) p = NULL;
    GError *err = NULL;
    gint64 t0 = g_get_monotonic_time ();
    gdouble s;

    /* a request-timeout of 15 s: IMDS keeps to its own */
    config.timeout_ms = 15000;
    g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, TRUE);
    p = kvam_credentials_provider_new (&config);
    fail_if (kvam_credentials_provider_get (p, NULL, &err));
    s = (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC;
    fail_unless (err != NULL);
    GST_INFO ("%s after %.2f s: %s", listens[i] ? "silent" : "refused", s,
        err->message);
    fail_unless (g_error_matches (err, KVAM_CREDENTIALS_ERROR,
            KVAM_CREDENTIALS_ERROR_NOT_FOUND), "%s", err->message);
    fail_unless (strstr (err->message, "no AWS credentials found"), "%s",
        err->message);
    fail_unless (strstr (err->message, url) && strstr (err->message,
            "is unreachable"), "%s", err->message);
    /* the other sources are named too */
    fail_unless (strstr (err->message, "AWS_ACCESS_KEY_ID") &&
        strstr (err->message, "container credentials"), "%s", err->message);
    fail_unless (s < 4.0, "gave up after %.1f s", s);
    g_clear_error (&err);
  }
}

GST_END_TEST;

/* AWS_METADATA_SERVICE_TIMEOUT / _NUM_ATTEMPTS are the SDKs' settings:
 * 2 attempts of 1 s at a silent endpoint take about 2 s. */
GST_START_TEST (test_imds_attempts_setting)
{
  g_autoptr (GSocket) sock = NULL;
  g_autofree gchar *url = dead_endpoint (TRUE, &sock);
  g_autoptr (KvamCredentialsProvider) p = NULL;
  GError *err = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gdouble s;

  g_unsetenv ("AWS_EC2_METADATA_DISABLED");
  g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, TRUE);
  g_setenv ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2", TRUE);
  g_setenv ("AWS_METADATA_SERVICE_TIMEOUT", "1", TRUE);
  p = kvam_credentials_provider_new (&no_props);
  fail_if (kvam_credentials_provider_get (p, NULL, &err));
  s = (g_get_monotonic_time () - t0) / (gdouble) G_USEC_PER_SEC;
  fail_unless (err && strstr (err->message, "2 attempts of 1 s"), "%s",
      err ? err->message : "no error");
  fail_unless (s >= 1.9 && s < 6.0, "%.1f s", s);
  g_clear_error (&err);
}

GST_END_TEST;

/* A region from any source becomes part of host names: one that is not a
 * host label ("x@127.0.0.1:PORT/#" would send signed requests to that
 * host) is an error naming where it came from. */
GST_START_TEST (test_regions_must_be_host_labels)
{
  const gchar *bad[] = { "x@127.0.0.1:4566/#", "us-west-2.evil.example",
    "-us-west-2", "us west 2", "us-west-2/", NULL
  };
  guint i;

  for (i = 0; bad[i]; i++) {
    g_autofree gchar *text = g_strdup_printf ("[default]\nregion = %s\n",
        bad[i]);
    g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config", text);
    GError *err = NULL;

    fail_unless (kvam_resolve_region (NULL, NULL, &err) == NULL, "%s", bad[i]);
    fail_unless (strstr (err->message, "'region' of profile 'default' is not "
            "a region") != NULL, "%s", err->message);
    g_clear_error (&err);
    g_setenv ("AWS_DEFAULT_REGION", bad[i], TRUE);
    fail_unless (kvam_resolve_region (NULL, NULL, &err) == NULL, "%s", bad[i]);
    fail_unless (strstr (err->message, "AWS_DEFAULT_REGION is not a region")
        != NULL, "%s", err->message);
    g_clear_error (&err);
    g_setenv ("AWS_REGION", bad[i], TRUE);
    fail_unless (kvam_resolve_region (NULL, NULL, &err) == NULL, "%s", bad[i]);
    fail_unless (strstr (err->message, "AWS_REGION is not a region") != NULL,
        "%s", err->message);
    g_clear_error (&err);
    g_unsetenv ("AWS_REGION");
    g_unsetenv ("AWS_DEFAULT_REGION");
  }
}

GST_END_TEST;

GST_START_TEST (test_region_precedence)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[default]\nregion = eu-west-1\n");
  GError *err = NULL;
  gchar *r;

  r = kvam_resolve_region (NULL, NULL, NULL);
  fail_unless_equals_string (r, "eu-west-1");
  g_free (r);
  g_setenv ("AWS_DEFAULT_REGION", "us-east-2", TRUE);
  r = kvam_resolve_region (NULL, NULL, NULL);
  fail_unless_equals_string (r, "us-east-2");
  g_free (r);
  g_setenv ("AWS_REGION", "us-west-1", TRUE);
  r = kvam_resolve_region (NULL, NULL, NULL);
  fail_unless_equals_string (r, "us-west-1");
  g_free (r);
  r = kvam_resolve_region ("ca-central-1", NULL, NULL);
  fail_unless_equals_string (r, "ca-central-1");
  g_free (r);

  g_unsetenv ("AWS_REGION");
  g_unsetenv ("AWS_DEFAULT_REGION");
  g_unsetenv ("AWS_CONFIG_FILE");
  g_setenv ("AWS_CONFIG_FILE", "/nonexistent/kvam/config", TRUE);
  fail_unless (kvam_resolve_region (NULL, NULL, &err) == NULL);
  fail_unless (g_error_matches (err, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_NO_REGION));
  fail_unless (strstr (err->message, "AWS_REGION") != NULL);
  g_error_free (err);
}

GST_END_TEST;

static Suite *
kvamcredentials_suite (void)
{
  Suite *s = suite_create ("kvamcredentials");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_properties_first);
  tcase_add_test (tc, test_half_properties_is_an_error);
  tcase_add_test (tc, test_environment_before_files);
  tcase_add_test (tc, test_shared_credentials_profiles);
  tcase_add_test (tc, test_config_file_profile_sections);
  tcase_add_test (tc, test_credentials_file_before_config);
  tcase_add_test (tc, test_malformed_files);
  tcase_add_test (tc, test_binary_file_is_rejected);
  tcase_add_test (tc, test_proc_and_device_files_are_bounded);
  tcase_add_test (tc, test_half_profile_is_an_error);
  tcase_add_test (tc, test_nothing_found);
  tcase_add_test (tc, test_container_credentials);
  tcase_add_test (tc, test_container_body_bounded);
  tcase_add_test (tc, test_container_token_file);
  tcase_add_test (tc, test_temporary_credentials_refresh);
  tcase_add_test (tc, test_concurrent_fetch_waits_and_cancels);
  tcase_add_test (tc, test_container_uri_rules);
  tcase_add_test (tc, test_profile_file_rotation);
  tcase_add_test (tc, test_short_lived_keys_bounded);
  tcase_add_test (tc, test_file_reload_failure_keeps_keys);
  tcase_add_test (tc, test_container_bad_json);
  tcase_add_test (tc, test_container_http_error);
  tcase_add_test (tc, test_imds_v2);
  tcase_add_test (tc, test_imds_disabled);
  tcase_add_test (tc, test_imds_unreachable_is_no_credentials);
  tcase_add_test (tc, test_imds_attempts_setting);
  tcase_add_test (tc, test_region_precedence);
  tcase_add_test (tc, test_regions_must_be_host_labels);
  return s;
}

GST_CHECK_MAIN (kvamcredentials);
