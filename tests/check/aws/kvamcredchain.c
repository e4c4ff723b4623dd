/* kvamsrc: the credential sources that need STS: web identity,
 * assume-role profiles, a hostile STS, configured endpoints; against
 * kvs-emulator's STS on 127.0.0.1 (fixture: kvamcredfixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "kvamcredfixture.h"
#include "kvamtestutil.h"

/* ---- web identity (EKS IRSA) --------------------------------------------- */

GST_START_TEST (test_web_identity_environment)
{
  g_autofree gchar *file = write_file ("AWS_WEB_IDENTITY_TOKEN_FILE",
      "token", "eyJhbGciOi.first-token.sig\n");
  g_autoptr (KvamCredentialsProvider) p = NULL;
  g_autoptr (KvamCredentials) c = NULL;
  g_autofree gchar *token = NULL, *session = NULL, *action = NULL;
  GError *err = NULL;

  keep_secret ("eyJhbGciOi.first-token.sig");
  g_setenv ("AWS_ROLE_ARN", ROLE, TRUE);
  g_setenv ("AWS_ROLE_SESSION_NAME", "pod-7", TRUE);
  p = chain (NULL);
  c = get (p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (g_str_has_prefix (c->access_key_id, "ASIA"));
  fail_unless (c->session_token != NULL);
  fail_unless (c->expiration > now_s () + 3000, "expires %" G_GINT64_FORMAT,
      c->expiration);
  fail_unless (strstr (c->source, "web identity") != NULL, "%s", c->source);
  action = kvs_emulator_get_last_sts_param (emu, "Action");
  token = kvs_emulator_get_last_sts_param (emu, "WebIdentityToken");
  session = kvs_emulator_get_last_sts_param (emu, "RoleSessionName");
  fail_unless_equals_string (action, "AssumeRoleWithWebIdentity");
  /* the file's line, trimmed */
  fail_unless_equals_string (token, "eyJhbGciOi.first-token.sig");
  fail_unless_equals_string (session, "pod-7");
  assert_accepted (p);
}

GST_END_TEST;

/* Kubernetes rotates the token file: every refresh reads it again; keys
 * are fetched again before they expire, and expired ones are refused by
 * the service. */
GST_START_TEST (test_web_identity_refresh_rereads_token)
{
  g_autofree gchar *file = write_file ("AWS_WEB_IDENTITY_TOKEN_FILE",
      "token", "token-one");
  g_autoptr (KvamCredentialsProvider) p = NULL;
  g_autoptr (KvamCredentials) a = NULL, b = NULL;
  g_autofree gchar *token = NULL;
  GError *err = NULL;

  g_setenv ("AWS_ROLE_ARN", ROLE, TRUE);
  keep_secret ("token-one");
  keep_secret ("token-two");
  /* keys of 4 s (their expiry in whole seconds: 3 to 4 s away), refreshed
   * within 2 s of it: with 3 s keys an issue late in a second left barely
   * 2 s, and the first call already refreshed them */
  kvs_emulator_set_sts_duration (emu, 4);
  p = chain (NULL);
  kvam_credentials_provider_set_refresh_window (p, 2);
  a = get (p, &err);
  fail_unless (a != NULL, "%s", err ? err->message : "");
  fail_unless (a->expiration <= now_s () + 4);
  assert_accepted (p);
  fail_unless_equals_int (kvs_emulator_count (emu,
          "AssumeRoleWithWebIdentity", NULL), 1);

  fail_unless (g_file_set_contents (file, "token-two", -1, NULL));
  g_usleep (2200 * 1000);       /* inside the refresh window */
  /* the keys still serve while the refresh runs behind them */
  b = get (p, &err);
  fail_unless (b != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (a->access_key_id, b->access_key_id);
  g_clear_pointer (&b, kvam_credentials_unref);
  {
    gint64 until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    while (kvs_emulator_count (emu, "AssumeRoleWithWebIdentity", NULL) < 2
        && g_get_monotonic_time () < until)
      g_usleep (10 * 1000);
    g_usleep (100 * 1000);
  }
  b = get (p, &err);
  fail_unless (b != NULL, "%s", err ? err->message : "");
  fail_if (g_str_equal (a->access_key_id, b->access_key_id));
  token = kvs_emulator_get_last_sts_param (emu, "WebIdentityToken");
  fail_unless_equals_string (token, "token-two");
  fail_unless_equals_int (kvs_emulator_count (emu,
          "AssumeRoleWithWebIdentity", NULL), 2);
  assert_accepted (p);

  /* the first keys have expired: the service says so */
  g_usleep (2200 * 1000);
  {
    g_autoptr (KvamCredentials) old = kvam_credentials_new (a->access_key_id,
        a->secret_access_key, a->session_token, 0, "old");
    KvamCredentialsConfig fixed = { a->access_key_id, a->secret_access_key,
      a->session_token, NULL, 5000, NULL, NULL
    };
    g_autoptr (KvamCredentialsProvider) stale =
        kvam_credentials_provider_new (&fixed);
    KvamClientConfig cc = { KVS_EMULATOR_DEFAULT_REGION, url, STREAM, NULL,
      5000, 0, stale, NULL, NULL, NULL, NULL
    };
    g_autoptr (KvamClient) client = kvam_client_new (&cc);
    JsonBuilder *jb = kvam_client_begin_body (client);
    KvamAwsError e = { 0 };

    json_builder_set_member_name (jb, "APIName");
    json_builder_add_string_value (jb, "LIST_FRAGMENTS");
    fail_unless (kvam_client_call (client, KVAM_API_GET_DATA_ENDPOINT, jb,
            NULL, &e) == NULL);
    fail_unless_equals_string (e.type, "ExpiredTokenException");
    kvam_aws_error_clear (&e);
    g_object_unref (jb);
    (void) old;
  }
}

GST_END_TEST;

GST_START_TEST (test_web_identity_errors)
{
  g_autoptr (KvamCredentialsProvider) p = NULL;
  g_autofree gchar *file = NULL;
  KvamCredentials *c;
  GError *err = NULL;

  /* a token the identity provider does not know */
  kvs_emulator_add_web_identity_token (emu, "the-good-token");
  file = write_file ("AWS_WEB_IDENTITY_TOKEN_FILE", "token", "a-forged-token");
  keep_secret ("a-forged-token");
  keep_secret ("the-good-token");
  g_setenv ("AWS_ROLE_ARN", ROLE, TRUE);
  p = chain (NULL);
  c = get (p, &err);
  fail_unless (c == NULL);
  fail_unless (strstr (err->message, "InvalidIdentityToken") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, ROLE) != NULL, "%s", err->message);
  fail_if (strstr (err->message, "a-forged-token"));
  g_clear_error (&err);
  kvam_credentials_provider_free (g_steal_pointer (&p));

  /* the file is gone */
  g_unlink (file);
  p = chain (NULL);
  fail_unless (get (p, &err) == NULL);
  fail_unless (strstr (err->message, file) != NULL, "%s", err->message);
  g_clear_error (&err);
  kvam_credentials_provider_free (g_steal_pointer (&p));

  /* a device instead of a file: refused, not read forever */
  g_setenv ("AWS_WEB_IDENTITY_TOKEN_FILE", "/dev/zero", TRUE);
  p = chain (NULL);
  fail_unless (get (p, &err) == NULL);
  fail_unless (strstr (err->message, "not a regular file") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  kvam_credentials_provider_free (g_steal_pointer (&p));

  /* a token file without a role */
  g_unsetenv ("AWS_ROLE_ARN");
  p = chain (NULL);
  fail_unless (get (p, &err) == NULL);
  fail_unless (strstr (err->message, "AWS_ROLE_ARN") != NULL, "%s",
      err->message);
  g_clear_error (&err);
}

GST_END_TEST;

/* ---- assume-role profiles ------------------------------------------------ */

#define BASE_PROFILE \
  "[profile base]\naws_access_key_id = " KVS_EMULATOR_DEFAULT_ACCESS_KEY \
  "\naws_secret_access_key = " KVS_EMULATOR_DEFAULT_SECRET_KEY "\n"

GST_START_TEST (test_assume_role_source_profile)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      BASE_PROFILE "[profile reader]\nrole_arn = " ROLE "\n"
      "source_profile = base\nexternal_id = ext-4711\n"
      "role_session_name = kvam-test\nduration_seconds = 1800\n"
      "[profile second]\nrole_arn = " ROLE2 "\nsource_profile = reader\n");
  g_autoptr (KvamCredentialsProvider) p = chain ("reader");
  g_autoptr (KvamCredentialsProvider) p2 = chain ("second");
  g_autoptr (KvamCredentials) c = NULL, c2 = NULL;
  g_autofree gchar *ext = NULL, *session = NULL, *duration = NULL;
  g_autofree gchar *role = NULL;
  GError *err = NULL;

  c = get (p, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  ext = kvs_emulator_get_last_sts_param (emu, "ExternalId");
  session = kvs_emulator_get_last_sts_param (emu, "RoleSessionName");
  duration = kvs_emulator_get_last_sts_param (emu, "DurationSeconds");
  fail_unless_equals_string (ext, "ext-4711");
  fail_unless_equals_string (session, "kvam-test");
  fail_unless_equals_string (duration, "1800");
  fail_unless (c->expiration > now_s () + 1700 &&
      c->expiration <= now_s () + 1800);
  fail_unless (strstr (c->source, "profile reader") != NULL, "%s", c->source);
  assert_accepted (p);
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", NULL), 1);

  /* a chain: second's source is reader's assumed role */
  c2 = get (p2, &err);
  fail_unless (c2 != NULL, "%s", err ? err->message : "");
  role = kvs_emulator_get_last_sts_param (emu, "RoleArn");
  fail_unless_equals_string (role, ROLE2);
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", NULL), 3);
  assert_accepted (p2);
}

GST_END_TEST;

GST_START_TEST (test_assume_role_credential_source)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[profile fromenv]\nrole_arn = " ROLE "\n"
      "credential_source = Environment\n"
      "[profile bogus]\nrole_arn = " ROLE "\ncredential_source = Laptop\n");
  g_autoptr (KvamCredentialsProvider) p = chain ("fromenv");
  g_autoptr (KvamCredentialsProvider) bogus = chain ("bogus");
  g_autoptr (KvamCredentials) c = NULL;
  GError *err = NULL;

  /* no keys in the environment to sign with */
  g_setenv ("AWS_PROFILE", "fromenv", TRUE);
  fail_unless (get (p, &err) == NULL);
  fail_unless (strstr (err->message, "credential_source Environment") !=
      NULL, "%s", err->message);
  g_clear_error (&err);

  /* the chain would take keys in the environment before any profile;
   * the profile's own resolution signs AssumeRole with them */
  g_setenv ("AWS_ACCESS_KEY_ID", KVS_EMULATOR_DEFAULT_ACCESS_KEY, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", KVS_EMULATOR_DEFAULT_SECRET_KEY, TRUE);
  {
    KvamCredsContext ctx = { NULL, NULL, NULL, 5000000,
      KVS_EMULATOR_DEFAULT_REGION, NULL, NULL, g_string_new (NULL), NULL
    };
    g_autoptr (KvamTransport) t = kvam_transport_new (NULL);
    g_autoptr (SoupSession) s = kvam_transport_new_session (t, 5, 2);

    ctx.session = ctx.metadata_session = s;
    ctx.transport = t;
    c = kvam_creds_from_profile (&ctx, "fromenv", &err);
    g_string_free (ctx.tried, TRUE);
  }
  fail_unless (c != NULL, "%s", err ? err->message : "");
  keep_secret (c->secret_access_key);
  keep_secret (c->session_token);
  fail_unless (g_str_has_prefix (c->access_key_id, "ASIA"));
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", NULL), 1);

  g_unsetenv ("AWS_ACCESS_KEY_ID");
  g_unsetenv ("AWS_SECRET_ACCESS_KEY");
  g_setenv ("AWS_PROFILE", "bogus", TRUE);
  fail_unless (get (bogus, &err) == NULL);
  fail_unless (strstr (err->message, "Laptop") != NULL, "%s", err->message);
  g_clear_error (&err);
}

