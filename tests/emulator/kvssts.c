/* kvs-emulator: AWS STS and the IAM Identity Center (SSO) portal
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Enough of both for a credential chain to be tested end to end: the keys
 * they issue are then accepted by the Kinesis Video APIs on the same port,
 * until they expire (kvs_emulator_set_sts_duration makes that short).
 * STS answers XML as the query API does; the portal answers JSON.
 */
#include "kvsemulatorpriv.h"
#include "kvamjson.h"

#include <string.h>
#include <json-glib/json-glib.h>

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define DEFAULT_DURATION 3600

static void
respond_body (SoupServerMessage * msg, guint status, const gchar * type,
    gchar * body)
{
  g_autofree gchar *uuid = g_uuid_string_random ();

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "x-amzn-RequestId", uuid);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body,
      strlen (body));
}

static void
sts_error (KvsEmulator * emu, SoupServerMessage * msg, const gchar * action,
    const gchar * role, guint status, const gchar * code, const gchar * message)
{
  g_autofree gchar *escaped = g_markup_escape_text (message, -1);
  g_autofree gchar *uuid = g_uuid_string_random ();

  respond_body (msg, status, "text/xml", g_strdup_printf ("<ErrorResponse "
          "xmlns=\"" STS_NS "\">\n  <Error>\n    <Type>Sender</Type>\n    "
          "<Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n  "
          "<RequestId>%s</RequestId>\n</ErrorResponse>\n", code, escaped,
          uuid));
  kvs_log_request (emu, action, role, status, code, 0, 0, FALSE);
}

static gboolean
valid_role_arn (const gchar * arn)
{
  return arn && g_regex_match_simple
      ("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", arn, 0, 0);
}

static gboolean
valid_session_name (const gchar * name)
{
  return name && g_regex_match_simple ("^[\\w+=,.@-]{2,64}$", name, 0, 0);
}

Credentials *
kvs_issue_credentials (KvsEmulator * emu, guint seconds)
{
  Credentials *c = g_new0 (Credentials, 1);
  g_autofree gchar *id = g_uuid_string_random ();
  g_autofree gchar *secret = g_uuid_string_random ();
  g_autofree gchar *token = g_uuid_string_random ();
  gchar *p;

  for (p = id; *p; p++)
    *p = g_ascii_toupper (*p);
  c->access_key = g_strdup_printf ("ASIA%.16s", id);
  c->secret_key = g_strdup_printf ("tmp/%s+secret", secret);
  c->session_token = g_strdup_printf ("IQoJb3JpZ2luX2VjE+%s/token==", token);
  c->expires_at = g_get_real_time () / G_USEC_PER_SEC + seconds;
  g_ptr_array_add (emu->credentials, c);
  return c;
}

/* How long the keys of this call last: DurationSeconds, unless the
 * emulator was told to issue shorter ones. Lock held. */
static guint
issued_duration (KvsEmulator * emu, const gchar * requested)
{
  guint d = requested ? (guint) g_ascii_strtoull (requested, NULL, 10) :
      DEFAULT_DURATION;

  return emu->sts_duration ? emu->sts_duration : d;
}

static gchar *
credentials_xml (const Credentials * c)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (c->expires_at);
  g_autofree gchar *expiration = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");

  return g_strdup_printf ("    <Credentials>\n      <AccessKeyId>%s"
      "</AccessKeyId>\n      <SecretAccessKey>%s</SecretAccessKey>\n      "
      "<SessionToken>%s</SessionToken>\n      <Expiration>%s</Expiration>\n"
      "    </Credentials>\n", c->access_key, c->secret_key, c->session_token,
      expiration);
}

/* Checks what AssumeRole and AssumeRoleWithWebIdentity share; FALSE after
 * answering the error. */
static gboolean
check_role_params (KvsEmulator * emu, SoupServerMessage * msg,
    const gchar * action, GHashTable * form)
{
  const gchar *role = g_hash_table_lookup (form, "RoleArn");
  const gchar *session = g_hash_table_lookup (form, "RoleSessionName");
  const gchar *duration = g_hash_table_lookup (form, "DurationSeconds");
  guint64 d;

  if (!valid_role_arn (role)) {
    sts_error (emu, msg, action, role, 400, "ValidationError",
        "1 validation error detected: Value at 'roleArn' failed to satisfy "
        "constraint");
    return FALSE;
  }
  if (!valid_session_name (session)) {
    sts_error (emu, msg, action, role, 400, "ValidationError",
        "1 validation error detected: Value at 'roleSessionName' failed to "
        "satisfy constraint");
    return FALSE;
  }
  if (duration && !g_ascii_string_to_unsigned (duration, 10, 900, 43200, &d,
          NULL)) {
    sts_error (emu, msg, action, role, 400, "ValidationError",
        "1 validation error detected: Value at 'durationSeconds' failed to "
        "satisfy constraint: Member must have value between 900 and 43200");
    return FALSE;
  }
  return TRUE;
}

