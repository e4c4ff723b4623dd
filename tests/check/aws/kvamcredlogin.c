/* kvamsrc: the credential sources a program or a login provides:
 * credential_process, SSO (with token refresh); against kvs-emulator's SSO
 * portal and OIDC on 127.0.0.1 (fixture: kvamcredfixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvamcredfixture.h"
#include "kvamtestutil.h"

/* ---- credential_process -------------------------------------------------- */

static gchar *
write_script (const gchar * name, const gchar * body)
{
  gchar *path = write_file (NULL, name, body);

  g_chmod (path, 0700);
  return path;
}

GST_START_TEST (test_credential_process)
{
  g_autoptr (GDateTime) soon = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) later = g_date_time_add_hours (soon, 1);
  g_autofree gchar *expiry = g_date_time_format (later, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *json = g_strdup_printf ("{\"Version\": 1, "
      "\"AccessKeyId\": \"" KVS_EMULATOR_DEFAULT_ACCESS_KEY "\", "
      "\"SecretAccessKey\": \"" KVS_EMULATOR_DEFAULT_SECRET_KEY "\", "
      "\"SessionToken\": \"process-token\", \"Expiration\": \"%s\"}",
      expiry);
  g_autofree gchar *script_body = g_strdup_printf ("#!/bin/sh\n"
      "[ \"$1\" = \"--role\" ] && [ \"$2\" = \"two words\" ] || exit 9\n"
      "cat <<'EOF'\n%s\nEOF\n", json);
  g_autofree gchar *script = write_script ("helper", script_body);
  g_autofree gchar *conf_text = g_strdup_printf ("[profile proc]\n"
      "credential_process = %s --role \"two words\"\n"
      "[profile piped]\ncredential_process = %s --role 'two words' | cat\n",
      script, script);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);
  g_autoptr (KvamCredentialsProvider) p = chain ("proc");
  g_autoptr (KvamCredentialsProvider) piped = chain ("piped");
  g_autoptr (KvamCredentials) c = NULL, c2 = NULL;
  GError *err = NULL;

  keep_secret ("process-token");
  c = get (p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (c->access_key_id, KVS_EMULATOR_DEFAULT_ACCESS_KEY);
  fail_unless_equals_string (c->session_token, "process-token");
  fail_unless_equals_int (c->expiration, g_date_time_to_unix (later));
  fail_unless (strstr (c->source, "credential_process") != NULL);
  /* through a shell only because of the pipe */
  c2 = get (piped, &err);
  fail_unless (c2 != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (c2->session_token, "process-token");
}

GST_END_TEST;

GST_START_TEST (test_credential_process_failures)
{
  g_autofree gchar *fails = write_script ("fails", "#!/bin/sh\n"
      "echo '{\"Version\":1,\"AccessKeyId\":\"AKID\","
      "\"SecretAccessKey\":\"printed-before-failing\"}'\n"
      "echo 'first line' >&2\necho 'helper: the session has expired' >&2\n"
      "exit 3\n");
  g_autofree gchar *v2 = write_script ("v2", "#!/bin/sh\n"
      "echo '{\"Version\":2,\"AccessKeyId\":\"AKID\","
      "\"SecretAccessKey\":\"secret-of-version-2\"}'\n");
  g_autofree gchar *garbage = write_script ("garbage", "#!/bin/sh\n"
      "echo 'SecretAccessKey=not-json-secret'\n");
  g_autofree gchar *endless = write_script ("endless", "#!/bin/sh\n"
      "yes endless-secret-output\n");
  g_autofree gchar *conf_text = g_strdup_printf ("[profile fails]\n"
      "credential_process = %s\n[profile v2]\ncredential_process = %s\n"
      "[profile garbage]\ncredential_process = %s\n"
      "[profile endless]\ncredential_process = %s\n"
      "[profile absent]\ncredential_process = %s/no-such-helper\n",
      fails, v2, garbage, endless, home);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);
  gint64 t0;

  keep_secret ("printed-before-failing");
  keep_secret ("secret-of-version-2");
  keep_secret ("not-json-secret");
  keep_secret ("endless-secret-output");
  assert_profile_error ("fails", "exited with status 3: helper: the session "
      "has expired");
  assert_profile_error ("v2", "\"Version\": 1");
  assert_profile_error ("garbage", "no JSON object");
  t0 = g_get_monotonic_time ();
  assert_profile_error ("endless", "more than 64 KiB");
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);
  assert_profile_error ("absent", "could not run");
}

