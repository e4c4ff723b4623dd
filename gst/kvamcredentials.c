/* kvamsrc: AWS credentials and region, resolved like the AWS default chain
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Order: explicit properties, environment, shared files (credentials then
 * config, for the selected profile), container credentials, EC2 instance
 * metadata (IMDSv2). Temporary keys are cached until the refresh window
 * before their expiry.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentials.h"
#include "kvamconfigfile.h"
#include "kvamjson.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_STATIC (kvam_credentials_debug);
#define GST_CAT_DEFAULT kvam_credentials_debug

#define DEFAULT_REFRESH_WINDOW 300
#define DEFAULT_IMDS_ENDPOINT "http://169.254.169.254"
#define ECS_HOST_URI "http://169.254.170.2"
#define MAX_RESPONSE_SIZE (64 * 1024)

G_DEFINE_QUARK (kvam-credentials-error-quark, kvam_credentials_error);
G_DEFINE_BOXED_TYPE (KvamCredentials, kvam_credentials,
    kvam_credentials_ref, kvam_credentials_unref);

typedef struct
{
  KvamCredentials creds;
  gint refcount;
} KvamCredentialsImpl;

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_credentials_debug, "kvamcredentials", 0,
        "kvamsrc AWS credentials chain");
    g_once_init_leave (&once, 1);
  }
}

KvamCredentials *
kvam_credentials_new (const gchar * access_key_id,
    const gchar * secret_access_key, const gchar * session_token,
    gint64 expiration, const gchar * source)
{
  KvamCredentialsImpl *impl = g_new0 (KvamCredentialsImpl, 1);

  impl->refcount = 1;
  impl->creds.access_key_id = g_strdup (access_key_id);
  impl->creds.secret_access_key = g_strdup (secret_access_key);
  impl->creds.session_token = session_token && *session_token ?
      g_strdup (session_token) : NULL;
  impl->creds.expiration = expiration;
  impl->creds.source = g_strdup (source);
  return &impl->creds;
}

KvamCredentials *
kvam_credentials_ref (KvamCredentials * creds)
{
  g_atomic_int_inc (&((KvamCredentialsImpl *) creds)->refcount);
  return creds;
}

static void
free_secret (gchar * s)
{
  if (s) {
    memset (s, 0, strlen (s));
    g_free (s);
  }
}

void
kvam_credentials_unref (KvamCredentials * creds)
{
  KvamCredentialsImpl *impl = (KvamCredentialsImpl *) creds;

  if (!g_atomic_int_dec_and_test (&impl->refcount))
    return;
  g_free (creds->access_key_id);
  free_secret (creds->secret_access_key);
  free_secret (creds->session_token);
  g_free (creds->source);
  g_free (impl);
}

/* For logs: the key id (not a secret) and where it came from, never the
 * secret or the token. */
gchar *
kvam_credentials_describe (const KvamCredentials * creds)
{
  g_autofree gchar *expiry = NULL;

  if (creds->expiration > 0) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc
        (creds->expiration);
    expiry = g_date_time_format_iso8601 (dt);
  }
  return g_strdup_printf ("key id %s from %s%s%s%s", creds->access_key_id,
      creds->source, creds->session_token ? ", with session token" : "",
      expiry ? ", expires " : "", expiry ? expiry : "");
}

/* ---- shared files ------------------------------------------------------ */

static gchar *
shared_file_path (const gchar * env_var, const gchar * basename)
{
  const gchar *env = g_getenv (env_var);

  if (env && *env) {
    if (env[0] == '~' && env[1] == '/')
      return g_build_filename (g_get_home_dir (), env + 2, NULL);
    return g_strdup (env);
  }
  return g_build_filename (g_get_home_dir (), ".aws", basename, NULL);
}

static const gchar *
selected_profile (const gchar * profile)
{
  const gchar *env = g_getenv ("AWS_PROFILE");

  if (profile && *profile)
    return profile;
  if (env && *env)
    return env;
  return "default";
}

/* A missing file is not an error; a malformed one is. */
static KvamConfigFile *
load_shared_file (const gchar * env_var, const gchar * basename,
    GError ** error)
{
  g_autofree gchar *path = shared_file_path (env_var, basename);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return kvam_config_file_load (path, error);
}

/* Section of @profile in a file: "[name]" in credentials, "[profile name]"
 * (or "[default]") in config. */
