/* kvamsrc: credentials of IAM Identity Center (SSO) profiles
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `aws sso login` leaves an access token in ~/.aws/sso/cache/<sha1>.json
 * (sha1 of the sso_session name, or of sso_start_url for the older
 * profiles); the portal's GetRoleCredentials turns it into keys of
 * sso_account_id / sso_role_name. kvamsrc never logs in itself: a missing
 * or expired token says to run `aws sso login`. As the CLI does, a token
 * of an sso_session profile that expires within 15 minutes is refreshed
 * with the cache's refreshToken (SSO OIDC CreateToken) and written back.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamurl.h"
#include "kvamcredentialspriv.h"
#include "kvamsecret.h"
#include "kvamawserror.h"
#include "kvamjson.h"

#include <string.h>
#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

/* botocore's and the CLI's: a token closer than this to its end is
 * refreshed */
#define REFRESH_WINDOW_S (15 * 60)

typedef struct
{
  const gchar *cache_key;       /* session name or start URL */
  gboolean refreshable;         /* an sso_session profile */
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
  sso->cache_key = session ? session : g_hash_table_lookup (s, "sso_start_url");
  sso->refreshable = session != NULL;
  sso->region = g_hash_table_lookup (s, "sso_region");
  sso->account_id = g_hash_table_lookup (section, "sso_account_id");
  sso->role_name = g_hash_table_lookup (section, "sso_role_name");
  if (!sso->cache_key || !sso->region || !sso->account_id || !sso->role_name) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "SSO profile '%s' needs "
        "sso_start_url and sso_region (in it or its sso_session), "
        "sso_account_id and sso_role_name", profile);
    return FALSE;
  }
  if (!kvam_region_is_valid (sso->region)) {
    /* it becomes the portal's and OIDC's host names */
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "SSO profile '%s': sso_region is "
        "not a region: '%s' (expected a region code such as us-west-2)",
        profile, sso->region);
    return FALSE;
  }
  sso->login_hint = g_strdup_printf ("run 'aws sso login --profile %s'",
      profile);
  return TRUE;
}

/* The CLI's token cache file of @sso, parsed; its path in @path. */
static JsonNode *
read_cache (SsoProfile * sso, gchar ** path, GError ** error)
{
  g_autofree gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
      sso->cache_key, -1);
  g_autofree gchar *file = g_strconcat (hash, ".json", NULL);
  g_autofree gchar *data = NULL;
  const gchar *token;
  JsonNode *root;
  JsonObject *o;
  gint64 expires;
  gsize size;

  *path = g_build_filename (kvam_creds_home_dir (), ".aws", "sso", "cache",
      file, NULL);
  if (!kvam_creds_read_file (*path, KVAM_CREDS_MAX_FILE, &data, &size, NULL)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "no SSO token for %s in %s: %s",
        sso->cache_key, *path, sso->login_hint);
    return NULL;
  }
  root = kvam_json_parse_object (data, size, NULL);
  memset (data, 0, size);
  o = root ? json_node_get_object (root) : NULL;
  token = kvam_json_get_string (o, "accessToken");
  if (!token || !*token ||
      !kvam_time_parse_iso8601 (kvam_json_get_string (o, "expiresAt"),
          &expires)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "the SSO token cache %s has no "
        "accessToken or expiresAt: %s", *path, sso->login_hint);
    g_clear_pointer (&root, json_node_unref);
  }
  return root;
}

/* "error: error_description" of an SSO OIDC error, without the secrets
 * the request carried. */
static gchar *
oidc_error (GBytes * body, JsonObject * cache)
{
  const gchar *secrets[] = { kvam_json_get_string (cache, "refreshToken"),
    kvam_json_get_string (cache, "clientSecret"),
    kvam_json_get_string (cache, "accessToken"), NULL
  };
  g_autoptr (JsonNode) root = body ? kvam_json_parse_object
      (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) : NULL;
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  g_autofree gchar *text = o ? g_strdup_printf ("%s: %s",
      GST_STR_NULL (kvam_json_get_string (o, "error")),
      GST_STR_NULL (kvam_json_get_string (o, "error_description"))) : NULL;

  return text ? kvam_scrub_secrets (text, secrets) : NULL;
}

static gchar *
create_token_body (JsonObject * cache)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "clientId");
  json_builder_add_string_value (b, kvam_json_get_string (cache, "clientId"));
  json_builder_set_member_name (b, "clientSecret");
  json_builder_add_string_value (b, kvam_json_get_string (cache,
          "clientSecret"));
  json_builder_set_member_name (b, "grantType");
  json_builder_add_string_value (b, "refresh_token");
  json_builder_set_member_name (b, "refreshToken");
  json_builder_add_string_value (b, kvam_json_get_string (cache,
          "refreshToken"));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* CreateToken's answer into the cache object: a new accessToken, its
 * expiresAt, and a new refreshToken when one came. */
static gboolean
take_new_token (GBytes * body, JsonObject * cache, GError ** error)
{
  g_autoptr (JsonNode) root = kvam_json_parse_object (g_bytes_get_data (body,
          NULL), g_bytes_get_size (body), NULL);
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  const gchar *token = kvam_json_get_string (o, "accessToken");
  gint64 expires_in = kvam_json_get_int (o, "expiresIn", 0);
  const gchar *refresh;
  g_autoptr (GDateTime) at = NULL;
  g_autofree gchar *at_text = NULL;

  if (!token || !*token || expires_in <= 0 || expires_in > 366 * 86400) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "CreateToken's answer has no "
        "accessToken or expiresIn");
    return FALSE;
  }
  at = g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC +
      expires_in);
  at_text = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");
  json_object_set_string_member (cache, "accessToken", token);
  json_object_set_string_member (cache, "expiresAt", at_text);
  refresh = kvam_json_get_string (o, "refreshToken");
  if (refresh && *refresh)
    json_object_set_string_member (cache, "refreshToken", refresh);
  return TRUE;
}

