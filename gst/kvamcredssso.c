/* kvamsrc: credentials of IAM Identity Center (SSO) profiles
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `aws sso login` leaves an access token in ~/.aws/sso/cache/<sha1>.json
 * (sha1 of the sso_session name, or of sso_start_url for the older
 * profiles); the portal's GetRoleCredentials turns it into keys of
 * sso_account_id / sso_role_name. kvamsrc never logs in itself: a missing
 * or expired token says to run `aws sso login`.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentialspriv.h"
#include "kvamjson.h"

#include <string.h>
#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

typedef struct
{
  const gchar *cache_key;       /* session name or start URL */
  const gchar *region;
  const gchar *account_id;
  const gchar *role_name;
  gchar *login_hint;            /* "aws sso login --profile P" */
} SsoProfile;

static gboolean
read_profile (GHashTable * section, KvamConfigFile * conf,
    const gchar * profile, SsoProfile * sso, GError ** error)
{
  const gchar *session = g_hash_table_lookup (section, "sso_session");
  GHashTable *s = section;
  g_autofree gchar *name = NULL;

  if (session) {
    name = g_strdup_printf ("sso-session %s", session);
    s = kvam_config_file_section (conf, name);
    if (!s) {
      g_set_error (error, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s' names sso_session "
          "'%s', but the config file has no [sso-session %s]", profile,
          session, session);
      return FALSE;
    }
  }
  sso->cache_key = session ? session : g_hash_table_lookup (s,
      "sso_start_url");
  sso->region = g_hash_table_lookup (s, "sso_region");
  sso->account_id = g_hash_table_lookup (section, "sso_account_id");
  sso->role_name = g_hash_table_lookup (section, "sso_role_name");
  if (!sso->cache_key || !sso->region || !sso->account_id ||
      !sso->role_name) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "SSO profile '%s' needs "
        "sso_start_url and sso_region (in it or its sso_session), "
        "sso_account_id and sso_role_name", profile);
    return FALSE;
  }
  sso->login_hint = g_strdup_printf ("run 'aws sso login --profile %s'",
      profile);
  return TRUE;
}

/* The CLI's cached access token, if there and not expired. */
static gchar *
cached_token (SsoProfile * sso, GError ** error)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
      sso->cache_key, -1);
  g_autofree gchar *file = g_strconcat (hash, ".json", NULL);
  g_autofree gchar *path = g_build_filename (kvam_creds_home_dir (), ".aws",
      "sso", "cache", file, NULL);
  g_autofree gchar *data = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GDateTime) expires = NULL;
  JsonObject *o;
  const gchar *token, *expires_at;
  gsize size;

  if (!kvam_creds_read_file (path, KVAM_CREDS_MAX_FILE, &data, &size,
          NULL)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "no SSO token for %s in %s: %s",
        sso->cache_key, path, sso->login_hint);
    return NULL;
  }
  root = kvam_json_parse_object (data, size, NULL);
  o = root ? json_node_get_object (root) : NULL;
  token = o ? json_object_get_string_member_with_default (o, "accessToken",
      NULL) : NULL;
  expires_at = o ? json_object_get_string_member_with_default (o,
      "expiresAt", NULL) : NULL;
  expires = expires_at ? g_date_time_new_from_iso8601 (expires_at, NULL) :
      NULL;
  if (!token || !*token || !expires) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "the SSO token cache %s has no "
        "accessToken or expiresAt: %s", path, sso->login_hint);
    return NULL;
  }
  if (g_date_time_to_unix (expires) <= g_get_real_time () / G_USEC_PER_SEC) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "the SSO token for %s expired at "
        "%s: %s", sso->cache_key, expires_at, sso->login_hint);
    return NULL;
  }
  memset (data, 0, size);
  return g_strdup (token);
}

static gchar *
portal_url (KvamCredsContext * ctx, SsoProfile * sso)
{
  g_autofree gchar *base = kvam_configured_endpoint (ctx->profile, "sso");
  g_autofree gchar *account = g_uri_escape_string (sso->account_id, NULL,
      FALSE);
  g_autofree gchar *role = g_uri_escape_string (sso->role_name, NULL, FALSE);

  if (!base)
    base = g_strdup_printf ("https://portal.sso.%s.amazonaws.com",
        sso->region);
  return g_strdup_printf ("%s/federation/credentials?account_id=%s&"
      "role_name=%s", base, account, role);
}

KvamCredentials *
kvam_sso_read_role_credentials (GBytes * body, const gchar * source,
    GError ** error)
{
  g_autoptr (JsonNode) root = kvam_json_parse_object (g_bytes_get_data (body,
          NULL), g_bytes_get_size (body), NULL);
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  JsonObject *rc = o && json_object_has_member (o, "roleCredentials") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "roleCredentials")) ?
      json_object_get_object_member (o, "roleCredentials") : NULL;
  const gchar *id, *secret, *token;
  gint64 expiration_ms;

  if (!rc) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the SSO portal's answer has "
        "no roleCredentials", source);
    return NULL;
  }
  id = json_object_get_string_member_with_default (rc, "accessKeyId", NULL);
  secret = json_object_get_string_member_with_default (rc, "secretAccessKey",
      NULL);
  token = json_object_get_string_member_with_default (rc, "sessionToken",
      NULL);
  expiration_ms = json_object_get_int_member_with_default (rc, "expiration",
      0);
  if (!id || !secret || !token || expiration_ms <= 0) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the SSO portal's "
        "roleCredentials are incomplete", source);
    return NULL;
  }
  return kvam_credentials_new (id, secret, token, expiration_ms / 1000,
      source);
}

KvamCredentials *
kvam_creds_from_sso (KvamCredsContext * ctx, GHashTable * section,
    KvamConfigFile * conf, const gchar * profile, GError ** error)
{
  SsoProfile sso = { 0 };
  g_autofree gchar *source = NULL, *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL, error_body = NULL;
  gchar *token = NULL;
  KvamCredentials *creds = NULL;
  GError *e = NULL;
  guint status;

  if (!section || !read_profile (section, conf, profile, &sso, error))
    goto out;
  source = g_strdup_printf ("profile %s (SSO %s, role %s)", profile,
      sso.account_id, sso.role_name);
  if (!(token = cached_token (&sso, error)))
    goto out;
  url = portal_url (ctx, &sso);
  msg = soup_message_new ("GET", url);
  if (!msg) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: %s is not a URL", source, url);
    goto out;
  }
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "x-amz-sso_bearer_token", token);
  GST_DEBUG ("%s: GetRoleCredentials", source);
  body = kvam_creds_http_request (ctx, ctx->session, msg, &error_body, &e);
  status = soup_message_get_status (msg);
  if (!body && (status == 401 || status == 403)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s: the SSO portal refused the cached token (HTTP %u): %s", source,
        status, sso.login_hint);
    g_clear_error (&e);
  } else if (!body) {
    g_propagate_prefixed_error (error, e, "%s: ", source);
  } else {
    creds = kvam_sso_read_role_credentials (body, source, error);
  }
out:
  kvam_creds_free_secret (token);
  g_free (sso.login_hint);
  return creds;
}