GST_END_TEST;

/* ---- credential_process refreshes ---------------------------------------- */

/* Keys as a credential_process prints them, expiring @in_s from now */
static gchar *
process_json (const gchar * id, gint64 in_s)
{
  g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (now_s () + in_s);
  g_autofree gchar *iso = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");

  return g_strdup_printf ("{\"Version\": 1, \"AccessKeyId\": \"%s\", "
      "\"SecretAccessKey\": \"secret-of-%s\", \"SessionToken\": "
      "\"token-of-%s\", \"Expiration\": \"%s\"}", id, id, id, iso);
}

/* A helper that counts its runs in HOME/runs: the first prints @first,
 * the later ones run @later (shell text). */
static gchar *
counting_script (const gchar * name, const gchar * first, const gchar * later)
{
  g_autofree gchar *body = g_strdup_printf ("#!/bin/sh\n"
      "n=$(cat %s/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s/runs\n"
      "if [ $n -eq 1 ]; then cat <<'EOF'\n%s\nEOF\nexit 0\nfi\n%s\n",
      home, home, first, later);

  return write_script (name, body);
}

static guint
runs (void)
{
  g_autofree gchar *path = g_build_filename (home, "runs", NULL);
  g_autofree gchar *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return atoi (text);
}

/* The pid a helper wrote to HOME/pid, waiting up to @ms for it */
static gint
wait_for_pid (guint ms)
{
  g_autofree gchar *path = g_build_filename (home, "pid", NULL);
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until) {
    g_autofree gchar *text = NULL;
    if (g_file_get_contents (path, &text, NULL, NULL) && atoi (text) > 0)
      return atoi (text);
    g_usleep (20 * 1000);
  }
  return 0;
}

/* Gone, or a zombie nobody reaped yet (a container's init may not) */
static gboolean
process_is_gone (gint pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree gchar *stat = NULL;
  const gchar *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  state = strrchr (stat, ')');
  return state && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X');
}

static gboolean
dies_within (gint pid, guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (!process_is_gone (pid) && g_get_monotonic_time () < until)
    g_usleep (10 * 1000);
  return process_is_gone (pid);
}

/* How long a get() took, in ms; its keys' AccessKeyId in @id */
static gdouble
timed_get (KvamCredentialsProvider * p, gchar ** id)
{
  gint64 t0 = g_get_monotonic_time ();
  GError *err = NULL;
  g_autoptr (KvamCredentials) c = get (p, &err);

  fail_unless (c != NULL, "%s", err ? err->message : "");
  g_free (*id);
  *id = g_strdup (c->access_key_id);
  return (g_get_monotonic_time () - t0) / 1000.0;
}

#define HANG "sleep 60 & echo $! > "    /* HOME/pid; wait */

/* Keys that expire in 302 s enter the 300 s refresh window after 2 s: the
 * refresh (here a helper that hangs, behind a pipe) runs behind the cached
 * keys, which every caller keeps getting at once; freeing the provider
 * (NULL) kills the whole group at once, the shell's children too. */
