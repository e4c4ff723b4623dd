/* kvamsrc: credentials from the container agent and EC2 instance metadata
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both answer the same JSON. Neither goes through a proxy: they are
 * link-local or loopback addresses.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentialspriv.h"
#include "kvamsecret.h"
#include "kvamjson.h"

#include <string.h>
#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

#define DEFAULT_IMDS_ENDPOINT "http://169.254.169.254"
/* as the AWS SDKs: off EC2 the chain must not hang on IMDS (1 s, one
 * attempt, unless AWS_METADATA_SERVICE_TIMEOUT / _NUM_ATTEMPTS say) */
#define DEFAULT_IMDS_TIMEOUT_S 1
#define DEFAULT_IMDS_ATTEMPTS 1
#define MAX_IMDS_TIMEOUT_S 60
#define MAX_IMDS_ATTEMPTS 10
#define ECS_HOST_URI "http://169.254.170.2"

/* GET/PUT @url with @headers (name, value pairs) on the proxy-less session */
static GBytes *
metadata_request (KvamCredsContext * ctx, const gchar * method,
    const gchar * url, const gchar * const *headers, GError ** error)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  guint i;

  if (!msg) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "invalid URL %s", url);
    return NULL;
  }
  for (i = 0; headers && headers[i]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        headers[i], headers[i + 1]);
  return kvam_creds_http_request (ctx, ctx->metadata_session, msg, NULL, error);
}

/* ---- container and instance metadata ---------------------------------- */

static gboolean
host_is_allowed_for_http (const gchar * host)
{
  static const gchar *const allowed[] = { "localhost", "::1",
    "169.254.170.2", "169.254.170.23", "fd00:ec2::23", NULL
  };

  return g_str_has_prefix (host, "127.") || g_strv_contains (allowed, host);
}

gchar *
kvam_container_credentials_uri (GError ** error)
{
  const gchar *full = g_getenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const gchar *relative = g_getenv ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  g_autoptr (GUri) uri = NULL;

  if (relative && *relative)
    return g_strconcat (ECS_HOST_URI, relative[0] == '/' ? "" : "/",
        relative, NULL);
  if (!full || !*full)
    return NULL;

  uri = g_uri_parse (full, G_URI_FLAGS_NONE, NULL);
  if (!uri || !g_uri_get_host (uri)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: %s", full);
    return NULL;
  }
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
      !host_is_allowed_for_http (g_uri_get_host (uri))) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback / "
        "ECS agent address, not %s", g_uri_get_host (uri));
    return NULL;
  }
  return g_strdup (full);
}

KvamCredentials *
kvam_credentials_from_json (GBytes * body, const gchar * source,
    GError ** error)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *obj;
  const gchar *id, *secret, *token, *expiration;
  gint64 expires_at = 0;
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);

  root = kvam_json_parse_object (data, size, NULL);
  if (!root) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "%s: the response is not a JSON object", source);
    return NULL;
  }
  obj = json_node_get_object (root);
  id = kvam_json_get_string (obj, "AccessKeyId");
  secret = kvam_json_get_string (obj, "SecretAccessKey");
  token = kvam_json_get_string (obj, "Token");
  expiration = kvam_json_get_string (obj, "Expiration");
  if (!id || !secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "%s: the response has no AccessKeyId or SecretAccessKey", source);
    return NULL;
  }
  if (expiration && !kvam_time_parse_iso8601 (expiration, &expires_at)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "%s: Expiration '%s' is not an ISO 8601 time", source, expiration);
    return NULL;
  }
  return kvam_credentials_new (id, secret, token, expires_at, source);
}