static gboolean
web_identity_token_ok (KvsEmulator * emu, const gchar * token)
{
  guint i;

  if (!token || !*token)
    return FALSE;
  if (emu->web_identity_tokens->len == 0)
    return TRUE;
  for (i = 0; i < emu->web_identity_tokens->len; i++)
    if (g_str_equal (emu->web_identity_tokens->pdata[i], token))
      return TRUE;
  return FALSE;
}

static void
answer_credentials (KvsEmulator * emu, SoupServerMessage * msg,
    const gchar * action, GHashTable * form)
{
  const gchar *role = g_hash_table_lookup (form, "RoleArn");
  const gchar *session = g_hash_table_lookup (form, "RoleSessionName");
  g_autofree gchar *xml = NULL, *uuid = g_uuid_string_random ();
  gchar *body;

  g_mutex_lock (&emu->lock);
  xml = credentials_xml (kvs_issue_credentials (emu, issued_duration (emu,
              g_hash_table_lookup (form, "DurationSeconds"))));
  g_mutex_unlock (&emu->lock);
  body = g_strdup_printf ("<%sResponse xmlns=\"" STS_NS "\">\n  <%sResult>\n"
      "%s    <AssumedRoleUser>\n      <Arn>arn:aws:sts::" ACCOUNT
      ":assumed-role/%s/%s</Arn>\n    </AssumedRoleUser>\n  </%sResult>\n  "
      "<ResponseMetadata>\n    <RequestId>%s</RequestId>\n  "
      "</ResponseMetadata>\n</%sResponse>\n", action, action, xml,
      strrchr (role, '/') + 1, session, action, uuid, action);
  respond_body (msg, 200, "text/xml", body);
  kvs_log_request (emu, action, role, 200, NULL, strlen (body), 0, FALSE);
}

static void
remember_params (KvsEmulator * emu, GHashTable * form)
{
  GHashTableIter it;
  gpointer k, v;

  g_mutex_lock (&emu->lock);
  g_hash_table_remove_all (emu->last_sts_params);
  g_hash_table_iter_init (&it, form);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (emu->last_sts_params, g_strdup (k), g_strdup (v));
  g_mutex_unlock (&emu->lock);
}

void
kvs_handle_sts (KvsEmulator * emu, SoupServerMessage * msg)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten
      (soup_server_message_get_request_body (msg));
  g_autofree gchar *text = g_strndup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  g_autoptr (GHashTable) form = soup_form_decode (text);
  const gchar *action = g_hash_table_lookup (form, "Action");
  KvsAuthFailure f = { 0 };
  gboolean token_ok;

  remember_params (emu, form);
  if (g_strcmp0 (action, "AssumeRole") == 0) {
    if (!kvs_verify_signature (emu, msg, "sts", &f)) {
      sts_error (emu, msg, action, g_hash_table_lookup (form, "RoleArn"),
          f.status, g_str_equal (f.type, "UnrecognizedClientException") ?
          "InvalidClientTokenId" : f.type, f.message);
      g_free (f.message);
      return;
    }
  } else if (g_strcmp0 (action, "AssumeRoleWithWebIdentity") == 0) {
    LOCKED (emu, token_ok = web_identity_token_ok (emu,
            g_hash_table_lookup (form, "WebIdentityToken")));
    if (!token_ok) {
      sts_error (emu, msg, action, g_hash_table_lookup (form, "RoleArn"), 400,
          "InvalidIdentityToken", "Couldn't retrieve verification key from "
          "your identity provider");
      return;
    }
  } else {
    sts_error (emu, msg, action ? action : "STS", NULL, 400,
        "InvalidAction", "Could not find operation for this request");
    return;
  }
  if (check_role_params (emu, msg, action, form))
    answer_credentials (emu, msg, action, form);
}

/* ---- the SSO portal ----------------------------------------------------- */

static gboolean
sso_token_ok (KvsEmulator * emu, const gchar * token)
{
  guint i;

  for (i = 0; token && i < emu->sso_tokens->len; i++)
    if (g_str_equal (emu->sso_tokens->pdata[i], token))
      return TRUE;
  return FALSE;
}