GST_END_TEST;

static void
container_keys (SoupServer * srv, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  const gchar *body = "{\"AccessKeyId\":\"" KVS_EMULATOR_DEFAULT_ACCESS_KEY
      "\",\"SecretAccessKey\":\"" KVS_EMULATOR_DEFAULT_SECRET_KEY "\"}";

  g_atomic_int_inc ((gint *) user_data);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_STATIC, body, strlen (body));
}

/* credential_source = EcsContainer: the container agent's keys sign the
 * AssumeRole. */
GST_START_TEST (test_assume_role_from_container)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      "[profile ecs]\nrole_arn = " ROLE "\ncredential_source = EcsContainer\n");
  KvamTestServer *agent = kvam_test_server_new ();
  g_autofree gchar *agent_url = kvam_test_server_url (agent, "/creds");
  g_autoptr (KvamCredentialsProvider) p = chain ("ecs");
  g_autoptr (KvamCredentials) c = NULL;
  gint asked = 0;
  GError *err = NULL;

  kvam_test_server_add_handler (agent, "/creds", container_keys, &asked);
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent_url, TRUE);
  c = get (p, &err);
  g_unsetenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  kvam_test_server_free (agent);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (asked, 1);
  fail_unless (g_str_has_prefix (c->access_key_id, "ASIA"));
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", NULL), 1);
  assert_accepted (p);
}