static GHashTable *
profile_section (KvamConfigFile * file, const gchar * profile,
    gboolean is_config)
{
  g_autofree gchar *prefixed = NULL;
  GHashTable *section;

  if (!file)
    return NULL;
  if (is_config) {
    prefixed = g_strdup_printf ("profile %s", profile);
    section = kvam_config_file_section (file, prefixed);
    if (section)
      return section;
  }
  return kvam_config_file_section (file, profile);
}

static KvamCredentials *
creds_from_section (GHashTable * section, const gchar * profile,
    const gchar * path, GError ** error)
{
  const gchar *id, *secret, *token;
  g_autofree gchar *source = NULL;

  if (!section)
    return NULL;
  id = g_hash_table_lookup (section, "aws_access_key_id");
  secret = g_hash_table_lookup (section, "aws_secret_access_key");
  token = g_hash_table_lookup (section, "aws_session_token");
  if (!id && !secret)
    return NULL;
  if (!id || !secret || !*id || !*secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "%s: profile '%s' has %s but not %s", path, profile,
        id ? "aws_access_key_id" : "aws_secret_access_key",
        id ? "aws_secret_access_key" : "aws_access_key_id");
    return NULL;
  }
  source = g_strdup_printf ("profile %s (%s)", profile, path);
  return kvam_credentials_new (id, secret, token, 0, source);
}

static KvamCredentials *
creds_from_profile (const gchar * profile_prop, GString * tried,
    GError ** error)
{
  const gchar *profile = selected_profile (profile_prop);
  g_autoptr (KvamConfigFile) cred_file = NULL;
  g_autoptr (KvamConfigFile) conf_file = NULL;
  KvamCredentials *creds;
  GError *err = NULL;

  cred_file = load_shared_file ("AWS_SHARED_CREDENTIALS_FILE", "credentials",
      &err);
  if (!err)
    conf_file = load_shared_file ("AWS_CONFIG_FILE", "config", &err);
  if (err) {
    g_propagate_error (error, err);
    return NULL;
  }

  creds = creds_from_section (profile_section (cred_file, profile, FALSE),
      profile, cred_file ? kvam_config_file_path (cred_file) : "", error);
  if (creds || (error && *error))
    return creds;
  creds = creds_from_section (profile_section (conf_file, profile, TRUE),
      profile, conf_file ? kvam_config_file_path (conf_file) : "", error);
  if (!creds && !(error && *error))
    g_string_append_printf (tried, "; profile '%s' has no keys in %s or %s",
        profile, cred_file ? kvam_config_file_path (cred_file) :
        "the credentials file (absent)",
        conf_file ? kvam_config_file_path (conf_file) :
        "the config file (absent)");
  return creds;
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

struct _KvamCredentialsProvider
{
  gchar *access_key_id;
  gchar *secret_access_key;
  gchar *session_token;
  gchar *profile;
  guint refresh_window;
  gint64 timeout_us;            /* a whole response, headers to last byte */

  SoupSession *session;
  GMutex lock;                  /* never held across a fetch */
  GCond fetched;                /* a fetch ended, or a waiter was cancelled */
  gboolean fetching;            /* one thread walks the chain at a time */
  guint fetches;                /* fetches ended, to tell waiters one did */
  KvamCredentials *cached;
  gchar *files_stamp;           /* the shared files when cached was read */
};

/* One bounded HTTP request; returns the body or NULL with @error set. */
static GBytes *
http_request (KvamCredentialsProvider * self, const gchar * method,
    const gchar * url, const gchar * const *headers,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GBytes) body = NULL;
  GError *e = NULL;
  gint64 deadline = g_get_monotonic_time () + self->timeout_us;
  guint status;
  guint i;

  if (!msg) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "invalid URL %s", url);
    return NULL;
  }
  for (i = 0; headers && headers[i]; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        headers[i], headers[i + 1]);

  /* the whole body within the size cap and the timeout: an endless body
   * reached 6 GB in 12 s read whole, a trickling one blocked start() */
  in = soup_session_send (self->session, msg, cancellable, error);
  if (!in)
    return NULL;
  status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_OK) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s %s answered HTTP %u", method, url, status);
    return NULL;
  }
  body = kvam_read_body (in, MAX_RESPONSE_SIZE, FALSE, deadline, cancellable,
      &e);
  if (!body) {
    if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_propagate_error (error, e);
    else {
      g_set_error (error, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_FETCH, "%s %s: %s", method, url, e->message);
      g_error_free (e);
    }
    return NULL;
  }
  return g_steal_pointer (&body);
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
  id = json_object_get_string_member_with_default (obj, "AccessKeyId", NULL);
  secret = json_object_get_string_member_with_default (obj,
      "SecretAccessKey", NULL);
  token = json_object_get_string_member_with_default (obj, "Token", NULL);
  expiration = json_object_get_string_member_with_default (obj, "Expiration",
      NULL);
  if (!id || !secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "%s: the response has no AccessKeyId or SecretAccessKey", source);
    return NULL;
  }
  if (expiration) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (expiration,
        NULL);
    if (!dt) {
      g_set_error (error, KVAM_CREDENTIALS_ERROR,
          KVAM_CREDENTIALS_ERROR_MALFORMED,
          "%s: Expiration '%s' is not an ISO 8601 time", source, expiration);
      return NULL;
    }
    expires_at = g_date_time_to_unix (dt);
  }
  return kvam_credentials_new (id, secret, token, expires_at, source);
}

