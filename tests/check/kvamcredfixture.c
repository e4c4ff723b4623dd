/* kvamsrc tests: the credential chain's fixture (kvamcredchain,
 * kvamcredlogin): an empty HOME, no AWS_* variable, kvs-emulator's STS and
 * SSO portal on 127.0.0.1, the debug log checked for every secret seen
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamcredfixture.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kvamtestutil.h"

gchar *home;
KvsEmulator *emu;
gchar *url;
/* every secret a test saw; none may reach the debug log */
GPtrArray *secrets;

static const gchar *const aws_vars[] = {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
  "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
  "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
  "AWS_ENDPOINT_URL_KINESIS_VIDEO", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ENDPOINT_URL_SSO_OIDC", NULL
};

void
keep_secret (const gchar * s)
{
  if (s && *s)
    g_ptr_array_add (secrets, g_strdup (s));
}

gchar *
write_file (const gchar * env_var, const gchar * name, const gchar * contents)
{
  gchar *path = g_build_filename (home, name, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0700);
  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  if (env_var)
    g_setenv (env_var, path, TRUE);
  return path;
}

/* Every test: an empty HOME, no AWS_* variable, the emulator's STS and
 * SSO portal named by AWS_ENDPOINT_URL_STS / _SSO, all debug output
 * captured. */
void
kvam_cred_setup (void)
{
  GError *err = NULL;
  guint i;

  for (i = 0; aws_vars[i]; i++)
    g_unsetenv (aws_vars[i]);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  home = g_dir_make_tmp ("kvam-chain-XXXXXX", NULL);
  g_setenv ("HOME", home, TRUE);
  g_free (write_file ("AWS_SHARED_CREDENTIALS_FILE", "absent-credentials", ""));
  g_unlink (g_getenv ("AWS_SHARED_CREDENTIALS_FILE"));
  secrets = g_ptr_array_new_with_free_func (g_free);
  keep_secret (KVS_EMULATOR_DEFAULT_SECRET_KEY);
  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, 1764000000000);
  fail_unless (kvs_emulator_add_synthetic (emu, STREAM, 2, 1, 160, 120, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
  url = kvs_emulator_get_url (emu);
  g_setenv ("AWS_ENDPOINT_URL_STS", url, TRUE);
  g_setenv ("AWS_ENDPOINT_URL_SSO", url, TRUE);
  g_setenv ("AWS_ENDPOINT_URL_SSO_OIDC", url, TRUE);
  kvam_test_log_capture_start ();
}

void
kvam_cred_teardown (void)
{
  g_autofree gchar *log = kvam_test_log_capture_stop ();
  guint i;

  fail_unless (strstr (log, "kvamcredentials") != NULL, "the chain logged "
      "nothing");
  for (i = 0; i < secrets->len; i++)
    fail_if (strstr (log, secrets->pdata[i]), "a secret (%.4s...) reached "
        "the debug log", (gchar *) secrets->pdata[i]);
  g_ptr_array_unref (secrets);
  kvs_emulator_free (emu);
  g_clear_pointer (&url, g_free);
  kvam_test_rm_rf (home);
  g_clear_pointer (&home, g_free);
}

KvamCredentialsProvider *
chain (const gchar * profile)
{
  KvamCredentialsConfig config = { NULL, NULL, NULL, profile, 5000,
    KVS_EMULATOR_DEFAULT_REGION, NULL
  };

  return kvam_credentials_provider_new (&config);
}

/* Keys from @p, remembered as secrets; NULL and @error when none. */
KvamCredentials *
get (KvamCredentialsProvider * p, GError ** error)
{
  KvamCredentials *c = kvam_credentials_provider_get (p, NULL, error);

  if (c) {
    keep_secret (c->secret_access_key);
    keep_secret (c->session_token);
  }
  return c;
}

/* The keys @p gives open the Kinesis Video APIs: GetDataEndpoint signed
 * with them succeeds. */
void
assert_accepted (KvamCredentialsProvider * p)
{
  KvamClientConfig c = { KVS_EMULATOR_DEFAULT_REGION, url, STREAM, NULL,
    5000, 0, p, NULL, NULL, NULL, NULL
  };
  g_autoptr (KvamClient) client = kvam_client_new (&c);
  JsonBuilder *b = kvam_client_begin_body (client);
  KvamAwsError err = { 0 };
  JsonNode *root;

  json_builder_set_member_name (b, "APIName");
  json_builder_add_string_value (b, "LIST_FRAGMENTS");
  root = kvam_client_call (client, KVAM_API_GET_DATA_ENDPOINT, b, NULL, &err);
  fail_unless (root != NULL, "the emulator refused the keys: %s %s",
      GST_STR_NULL (err.type), GST_STR_NULL (err.message));
  json_node_unref (root);
  g_object_unref (b);
  kvam_aws_error_clear (&err);
}

gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
assert_profile_error (const gchar * profile, const gchar * needle)
{
  g_autoptr (KvamCredentialsProvider) p = chain (profile);
  GError *err = NULL;
  guint i;

  fail_unless (get (p, &err) == NULL, "profile %s gave keys", profile);
  fail_unless (strstr (err->message, needle) != NULL, "profile %s: '%s' not "
      "in: %s", profile, needle, err->message);
  for (i = 0; i < secrets->len; i++)
    fail_if (strstr (err->message, secrets->pdata[i]), "a secret (%.4s...) "
        "is in the error: %s", (gchar *) secrets->pdata[i], err->message);
  g_error_free (err);
}