GST_END_TEST;

GST_START_TEST (test_assume_role_errors)
{
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config",
      BASE_PROFILE
      "[profile a]\nrole_arn = " ROLE "\nsource_profile = b\n"
      "[profile b]\nrole_arn = " ROLE2 "\nsource_profile = a\n"
      "[profile mfa]\nrole_arn = " ROLE "\nsource_profile = base\n"
      "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
      "[profile nosource]\nrole_arn = " ROLE "\n"
      "[profile missing]\nrole_arn = " ROLE "\nsource_profile = nowhere\n"
      "[profile short]\nrole_arn = " ROLE "\nsource_profile = base\n"
      "duration_seconds = 60\n"
      "[profile badkeys]\nrole_arn = " ROLE "\nsource_profile = wrong\n"
      "[profile wrong]\naws_access_key_id = AKIDWRONG\n"
      "aws_secret_access_key = wrong-secret-key\n"
      "[profile badrole]\nrole_arn = not-an-arn\nsource_profile = base\n");

  keep_secret ("wrong-secret-key");
  assert_profile_error ("a", "loop: a -> b -> a");
  assert_profile_error ("mfa", "MFA");
  assert_profile_error ("nosource", "source_profile, credential_source");
  assert_profile_error ("missing", "'nowhere' does not exist");
  assert_profile_error ("short", "900 to 43200");
  assert_profile_error ("badkeys", "InvalidClientTokenId");
  assert_profile_error ("badrole", "ValidationError");
  /* no STS call for the ones refused before asking */
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", "*"), 2);
}