static gchar *
read_token_file (const gchar * path, GError ** error)
{
  gchar *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  return g_strstrip (contents);
}

static KvamCredentials *
creds_from_container (KvamCredentialsProvider * self, GString * tried,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *url = kvam_container_credentials_uri (error);
  const gchar *token_file = g_getenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  g_autofree gchar *token = NULL;
  const gchar *headers[3] = { NULL };
  g_autoptr (GBytes) body = NULL;

  if (!url) {
    if (!(error && *error))
      g_string_append (tried, "; no container credentials URI is set");
    return NULL;
  }
  if (token_file && *token_file) {
    token = read_token_file (token_file, error);
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
  body = http_request (self, "GET", url, headers, cancellable, error);
  free_secret (g_steal_pointer (&token));
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

static KvamCredentials *
creds_from_imds (KvamCredentialsProvider * self, GString * tried,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *base = NULL, *url = NULL, *token = NULL;
  g_autofree gchar *role = NULL, *role_url = NULL;
  const gchar *ttl[] = { "X-aws-ec2-metadata-token-ttl-seconds", "21600",
    NULL
  };
  const gchar *auth[] = { "X-aws-ec2-metadata-token", NULL, NULL };
  g_autoptr (GBytes) body = NULL;
  gchar *nl;

  if (imds_disabled ()) {
    g_string_append (tried, "; instance metadata is disabled "
        "(AWS_EC2_METADATA_DISABLED)");
    return NULL;
  }
  base = imds_endpoint ();
  url = g_strconcat (base, "/latest/api/token", NULL);
  GST_DEBUG ("asking instance metadata at %s", base);
  body = http_request (self, "PUT", url, ttl, cancellable, error);
  if (!body)
    return NULL;
  token = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  auth[1] = token;
  g_clear_pointer (&body, g_bytes_unref);

  g_free (url);
  url = g_strconcat (base, "/latest/meta-data/iam/security-credentials/",
      NULL);
  body = http_request (self, "GET", url, auth, cancellable, error);
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
  body = http_request (self, "GET", role_url, auth, cancellable, error);
  free_secret (g_steal_pointer (&token));
  if (!body)
    return NULL;
  return kvam_credentials_from_json (body, "instance metadata", error);
}

/* ---- the chain --------------------------------------------------------- */

static KvamCredentials *
creds_from_properties (KvamCredentialsProvider * self, GString * tried,
    GError ** error)
{
  gboolean has_id = self->access_key_id && *self->access_key_id;
  gboolean has_secret = self->secret_access_key && *self->secret_access_key;

  if (has_id && has_secret)
    return kvam_credentials_new (self->access_key_id,
        self->secret_access_key, self->session_token, 0, "properties");
  if (has_id || has_secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "'%s' is set but '%s' is not: set both, or neither to use the "
        "default credential chain", has_id ? "access-key" :
        "secret-access-key", has_id ? "secret-access-key" : "access-key");
    return NULL;
  }
  g_string_append (tried, "no access-key property");
  return NULL;
}

static KvamCredentials *
creds_from_environment (GString * tried)
{
  const gchar *id = g_getenv ("AWS_ACCESS_KEY_ID");
  const gchar *secret = g_getenv ("AWS_SECRET_ACCESS_KEY");

  if (id && *id && secret && *secret)
    return kvam_credentials_new (id, secret, g_getenv ("AWS_SESSION_TOKEN"),
        0, "environment");
  if ((id && *id) || (secret && *secret))
    g_string_append_printf (tried, "; %s is set without %s",
        id && *id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
        id && *id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
  else
    g_string_append (tried, "; no AWS_ACCESS_KEY_ID in the environment");
  return NULL;
}

static KvamCredentials *
resolve_chain (KvamCredentialsProvider * self, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (GString) tried = g_string_new (NULL);
  KvamCredentials *creds;
  GError *err = NULL;

  if ((creds = creds_from_properties (self, tried, &err)) || err)
    goto done;
  if ((creds = creds_from_environment (tried)))
    goto done;
  if ((creds = creds_from_profile (self->profile, tried, &err)) || err)
    goto done;
  if ((creds = creds_from_container (self, tried, cancellable, &err)) || err)
    goto done;
  if ((creds = creds_from_imds (self, tried, cancellable, &err)) || err)
    goto done;

  g_set_error (&err, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_NOT_FOUND,
      "no AWS credentials found (%s). Set the access-key and "
      "secret-access-key properties, AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials",
      tried->str);

done:
  if (err)
    g_propagate_error (error, err);
  return creds;
}

KvamCredentialsProvider *
kvam_credentials_provider_new (const KvamCredentialsConfig * config)
{
  KvamCredentialsProvider *self = g_new0 (KvamCredentialsProvider, 1);
  guint timeout_s = MAX (1, (config->timeout_ms + 999) / 1000);

  ensure_debug_category ();
  self->access_key_id = g_strdup (config->access_key_id);
  self->secret_access_key = g_strdup (config->secret_access_key);
  self->session_token = g_strdup (config->session_token);
  self->profile = g_strdup (config->profile);
  self->refresh_window = DEFAULT_REFRESH_WINDOW;
  self->timeout_us = (gint64) MAX (config->timeout_ms, 1) * 1000;
  /* no proxy: the metadata services are link-local or loopback */
  self->session = soup_session_new_with_options ("timeout", timeout_s,
      "proxy-resolver", NULL, "max-conns", 2, NULL);
  g_mutex_init (&self->lock);
  g_cond_init (&self->fetched);
  return self;
}

void
kvam_credentials_provider_free (KvamCredentialsProvider * self)
{
  if (!self)
    return;
  g_free (self->access_key_id);
  free_secret (self->secret_access_key);
  free_secret (self->session_token);
  g_free (self->profile);
  g_clear_object (&self->session);
  g_clear_pointer (&self->cached, kvam_credentials_unref);
  g_free (self->files_stamp);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->fetched);
  g_free (self);
}

void
kvam_credentials_provider_set_refresh_window (KvamCredentialsProvider * self,
    guint seconds)
{
  self->refresh_window = seconds;
}

void
kvam_credentials_provider_invalidate (KvamCredentialsProvider * self)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->cached, kvam_credentials_unref);
  g_mutex_unlock (&self->lock);
}