GST_START_TEST (test_credential_process_refresh_hangs)
{
  g_autofree gchar *json = process_json ("PROCKEYONE", 302);
  g_autofree gchar *hang = g_strdup_printf (HANG "%s/pid; wait", home);
  g_autofree gchar *script = counting_script ("hangs", json, hang);
  g_autofree gchar *conf_text = g_strdup_printf ("[profile hangs]\n"
      "credential_process = %s | cat\n", script);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);
  KvamCredentialsProvider *p = chain ("hangs");
  g_autofree gchar *id = NULL;
  gdouble ms, worst = 0;
  gint64 t0;
  gint pid, i;

  keep_secret ("secret-of-PROCKEYONE");
  keep_secret ("token-of-PROCKEYONE");
  timed_get (p, &id);
  fail_unless_equals_string (id, "PROCKEYONE");
  g_usleep (2300 * 1000);
  /* in the refresh window now: the refresh starts, the keys still serve */
  for (i = 0; i < 20; i++) {
    ms = timed_get (p, &id);
    worst = MAX (worst, ms);
    fail_unless_equals_string (id, "PROCKEYONE");
    g_usleep (50 * 1000);
  }
  pid = wait_for_pid (3000);
  fail_unless (pid > 0, "no refresh ran (%u runs)", runs ());
  fail_unless (worst < 300, "a get waited %.0f ms for the refresh", worst);
  fail_unless_equals_int (runs (), 2);
  t0 = g_get_monotonic_time ();
  kvam_credentials_provider_free (p);
  ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_print ("gets during the refresh: at most %.1f ms; free: %.0f ms\n", worst,
      ms);
  fail_unless (ms < 500, "freeing the provider took %.0f ms", ms);
  fail_unless (dies_within (pid, 500), "the helper's child %d outlived it",
      pid);
}

GST_END_TEST;

typedef struct
{
  KvamCredentialsProvider *provider;
  GCancellable *cancellable;
  GError *error;
  KvamCredentials *creds;
} ProcessGetter;

static gpointer
process_getter (gpointer data)
{
  ProcessGetter *g = data;

  g->creds = kvam_credentials_provider_get (g->provider, g->cancellable,
      &g->error);
  return NULL;
}

/* No keys yet: the caller waits for the helper, and its cancel (unlock())
 * kills the group and returns within 0.5 s, not at the 30 s timeout. */
GST_START_TEST (test_credential_process_cancel)
{
  g_autofree gchar *hang = g_strdup_printf ("#!/bin/sh\n" HANG "%s/pid; "
      "wait\n", home);
  g_autofree gchar *script = write_script ("hangs", hang);
  g_autofree gchar *conf_text = g_strdup_printf ("[profile hangs]\n"
      "credential_process = %s | cat\n", script);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);
  g_autoptr (KvamCredentialsProvider) p = chain ("hangs");
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  ProcessGetter g = { p, cancel, NULL, NULL };
  GThread *t = g_thread_new ("getter", process_getter, &g);
  gint pid = wait_for_pid (3000);
  gint64 t0;
  gdouble ms;

  fail_unless (pid > 0);
  t0 = g_get_monotonic_time ();
  g_cancellable_cancel (cancel);
  g_thread_join (t);
  ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_print ("cancelled a hanging credential_process in %.0f ms\n", ms);
  fail_unless (g.creds == NULL);
  fail_unless (g_error_matches (g.error, G_IO_ERROR, G_IO_ERROR_CANCELLED),
      "%s", g.error ? g.error->message : "no error");
  fail_unless (ms < 500, "cancel took %.0f ms", ms);
  fail_unless (dies_within (pid, 500), "the helper's child %d outlived it",
      pid);
  g_clear_error (&g.error);
}

GST_END_TEST;

/* A refresh that fails is retried with backoff (1 s, 2 s, 4 s ...), not on
 * every request, the cached keys serving meanwhile; once the helper works
 * again its keys are taken, long before the old ones expire. */
