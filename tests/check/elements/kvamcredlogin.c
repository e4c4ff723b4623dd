/* kvamsrc: the credential sources a program or a login provides:
 * credential_process, SSO (with token refresh); against kvs-emulator's SSO
 * portal and OIDC on 127.0.0.1 (fixture: kvamcredfixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
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
  fail_unless_equals_string (c->access_key_id,
      KVS_EMULATOR_DEFAULT_ACCESS_KEY);
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
  fail_unless (strstr (c->source, "SSO 123456789012") != NULL, "%s",
      c->source);
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
  tcase_add_test (tc, test_sso_profile);
  tcase_add_test (tc, test_sso_needs_login);
  tcase_add_test (tc, test_sso_token_refresh);
  return s;
}

GST_CHECK_MAIN (kvamcredlogin);