/* Identity and change time of the shared files, to notice a rotation. */
static gchar *
shared_files_stamp (void)
{
  g_autofree gchar *cred = shared_file_path ("AWS_SHARED_CREDENTIALS_FILE",
      "credentials");
  g_autofree gchar *conf = shared_file_path ("AWS_CONFIG_FILE", "config");
  GStatBuf a = { 0 }, b = { 0 };

  g_stat (cred, &a);
  g_stat (conf, &b);
  return g_strdup_printf ("%lu.%ld.%ld/%lu.%ld.%ld", (gulong) a.st_ino,
      (glong) a.st_mtime, (glong) a.st_size, (gulong) b.st_ino,
      (glong) b.st_mtime, (glong) b.st_size);
}

static gboolean
needs_refresh (KvamCredentialsProvider * self, KvamCredentials * creds)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (g_str_has_prefix (creds->source, "profile ")) {
    /* keys from a file last until the file changes */
    g_autofree gchar *stamp = shared_files_stamp ();
    return g_strcmp0 (stamp, self->files_stamp) != 0;
  }
  return creds->expiration > 0 &&
      creds->expiration - (gint64) self->refresh_window <= now;
}

static gboolean
still_valid (KvamCredentials * creds)
{
  return creds && (creds->expiration == 0 ||
      creds->expiration > g_get_real_time () / G_USEC_PER_SEC);
}