KvamCredentials *
kvam_creds_from_container (KvamCredsContext * ctx, GError ** error)
{
  g_autofree gchar *url = kvam_container_credentials_uri (error);
  const gchar *token_file = g_getenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  g_autofree gchar *token = NULL;
  const gchar *headers[3] = { NULL };
  g_autoptr (GBytes) body = NULL;

  if (!url) {
    if (!(error && *error))
      g_string_append (ctx->tried, "; no container credentials URI is set");
    return NULL;
  }
  if (token_file && *token_file) {
    token = kvam_creds_read_token_file (token_file, error);
    if (!token)
      return NULL;
  } else {
    token = g_strdup (g_getenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
  }
  if (token && *token) {
    headers[0] = "Authorization";
    headers[1] = token;
  }
  GST_DEBUG ("fetching container credentials from %s", url);
  body = metadata_request (ctx, "GET", url, headers, error);
  kvam_secret_free (g_steal_pointer (&token));
  if (!body)
    return NULL;
  return kvam_credentials_from_json (body, "container credentials", error);
}

static gboolean
imds_disabled (void)
{
  const gchar *v = g_getenv ("AWS_EC2_METADATA_DISABLED");

  return v && g_ascii_strcasecmp (v, "true") == 0;
}

static gchar *
imds_endpoint (void)
{
  const gchar *v = g_getenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  gsize len;

  if (!v || !*v)
    return g_strdup (DEFAULT_IMDS_ENDPOINT);
  len = strlen (v);
  return g_strndup (v, v[len - 1] == '/' ? len - 1 : len);
}

/* A whole number in [1, @max] from @name, else @fallback. */
static guint
imds_setting (const gchar * name, guint fallback, guint max)
{
  const gchar *v = g_getenv (name);
  guint64 n;

  if (!v || !g_ascii_string_to_unsigned (v, 10, 1, max, &n, NULL)) {
    if (v && *v)
      GST_WARNING ("%s=%s is not a whole number from 1 to %u: using %u",
          name, v, max, fallback);
    return fallback;
  }
  return (guint) n;
}

/* Whether @e says nothing answered at all: no route, refused, timed out,
 * no such host (not cancelled, not an HTTP answer). */
static gboolean
is_unreachable (const GError * e)
{
  return e && e->domain != KVAM_CREDENTIALS_ERROR &&
      !g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* IMDSv2's session token; NULL with @error, or with neither when instance
 * metadata is unreachable (noted in ctx->tried). */
static gchar *
imds_token (KvamCredsContext * ctx, const gchar * base, GError ** error)
{
  const gchar *ttl[] = { "X-aws-ec2-metadata-token-ttl-seconds", "21600",
    NULL
  };
  g_autofree gchar *url = g_strconcat (base, "/latest/api/token", NULL);
  guint attempts = imds_setting ("AWS_METADATA_SERVICE_NUM_ATTEMPTS",
      DEFAULT_IMDS_ATTEMPTS, MAX_IMDS_ATTEMPTS);
  g_autoptr (GBytes) body = NULL;
  GError *e = NULL;
  guint i;

  for (i = 0; i < attempts && !body; i++) {
    g_clear_error (&e);
    body = metadata_request (ctx, "PUT", url, ttl, &e);
  }
  if (body)
    return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (!is_unreachable (e)) {
    g_propagate_error (error, e);
    return NULL;
  }
  GST_DEBUG ("instance metadata at %s: %s", base, e->message);
  g_string_append_printf (ctx->tried, "; instance metadata at %s is "
      "unreachable (%s, %u attempt%s of %u s; not an EC2 instance? set "
      "AWS_EC2_METADATA_DISABLED=true to skip it)", base, e->message,
      attempts, attempts == 1 ? "" : "s", (guint) (ctx->timeout_us /
          G_USEC_PER_SEC));
  g_error_free (e);
  return NULL;
}

static KvamCredentials *
imds_fetch (KvamCredsContext * ctx, const gchar * base, GError ** error)
{
  g_autofree gchar *url = NULL, *token = NULL;
  g_autofree gchar *role = NULL, *role_url = NULL;
  const gchar *auth[] = { "X-aws-ec2-metadata-token", NULL, NULL };
  g_autoptr (GBytes) body = NULL;
  gchar *nl;

  GST_DEBUG ("asking instance metadata at %s", base);
  token = imds_token (ctx, base, error);
  if (!token)
    return NULL;
  auth[1] = token;

  url = g_strconcat (base, "/latest/meta-data/iam/security-credentials/", NULL);
  body = metadata_request (ctx, "GET", url, auth, error);
  if (!body)
    return NULL;
  role = g_strstrip (g_strndup (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body)));
  if ((nl = strchr (role, '\n')))
    *nl = '\0';
  g_clear_pointer (&body, g_bytes_unref);
  if (!*role) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "instance metadata at %s lists no IAM role", base);
    return NULL;
  }

  role_url = g_strconcat (url, role, NULL);
  body = metadata_request (ctx, "GET", role_url, auth, error);
  kvam_secret_free (g_steal_pointer (&token));
  if (!body)
    return NULL;
  return kvam_credentials_from_json (body, "instance metadata", error);
}

KvamCredentials *
kvam_creds_from_imds (KvamCredsContext * ctx, GError ** error)
{
  guint timeout_s = imds_setting ("AWS_METADATA_SERVICE_TIMEOUT",
      DEFAULT_IMDS_TIMEOUT_S, MAX_IMDS_TIMEOUT_S);
  g_autofree gchar *base = NULL;
  g_autoptr (SoupSession) session = NULL;
  KvamCredsContext imds = *ctx;

  if (imds_disabled ()) {
    g_string_append (ctx->tried, "; instance metadata is disabled "
        "(AWS_EC2_METADATA_DISABLED)");
    return NULL;
  }
  base = imds_endpoint ();
  /* its own timeouts, for connecting, each read and a whole response */
  session = soup_session_new_with_options ("timeout", timeout_s,
      "proxy-resolver", NULL, "max-conns", 2, NULL);
  imds.metadata_session = session;
  imds.timeout_us = (gint64) timeout_s *G_USEC_PER_SEC;
  return imds_fetch (&imds, base, error);
}