GST_END_TEST;

/* ---- a hostile STS ---------------------------------------------------------- */

static void
echoing_sts (SoupServer * srv, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  const gchar *mode = user_data;
  g_autoptr (GBytes) req = soup_message_body_flatten
      (soup_server_message_get_request_body (msg));
  g_autofree gchar *form = g_strndup (g_bytes_get_data (req, NULL),
      g_bytes_get_size (req));
  g_autofree gchar *body = NULL;
  g_autofree gchar *escaped = g_markup_escape_text (form, -1);

  if (g_str_equal (mode, "echo"))
    /* what a careless proxy or STS look-alike could send back: the request
     * itself (web identity token included) and, to AssumeRole, the secret
     * key it was signed with */
    body = g_strdup_printf ("<ErrorResponse><Error><Code>AccessDenied</Code>"
        "<Message>not for you: %s%s</Message></Error></ErrorResponse>",
        escaped, strstr (form, "Action=AssumeRole&") ? " (secret "
        KVS_EMULATOR_DEFAULT_SECRET_KEY ")" : "");
  else if (g_str_equal (mode, "garbage"))
    body = g_strdup ("<AssumeRoleResponse><Credentials><AccessKeyId>AKID"
        "</AccessKeyId><SecretAccessKey>half-a-secret</Secret");
  else
    body = g_strnfill (200 * 1024, 'x');
  soup_server_message_set_status (msg, g_str_equal (mode, "echo") ? 403 :
      200, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_COPY,
      body, strlen (body));
}