/* Walks the chain without the lock, so that other callers can give up
 * waiting for it (unlock()) instead of blocking on the mutex. Called and
 * returns with the lock held. */
static KvamCredentials *
fetch_unlocked (KvamCredentialsProvider * self, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *stamp = shared_files_stamp ();
  KvamCredentials *creds;
  GError *err = NULL;

  self->fetching = TRUE;
  g_mutex_unlock (&self->lock);
  creds = resolve_chain (self, cancellable, &err);
  g_mutex_lock (&self->lock);
  self->fetching = FALSE;
  self->fetches++;
  g_cond_broadcast (&self->fetched);

  if (creds) {
    g_autofree gchar *desc = kvam_credentials_describe (creds);
    GST_INFO ("using %s", desc);
    g_clear_pointer (&self->cached, kvam_credentials_unref);
    self->cached = kvam_credentials_ref (creds);
    g_free (self->files_stamp);
    self->files_stamp = g_steal_pointer (&stamp);
  } else if (self->cached && self->cached->expiration >
      g_get_real_time () / G_USEC_PER_SEC) {
    /* refresh failed but the old temporary keys still work for a while */
    GST_WARNING ("refreshing credentials failed, keeping the current ones: "
        "%s", err->message);
    g_clear_error (&err);
    creds = kvam_credentials_ref (self->cached);
  } else {
    g_propagate_error (error, err);
  }
  return creds;
}

static void
wake_waiters (GCancellable * cancellable, KvamCredentialsProvider * self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->fetched);
  g_mutex_unlock (&self->lock);
}

static KvamCredentials *
cached_if_fresh (KvamCredentialsProvider * self)
{
  if (self->cached && !needs_refresh (self, self->cached))
    return kvam_credentials_ref (self->cached);
  return NULL;
}

/* Waits for the fetch another thread is making; takes its keys when they
 * still work, even inside the refresh window, rather than fetching again. */
static KvamCredentials *
wait_for_fetch (KvamCredentialsProvider * self)
{
  guint seen = self->fetches;

  g_cond_wait (&self->fetched, &self->lock);
  if (self->fetches != seen && still_valid (self->cached))
    return kvam_credentials_ref (self->cached);
  return NULL;
}

KvamCredentials *
kvam_credentials_provider_get (KvamCredentialsProvider * self,
    GCancellable * cancellable, GError ** error)
{
  KvamCredentials *creds;
  gulong handler = 0;

  g_mutex_lock (&self->lock);
  creds = cached_if_fresh (self);
  g_mutex_unlock (&self->lock);
  if (creds)
    return creds;

  /* connected without the lock: it runs at once if already cancelled */
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (wake_waiters),
        self, NULL);
  g_mutex_lock (&self->lock);
  while (!(creds = cached_if_fresh (self))) {
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      break;
    if (!self->fetching) {
      creds = fetch_unlocked (self, cancellable, error);
      break;
    }
    if ((creds = wait_for_fetch (self)))
      break;
  }
  g_mutex_unlock (&self->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return creds;
}

/* ---- region ------------------------------------------------------------ */

gchar *
kvam_resolve_region (const gchar * property, const gchar * profile,
    GError ** error)
{
  const gchar *env_region = g_getenv ("AWS_REGION");
  const gchar *env_default = g_getenv ("AWS_DEFAULT_REGION");
  const gchar *name = selected_profile (profile);
  g_autoptr (KvamConfigFile) conf = NULL;
  GHashTable *section;
  const gchar *region;

  if (property && *property)
    return g_strdup (property);
  if (env_region && *env_region)
    return g_strdup (env_region);
  if (env_default && *env_default)
    return g_strdup (env_default);

  conf = load_shared_file ("AWS_CONFIG_FILE", "config", error);
  if (error && *error)
    return NULL;
  section = profile_section (conf, name, TRUE);
  region = section ? g_hash_table_lookup (section, "region") : NULL;
  if (region && *region)
    return g_strdup (region);

  g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_NO_REGION,
      "no AWS region: set the 'region' property, AWS_REGION or "
      "AWS_DEFAULT_REGION, or 'region' in profile '%s' of ~/.aws/config",
      name);
  return NULL;
}