static gchar *
oidc_url (KvamCredsContext * ctx, SsoProfile * sso)
{
  g_autofree gchar *base = kvam_configured_endpoint (ctx->profile,
      "sso_oidc");

  return base ? g_strconcat (base, "/token", NULL) :
      g_strdup_printf ("https://oidc.%s.amazonaws.com/token", sso->region);
}

/* SSO OIDC CreateToken with the cache's refreshToken; @cache updated. */
static gboolean
refresh_token (KvamCredsContext * ctx, SsoProfile * sso, JsonObject * cache,
    GError ** error)
{
  g_autofree gchar *url = oidc_url (ctx, sso);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL, error_body = NULL, request = NULL;
  g_autofree gchar *why = NULL;
  gint64 registered;
  gchar *json;
  gsize len;

  if (!kvam_json_get_string (cache, "refreshToken") ||
      !kvam_json_get_string (cache, "clientId") ||
      !kvam_json_get_string (cache, "clientSecret")) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "the cache holds no refreshToken");
    return FALSE;
  }
  if (!kvam_time_parse_iso8601 (kvam_json_get_string (cache,
              "registrationExpiresAt"), &registered) ||
      registered <= g_get_real_time () / G_USEC_PER_SEC) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "the client registration expired");
    return FALSE;
  }
  if (!(msg = soup_message_new ("POST", url))) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s is not a URL", url);
    return FALSE;
  }
  json = create_token_body (cache);
  len = strlen (json);
  request = g_bytes_new_with_free_func (json, len,
      (GDestroyNotify) kvam_secret_free, json);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  GST_DEBUG ("SSO session %s: CreateToken (refresh)", sso->cache_key);
  body = kvam_creds_http_request (ctx, ctx->session, msg, &error_body, error);
  if (!body) {
    if ((why = oidc_error (error_body, cache)))
      g_prefix_error (error, "%s; ", why);
    return FALSE;
  }
  return take_new_token (body, cache, error);
}

/* The refreshed cache, as the CLI keeps it: readable by the user only. */
static void
write_cache (const gchar * path, JsonNode * root)
{
  gchar *text = json_to_string (root, TRUE);
  GError *e = NULL;

  if (!g_file_set_contents_full (path, text, -1,
          G_FILE_SET_CONTENTS_CONSISTENT, 0600, &e)) {
    GST_WARNING ("could not write the refreshed SSO token to %s: %s", path,
        e->message);
    g_error_free (e);
  }
  kvam_secret_free (text);
}

/* The CLI's cached access token, refreshed when it is about to expire and
 * can be; NULL with @error when there is none that works. */
static gchar *
cached_token (KvamCredsContext * ctx, SsoProfile * sso, GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autoptr (JsonNode) root = read_cache (sso, &path, error);
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC, expires;
  GError *why = NULL;

  if (!o)
    return NULL;
  /* read_cache checked it */
  kvam_time_parse_iso8601 (kvam_json_get_string (o, "expiresAt"), &expires);
  if (sso->refreshable && expires - now < REFRESH_WINDOW_S) {
    if (refresh_token (ctx, sso, o, &why)) {
      write_cache (path, root);
      return g_strdup (kvam_json_get_string (o, "accessToken"));
    }
    if (expires > now)
      GST_WARNING ("SSO session %s: the token was not refreshed (%s); it "
          "is used until it expires", sso->cache_key, why->message);
  }
  if (expires <= now) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "the SSO token for %s expired at "
        "%s%s%s%s: %s", sso->cache_key, kvam_json_get_string (o, "expiresAt"),
        why ? " and could not be refreshed (" : "", why ? why->message : "",
        why ? ")" : "", sso->login_hint);
    g_clear_error (&why);
    return NULL;
  }
  g_clear_error (&why);
  return g_strdup (kvam_json_get_string (o, "accessToken"));
}

static gchar *
portal_url (KvamCredsContext * ctx, SsoProfile * sso)
{
  g_autofree gchar *base = kvam_configured_endpoint (ctx->profile, "sso");
  g_autofree gchar *account = g_uri_escape_string (sso->account_id, NULL,
      FALSE);
  g_autofree gchar *role = g_uri_escape_string (sso->role_name, NULL, FALSE);

  if (!base)
    base = g_strdup_printf ("https://portal.sso.%s.amazonaws.com", sso->region);
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
  JsonObject *rc = kvam_json_get_object (o, "roleCredentials");
  const gchar *id, *secret, *token;
  gint64 expiration_ms;

  if (!rc) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the SSO portal's answer has "
        "no roleCredentials", source);
    return NULL;
  }
  id = kvam_json_get_string (rc, "accessKeyId");
  secret = kvam_json_get_string (rc, "secretAccessKey");
  token = kvam_json_get_string (rc, "sessionToken");
  expiration_ms = kvam_json_get_int (rc, "expiration", 0);
  if (!id || !secret || !token || expiration_ms <= 0) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the SSO portal's "
        "roleCredentials are incomplete", source);
    return NULL;
  }
  return kvam_credentials_new (id, secret, token, expiration_ms / 1000, source);
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
  if (!(token = cached_token (ctx, &sso, error)))
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
  kvam_secret_free (token);
  g_free (sso.login_hint);
  return creds;
}