static void
assert_hostile_sts (const gchar * mode, const gchar * profile,
    const gchar * needle)
{
  KvamTestServer *srv = kvam_test_server_new ();
  g_autofree gchar *srv_url = kvam_test_server_url (srv, "");

  kvam_test_server_add_handler (srv, "/", echoing_sts, (gpointer) mode);
  g_setenv ("AWS_ENDPOINT_URL_STS", srv_url, TRUE);
  assert_profile_error (profile, needle);
  g_setenv ("AWS_ENDPOINT_URL_STS", url, TRUE);
  kvam_test_server_free (srv);
}

/* STS's text reaches the error only scrubbed of the web identity token and
 * the source keys; a broken or endless answer is an error, not a crash. */
GST_START_TEST (test_sts_answers_scrubbed)
{
  /* '+', '/' and '=' change when the form is URL-encoded: the echo then
   * carries the token encoded, which must go too */
  g_autofree gchar *token = write_file (NULL, "web-token",
      "hostile+web/identity=token");
  g_autofree gchar *text = g_strconcat (BASE_PROFILE, "[profile reader]\n"
      "role_arn = " ROLE "\nsource_profile = base\n[profile web]\n"
      "role_arn = " ROLE "\nweb_identity_token_file = ", token, "\n", NULL);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config", text);

  keep_secret ("hostile+web/identity=token");
  keep_secret ("hostile%2Bweb%2Fidentity%3Dtoken");
  keep_secret ("half-a-secret");
  assert_hostile_sts ("echo", "web", "STS refused: AccessDenied: not for you");
  assert_hostile_sts ("echo", "reader", "STS refused: AccessDenied");
  assert_hostile_sts ("garbage", "reader", "not XML");
  assert_hostile_sts ("endless", "reader", "longer than");
}

GST_END_TEST;

/* ---- endpoints ------------------------------------------------------------ */