void
kvs_handle_sso (KvsEmulator * emu, SoupServerMessage * msg, GHashTable * query)
{
  const gchar *token = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg),
      "x-amz-sso_bearer_token");
  const gchar *role = query ? g_hash_table_lookup (query, "role_name") : NULL;
  const gchar *account = query ? g_hash_table_lookup (query, "account_id") :
      NULL;
  Credentials *c = NULL;
  gchar *body;

  g_mutex_lock (&emu->lock);
  if (sso_token_ok (emu, token) && role && account)
    c = kvs_issue_credentials (emu, issued_duration (emu, NULL));
  body = c ? g_strdup_printf ("{\"roleCredentials\":{\"accessKeyId\":\"%s\","
      "\"secretAccessKey\":\"%s\",\"sessionToken\":\"%s\",\"expiration\":%"
      G_GINT64_FORMAT "}}", c->access_key, c->secret_key, c->session_token,
      c->expires_at * 1000) : NULL;
  g_mutex_unlock (&emu->lock);
  if (!body) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "x-amzn-ErrorType", "UnauthorizedException");
    respond_body (msg, 401, "application/json", g_strdup ("{\"message\":"
            "\"Session token not found or invalid\"}"));
    kvs_log_request (emu, "GetRoleCredentials", role, 401,
        "UnauthorizedException", 0, 0, FALSE);
    return;
  }
  respond_body (msg, 200, "application/json", body);
  kvs_log_request (emu, "GetRoleCredentials", role, 200, NULL, strlen (body),
      0, FALSE);
}

/* ---- SSO OIDC ------------------------------------------------------------ */

static gboolean
take_refresh_token (KvsEmulator * emu, const gchar * token)
{
  guint i;

  for (i = 0; token && i < emu->sso_refresh_tokens->len; i++)
    if (g_str_equal (emu->sso_refresh_tokens->pdata[i], token)) {
      g_ptr_array_remove_index (emu->sso_refresh_tokens, i);
      return TRUE;
    }
  return FALSE;
}

void
kvs_handle_sso_oidc (KvsEmulator * emu, SoupServerMessage * msg)
{
  g_autoptr (GBytes) req = soup_message_body_flatten
      (soup_server_message_get_request_body (msg));
  /* kvamsrc's own reader: no critical on members of the wrong kind */
  g_autoptr (JsonNode) root = kvam_json_parse_object (g_bytes_get_data (req,
          NULL), g_bytes_get_size (req), NULL);
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  g_autofree gchar *id1 = g_uuid_string_random ();
  g_autofree gchar *id2 = g_uuid_string_random ();
  gchar *access = NULL, *next = NULL, *body;

  g_mutex_lock (&emu->lock);
  if (!g_strcmp0 (kvam_json_get_string (o, "grantType"), "refresh_token") &&
      kvam_json_get_string (o, "clientId") &&
      kvam_json_get_string (o, "clientSecret") &&
      take_refresh_token (emu, kvam_json_get_string (o, "refreshToken"))) {
    access = g_strconcat ("sso-access-", id1, NULL);
    next = g_strconcat ("sso-refresh-", id2, NULL);
    g_ptr_array_add (emu->sso_tokens, g_strdup (access));
    g_ptr_array_add (emu->sso_refresh_tokens, g_strdup (next));
  }
  g_mutex_unlock (&emu->lock);
  if (!access) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "x-amzn-ErrorType", "InvalidGrantException");
    respond_body (msg, 400, "application/json", g_strdup ("{\"error\":"
            "\"invalid_grant\",\"error_description\":\"Invalid refresh "
            "token provided\"}"));
    kvs_log_request (emu, "CreateToken", NULL, 400, "InvalidGrantException",
        0, 0, FALSE);
    return;
  }
  body = g_strdup_printf ("{\"accessToken\":\"%s\",\"tokenType\":"
      "\"Bearer\",\"expiresIn\":3600,\"refreshToken\":\"%s\"}", access, next);
  respond_body (msg, 200, "application/json", body);
  kvs_log_request (emu, "CreateToken", NULL, 200, NULL, strlen (body), 0,
      FALSE);
  g_free (access);
  g_free (next);
}

/* ---- configuration ------------------------------------------------------ */

void
kvs_emulator_set_sts_duration (KvsEmulator * emu, guint seconds)
{
  LOCKED (emu, emu->sts_duration = seconds);
}

void
kvs_emulator_add_web_identity_token (KvsEmulator * emu, const gchar * token)
{
  LOCKED (emu, g_ptr_array_add (emu->web_identity_tokens, g_strdup (token)));
}

void
kvs_emulator_add_sso_token (KvsEmulator * emu, const gchar * token)
{
  LOCKED (emu, g_ptr_array_add (emu->sso_tokens, g_strdup (token)));
}

void
kvs_emulator_add_sso_refresh_token (KvsEmulator * emu, const gchar * token)
{
  LOCKED (emu, g_ptr_array_add (emu->sso_refresh_tokens, g_strdup (token)));
}

gchar *
kvs_emulator_get_last_sts_param (KvsEmulator * emu, const gchar * name)
{
  gchar *v;

  LOCKED (emu, v = g_strdup (g_hash_table_lookup (emu->last_sts_params, name)));
  return v;
}

gchar *
kvs_emulator_get_last_user_agent (KvsEmulator * emu)
{
  gchar *v;

  LOCKED (emu, v = g_strdup (emu->last_user_agent));
  return v;
}