GST_START_TEST (test_credential_process_refresh_retried)
{
  g_autofree gchar *keys1 = process_json ("PROCKEYONE", 302);
  g_autofree gchar *keys2 = process_json ("PROCKEYTWO", 3600);
  g_autofree gchar *later = g_strdup_printf ("if [ ! -e %s/ok ]; then "
      "echo \"helper: attempt $n failed\" >&2; exit 1; fi\n"
      "cat <<'EOF'\n%s\nEOF\n", home, keys2);
  g_autofree gchar *script = counting_script ("flaky", keys1, later);
  g_autofree gchar *conf_text = g_strdup_printf ("[profile flaky]\n"
      "credential_process = %s\n", script);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);
  g_autoptr (KvamCredentialsProvider) p = chain ("flaky");
  g_autofree gchar *id = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint gets = 0, failed;

  keep_secret ("secret-of-PROCKEYONE");
  keep_secret ("secret-of-PROCKEYTWO");
  keep_secret ("token-of-PROCKEYONE");
  keep_secret ("token-of-PROCKEYTWO");
  timed_get (p, &id);
  /* the window opens at about 2 s; 4.5 s of requests after it */
  while (g_get_monotonic_time () - t0 < 6500 * G_TIME_SPAN_MILLISECOND) {
    g_usleep (50 * 1000);
    timed_get (p, &id);
    fail_unless_equals_string (id, "PROCKEYONE");
    gets++;
  }
  failed = runs () - 1;
  g_print ("%u failed refreshes for %u requests\n", failed, gets);
  fail_unless (failed >= 2 && failed <= 4, "%u refreshes in 4.5 s", failed);
  g_free (write_file (NULL, "ok", ""));
  while (g_strcmp0 (id, "PROCKEYTWO") != 0 &&
      g_get_monotonic_time () - t0 < 20 * G_USEC_PER_SEC) {
    g_usleep (50 * 1000);
    timed_get (p, &id);
  }
  g_print ("refreshed after %.1f s, %u runs\n",
      (g_get_monotonic_time () - t0) / 1e6, runs ());
  fail_unless_equals_string (id, "PROCKEYTWO");
}

GST_END_TEST;

/* Keys that expired before they were given are an error naming the
 * helper; stderr's last line reaches the error without any secret known:
 * the keys printed on stdout, the environment's session token. */
GST_START_TEST (test_credential_process_answers_checked)
{
  g_autofree gchar *old = process_json ("PROCKEYOLD", -60);
  g_autofree gchar *old_body = g_strdup_printf ("#!/bin/sh\ncat <<'EOF'\n"
      "%s\nEOF\n", old);
  g_autofree gchar *expired = write_script ("expired", old_body);
  g_autofree gchar *leaks = write_script ("leaks", "#!/bin/sh\n"
      "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDLEAKED\","
      "\"SecretAccessKey\":\"printed-then-echoed-secret\"}'\n"
      "echo \"helper failed with printed-then-echoed-secret and "
      "$AWS_SESSION_TOKEN\" >&2\nexit 2\n");
  g_autofree gchar *conf_text = g_strdup_printf ("[profile expired]\n"
      "credential_process = %s\n[profile leaks]\ncredential_process = %s\n",
      expired, leaks);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      conf_text);

  keep_secret ("secret-of-PROCKEYOLD");
  keep_secret ("token-of-PROCKEYOLD");
  keep_secret ("printed-then-echoed-secret");
  keep_secret ("environment-session-token-secret");
  /* set before any helper ran: setenv() while GLib's worker thread may be
   * reading the environment (a child just exited) can crash; the next
   * test's set-up unsets it */
  g_setenv ("AWS_SESSION_TOKEN", "environment-session-token-secret", TRUE);
  assert_profile_error ("expired", "profile expired (credential_process) "
      "gave keys that had already expired");
  assert_profile_error ("leaks", "exited with status 2: helper failed with "
      "**** and ****");
}

GST_END_TEST;

/* ---- SSO ------------------------------------------------------------------ */

static void
write_sso_cache (const gchar * key, const gchar * token, gint64 expires)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
      key, -1);
  g_autofree gchar *name = g_strdup_printf (".aws/sso/cache/%s.json", hash);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (expires);
  g_autofree gchar *at = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *json = g_strdup_printf ("{\"startUrl\": "
      "\"https://corp.awsapps.com/start\", \"region\": \"us-west-2\", "
      "\"accessToken\": \"%s\", \"expiresAt\": \"%s\"}", token, at);

  g_free (write_file (NULL, name, json));
}