GST_START_TEST (test_endpoint_variables)
{
  g_autofree gchar *regional = NULL, *china = NULL, *global = NULL;
  g_autofree gchar *sts = NULL, *all = NULL;
  g_autoptr (KvamCredentialsProvider) p = NULL;
  KvamClientConfig c = { KVS_EMULATOR_DEFAULT_REGION, NULL, STREAM, NULL,
    5000, 0, NULL, NULL, NULL, NULL, NULL
  };
  KvamCredentialsConfig keys = { KVS_EMULATOR_DEFAULT_ACCESS_KEY,
    KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL, NULL, 5000, NULL, NULL
  };
  KvamAwsError err = { 0 };
  JsonBuilder *b;
  JsonNode *root;

  g_unsetenv ("AWS_ENDPOINT_URL_STS");
  regional = kvam_sts_endpoint ("eu-central-1", NULL);
  china = kvam_sts_endpoint ("cn-north-1", NULL);
  global = kvam_sts_endpoint (NULL, NULL);
  fail_unless_equals_string (regional,
      "https://sts.eu-central-1.amazonaws.com");
  fail_unless_equals_string (china, "https://sts.cn-north-1.amazonaws.com.cn");
  fail_unless_equals_string (global, "https://sts.amazonaws.com");
  g_setenv ("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", TRUE);
  all = kvam_sts_endpoint ("eu-central-1", NULL);
  fail_unless_equals_string (all, "http://127.0.0.1:1");
  g_setenv ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2", TRUE);
  sts = kvam_sts_endpoint ("eu-central-1", NULL);
  fail_unless_equals_string (sts, "http://127.0.0.1:2");

  /* no endpoint-uri: the control plane from AWS_ENDPOINT_URL_KINESIS_VIDEO,
   * which wins over AWS_ENDPOINT_URL */
  g_setenv ("AWS_ENDPOINT_URL_KINESIS_VIDEO", url, TRUE);
  p = kvam_credentials_provider_new (&keys);
  c.credentials = p;
  {
    g_autoptr (KvamClient) client = kvam_client_new (&c);
    b = kvam_client_begin_body (client);
    json_builder_set_member_name (b, "APIName");
    json_builder_add_string_value (b, "LIST_FRAGMENTS");
    root = kvam_client_call (client, KVAM_API_GET_DATA_ENDPOINT, b, NULL, &err);
    fail_unless (root != NULL, "%s", GST_STR_NULL (err.message));
    json_node_unref (root);
    g_object_unref (b);
  }
  fail_unless_equals_int (kvs_emulator_count (emu, "GetDataEndpoint", NULL), 1);
  kvam_aws_error_clear (&err);
}

GST_END_TEST;

/* endpoint_url in the config file, as the SDKs read it: the profile's
 * [services] section for one service, the profile's endpoint_url for the
 * rest; the environment first; nothing when told to ignore them. The
 * element's control plane and STS both follow it. */