#define SSO_CONFIG \
  "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n" \
  "sso_role_name = Reader\n" \
  "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n" \
  "sso_region = us-west-2\n" \
  "[profile legacy]\nsso_start_url = https://old.awsapps.com/start\n" \
  "sso_region = us-west-2\nsso_account_id = 123456789012\n" \
  "sso_role_name = Reader\n"

GST_START_TEST (test_sso_profile)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      SSO_CONFIG);
  g_autoptr (KvamCredentialsProvider) p = chain ("dev");
  g_autoptr (KvamCredentialsProvider) legacy = chain ("legacy");
  g_autoptr (KvamCredentials) c = NULL, c2 = NULL;
  GError *err = NULL;

  keep_secret ("sso-access-token");
  keep_secret ("old-sso-token");
  kvs_emulator_add_sso_token (emu, "sso-access-token");
  kvs_emulator_add_sso_token (emu, "old-sso-token");
  write_sso_cache ("corp", "sso-access-token", now_s () + 3600);
  write_sso_cache ("https://old.awsapps.com/start", "old-sso-token",
      now_s () + 3600);
  c = get (p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (c->expiration > now_s ());
  fail_unless (strstr (c->source, "SSO 123456789012") != NULL, "%s", c->source);
  assert_accepted (p);
  c2 = get (legacy, &err);
  fail_unless (c2 != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (kvs_emulator_count (emu, "GetRoleCredentials",
          NULL), 2);
}

GST_END_TEST;

/* A cache as `aws sso login` leaves it for an sso_session: with the
 * client registration and refresh token; @registered: seconds from now
 * the registration lasts. Returns its path. */
static gchar *
write_refreshable_cache (const gchar * key, const gchar * token,
    gint64 expires, const gchar * refresh, gint64 registered)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
      key, -1);
  g_autofree gchar *name = g_strdup_printf (".aws/sso/cache/%s.json", hash);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (expires);
  g_autoptr (GDateTime) reg = g_date_time_new_from_unix_utc (now_s () +
      registered);
  g_autofree gchar *at = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *reg_at = g_date_time_format (reg, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *json = g_strdup_printf ("{\"startUrl\": "
      "\"https://corp.awsapps.com/start\", \"region\": \"us-west-2\", "
      "\"accessToken\": \"%s\", \"expiresAt\": \"%s\", "
      "\"clientId\": \"client-id-1\", \"clientSecret\": \"client-secret-1\", "
      "\"registrationExpiresAt\": \"%s\", \"refreshToken\": \"%s\"}",
      token, at, reg_at, refresh);

  keep_secret (token);
  keep_secret (refresh);
  keep_secret ("client-secret-1");
  return write_file (NULL, name, json);
}

static JsonObject *
read_json_object (const gchar * path, JsonParser * parser)
{
  fail_unless (json_parser_load_from_file (parser, path, NULL));
  return json_node_get_object (json_parser_get_root (parser));
}

/* As the CLI: a token of an sso_session profile that expires within 15
 * minutes is refreshed with SSO OIDC CreateToken and written back; the
 * refresh token used is gone after it. */