GST_START_TEST (test_configured_endpoints)
{
  g_autofree gchar *text = g_strdup_printf (BASE_PROFILE
      "services = local\n" "[profile work]\nservices = local\n"
      /* nested settings stay apart from the profile's own */
      "s3 =\n  endpoint_url = http://127.0.0.1:7\n"
      "endpoint_url = http://127.0.0.1:3/\n"
      "role_arn = " ROLE "\nsource_profile = base\n"
      "[services local]\n"
      "kinesis_video =\n  endpoint_url = %s\n"
      "sts =\n  endpoint_url = %s\n  other = x\n"
      "[profile off]\nendpoint_url = http://127.0.0.1:4\n"
      "ignore_configured_endpoint_urls = true\n"
      "[default]\nendpoint_url = http://127.0.0.1:5\n", url, url);
  g_autofree gchar *conf = write_file ("AWS_CONFIG_FILE", "config", text);
  g_autofree gchar *kv = NULL, *sts = NULL, *sso = NULL, *def = NULL;
  g_autofree gchar *env = NULL, *ignored = NULL, *off = NULL, *on = NULL;
  g_autofree gchar *regional = NULL;
  g_autoptr (GstElement) pipe = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) m = NULL;

  g_unsetenv ("AWS_ENDPOINT_URL_STS");
  g_unsetenv ("AWS_ENDPOINT_URL_SSO");
  kv = kvam_configured_endpoint ("work", "kinesis_video");
  sts = kvam_configured_endpoint ("work", "sts");
  sso = kvam_configured_endpoint ("work", "sso");
  def = kvam_configured_endpoint (NULL, "sts");
  off = kvam_configured_endpoint ("off", "sts");
  regional = kvam_sts_endpoint ("eu-central-1", "off");
  fail_unless_equals_string (kv, url);
  fail_unless_equals_string (sts, url);
  fail_unless_equals_string (sso, "http://127.0.0.1:3");
  fail_unless_equals_string (def, "http://127.0.0.1:5");
  fail_unless (off == NULL);
  fail_unless_equals_string (regional,
      "https://sts.eu-central-1.amazonaws.com");
  g_setenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", TRUE);
  on = kvam_configured_endpoint ("off", "sts");
  fail_unless_equals_string (on, "http://127.0.0.1:4");
  g_setenv ("AWS_ENDPOINT_URL", "http://127.0.0.1:6", TRUE);
  env = kvam_configured_endpoint ("work", "kinesis_video");
  fail_unless_equals_string (env, "http://127.0.0.1:6");
  g_setenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", TRUE);
  ignored = kvam_configured_endpoint ("work", "kinesis_video");
  fail_unless (ignored == NULL);
  g_unsetenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  g_unsetenv ("AWS_ENDPOINT_URL");

  /* the element with profile=work and no endpoint-uri: Kinesis Video and
   * STS (AssumeRole for the profile's role) are the emulator, named only
   * by the [services] section; were it ignored, the request for AWS
   * would meet a closed loopback port as its proxy, not the Internet */
  g_setenv ("HTTPS_PROXY", "http://127.0.0.1:9", TRUE);
  pipe = gst_parse_launch ("kvamsrc stream-name=" STREAM " start-time="
      "1764000000 end-time=1764000010 profile=work region="
      KVS_EMULATOR_DEFAULT_REGION " ! fakesink", NULL);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  fail_unless (m && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS);
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_unsetenv ("HTTPS_PROXY");
  fail_unless_equals_int (kvs_emulator_count (emu, "AssumeRole", NULL), 1);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) >= 1);
}

GST_END_TEST;

/* The whole element with no keys anywhere but a web identity token file:
 * it plays. */
GST_START_TEST (test_element_with_web_identity)
{
  g_autofree gchar *file = write_file ("AWS_WEB_IDENTITY_TOKEN_FILE",
      "token", "element-token");
  g_autoptr (GstElement) pipe = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) m = NULL;
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc stream-name=" STREAM
      " start-time=1764000000 end-time=1764000010 endpoint-uri=%s "
      "region=" KVS_EMULATOR_DEFAULT_REGION " ! fakesink", url);

  keep_secret ("element-token");
  g_setenv ("AWS_ROLE_ARN", ROLE, TRUE);
  pipe = gst_parse_launch (launch, NULL);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  fail_unless (m != NULL && GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS, "no EOS");
  gst_element_set_state (pipe, GST_STATE_NULL);
  fail_unless_equals_int (kvs_emulator_count (emu,
          "AssumeRoleWithWebIdentity", NULL), 1);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) >= 1);
}

GST_END_TEST;

static Suite *
kvamcredchain_suite (void)
{
  Suite *s = suite_create ("kvamcredchain");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, kvam_cred_setup, kvam_cred_teardown);
  tcase_add_test (tc, test_web_identity_environment);
  tcase_add_test (tc, test_web_identity_refresh_rereads_token);
  tcase_add_test (tc, test_web_identity_errors);
  tcase_add_test (tc, test_assume_role_source_profile);
  tcase_add_test (tc, test_assume_role_credential_source);
  tcase_add_test (tc, test_assume_role_from_container);
  tcase_add_test (tc, test_assume_role_errors);
  tcase_add_test (tc, test_sts_answers_scrubbed);
  tcase_add_test (tc, test_endpoint_variables);
  tcase_add_test (tc, test_configured_endpoints);
  tcase_add_test (tc, test_element_with_web_identity);
  return s;
}

GST_CHECK_MAIN (kvamcredchain);