GST_START_TEST (test_sso_token_refresh)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      SSO_CONFIG);
  g_autofree gchar *cache = NULL;
  g_autoptr (KvamCredentialsProvider) p = chain ("dev");
  g_autoptr (KvamCredentialsProvider) legacy = chain ("legacy");
  g_autoptr (KvamCredentials) c = NULL, c2 = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GDateTime) expires = NULL;
  JsonObject *o;
  GStatBuf st;
  GError *err = NULL;

  kvs_emulator_add_sso_refresh_token (emu, "refresh-1");
  /* the portal does not know this one: only a refreshed token works */
  cache = write_refreshable_cache ("corp", "expiring-sso-token",
      now_s () + 300, "refresh-1", 86400);
  c = get (p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (kvs_emulator_count (emu, "CreateToken", NULL), 1);
  o = read_json_object (cache, parser);
  keep_secret (json_object_get_string_member (o, "accessToken"));
  keep_secret (json_object_get_string_member (o, "refreshToken"));
  fail_unless (g_str_has_prefix (json_object_get_string_member (o,
              "accessToken"), "sso-access-"));
  fail_unless (g_str_has_prefix (json_object_get_string_member (o,
              "refreshToken"), "sso-refresh-"));
  expires = g_date_time_new_from_iso8601 (json_object_get_string_member (o,
          "expiresAt"), NULL);
  fail_unless (expires != NULL);
  fail_unless (ABS (g_date_time_to_unix (expires) - (now_s () + 3600)) < 60);
  fail_unless_equals_string (json_object_get_string_member (o, "startUrl"),
      "https://corp.awsapps.com/start");
  fail_unless (g_stat (cache, &st) == 0 && (st.st_mode & 0777) == 0600);

  /* refresh-1 was used: an expired token with it cannot be refreshed */
  g_free (write_refreshable_cache ("corp", "expired-sso-token",
          now_s () - 60, "refresh-1", 86400));
  assert_profile_error ("dev", "could not be refreshed (invalid_grant: ");
  assert_profile_error ("dev", "aws sso login --profile dev");
  /* nor once the client registration has expired (not even asked) */
  kvs_emulator_add_sso_refresh_token (emu, "refresh-2");
  g_free (write_refreshable_cache ("corp", "expired-sso-token",
          now_s () - 60, "refresh-2", -60));
  assert_profile_error ("dev", "the client registration expired");
  fail_unless_equals_int (kvs_emulator_count (emu, "CreateToken", NULL), 1);
  fail_unless_equals_int (kvs_emulator_count (emu, "CreateToken", "*"), 3);

  /* the older sso_start_url profiles are never refreshed, as in the CLI */
  kvs_emulator_add_sso_token (emu, "legacy-sso-token");
  g_free (write_refreshable_cache ("https://old.awsapps.com/start",
          "legacy-sso-token", now_s () + 300, "refresh-2", 86400));
  c2 = get (legacy, &err);
  fail_unless (c2 != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (kvs_emulator_count (emu, "CreateToken", "*"), 3);
}

GST_END_TEST;

/* sso_region becomes the portal's and OIDC's host names: one that is not
 * a host label is an error, and nothing is asked of any host. */
GST_START_TEST (test_sso_region_checked)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
      "sso_role_name = Reader\n[sso-session corp]\n"
      "sso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = x@127.0.0.1:9/#\n");

  assert_profile_error ("dev", "sso_region is not a region: "
      "'x@127.0.0.1:9/#'");
  fail_unless_equals_int (kvs_emulator_count (emu, NULL, "*"), 0);
}

GST_END_TEST;

GST_START_TEST (test_sso_needs_login)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      SSO_CONFIG);

  keep_secret ("expired-sso-token");
  keep_secret ("unknown-sso-token");
  /* never logged in */
  assert_profile_error ("dev", "aws sso login --profile dev");
  /* logged in, but the token has expired */
  write_sso_cache ("corp", "expired-sso-token", now_s () - 60);
  assert_profile_error ("dev", "expired");
  assert_profile_error ("dev", "aws sso login --profile dev");
  /* a token the portal does not know */
  write_sso_cache ("corp", "unknown-sso-token", now_s () + 3600);
  assert_profile_error ("dev", "refused the cached token (HTTP 401)");
}

GST_END_TEST;

static Suite *
kvamcredlogin_suite (void)
{
  Suite *s = suite_create ("kvamcredlogin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, kvam_cred_setup, kvam_cred_teardown);
  tcase_add_test (tc, test_credential_process);
  tcase_add_test (tc, test_credential_process_failures);
  tcase_add_test (tc, test_credential_process_refresh_hangs);
  tcase_add_test (tc, test_credential_process_cancel);
  tcase_add_test (tc, test_credential_process_refresh_retried);
  tcase_add_test (tc, test_credential_process_answers_checked);
  tcase_add_test (tc, test_sso_profile);
  tcase_add_test (tc, test_sso_needs_login);
  tcase_add_test (tc, test_sso_region_checked);
  tcase_add_test (tc, test_sso_token_refresh);
  return s;
}

GST_CHECK_MAIN (kvamcredlogin);
