/* kvamsrc: AWS credentials and region, resolved like the AWS default chain
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Order, as the AWS SDKs' default chain: explicit properties, environment
 * keys, web identity from the environment (EKS IRSA), the selected profile
 * (assume role, web identity, SSO, credential_process or keys), container
 * credentials, EC2 instance metadata (IMDSv2). Each source lives in a file
 * of its own (kvamcredentialspriv.h lists them). Temporary keys are cached
 * until the refresh window before their expiry; from then on they are
 * refreshed on a thread of the provider's while callers keep using them,
 * at most once per MIN_REFRESH_INTERVAL_S, a failure retried with backoff.
 * Only keys that expired make a caller wait for a fetch. Keys from the
 * shared files are read again when a file changes; a read that fails
 * keeps them (one warning).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentials.h"
#include "kvamcredentialspriv.h"
#include "kvamfile.h"
#include "kvamsecret.h"
#include "kvamurl.h"
#include "kvamjson.h"
#include "kvamwait.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

GST_DEBUG_CATEGORY_STATIC (kvam_credentials_debug);
#define GST_CAT_DEFAULT kvam_credentials_debug

#define DEFAULT_REFRESH_WINDOW 300
/* a refresh that succeeded is not made again before this (a provider that
 * answers keys of a few seconds must not be asked on every request) */
#define MIN_REFRESH_INTERVAL_S 30
/* a refresh that failed is retried after 1, 2, 4 ... up to this */
#define MAX_REFRESH_BACKOFF_S 60
#define MAX_RESPONSE_SIZE (64 * 1024)

/* The chain's one category, shared by the provider files (a function, not
 * an exported variable: the core library is linked into the tests and the
 * plugin both). */
GstDebugCategory *
kvam_creds_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_credentials_debug, "kvamcredentials", 0,
        "kvamsrc AWS credentials chain");
    g_once_init_leave (&once, 1);
  }
  return kvam_credentials_debug;
}

#define ensure_debug_category kvam_creds_debug_category



const gchar *
kvam_creds_home_dir (void)
{
  const gchar *home = g_getenv ("HOME");

  return home && *home ? home : g_get_home_dir ();
}

static gboolean
is_true (const gchar * v)
{
  return v && g_ascii_strcasecmp (v, "true") == 0;
}

static gchar *
without_slash (const gchar * url)
{
  gchar *canonical = kvam_url_canonical (url);
  gsize len = strlen (url);

  /* not a URL: kept, for the request to fail with its text */
  return canonical ? canonical : g_strndup (url, len && url[len - 1] == '/' ?
      len - 1 : len);
}

/* [services NAME] of the profile: "SERVICE.endpoint_url" */
static const gchar *
services_endpoint (KvamConfigFile * conf, GHashTable * profile,
    const gchar * service)
{
  const gchar *name = g_hash_table_lookup (profile, "services");
  g_autofree gchar *header = NULL, *key = NULL;
  GHashTable *section;

  if (!name || !*name)
    return NULL;
  header = g_strconcat ("services ", name, NULL);
  section = kvam_config_file_section (conf, header);
  key = g_strconcat (service, ".endpoint_url", NULL);
  return section ? g_hash_table_lookup (section, key) : NULL;
}

gchar *
kvam_configured_endpoint (const gchar * profile, const gchar * service)
{
  const gchar *ignore = g_getenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  g_autofree gchar *upper = g_ascii_strup (service, -1);
  g_autofree gchar *var = g_strconcat ("AWS_ENDPOINT_URL_", upper, NULL);
  g_autoptr (KvamConfigFile) conf = NULL;
  GHashTable *section;
  const gchar *v;

  /* a malformed file was reported when the region was looked up */
  conf = kvam_creds_load_shared_file ("AWS_CONFIG_FILE", "config", NULL);
  section = kvam_creds_profile_section (conf,
      kvam_creds_selected_profile (profile), TRUE);
  if (ignore && *ignore ? is_true (ignore) : section &&
      is_true (g_hash_table_lookup (section,
              "ignore_configured_endpoint_urls")))
    return NULL;
  if ((v = g_getenv (var)) && *v)
    return without_slash (v);
  if ((v = g_getenv ("AWS_ENDPOINT_URL")) && *v)
    return without_slash (v);
  if (!section)
    return NULL;
  if ((v = services_endpoint (conf, section, service)) && *v)
    return without_slash (v);
  if ((v = g_hash_table_lookup (section, "endpoint_url")) && *v)
    return without_slash (v);
  return NULL;
}

gboolean
kvam_creds_read_file (const gchar * path, gsize max, gchar ** contents,
    gsize * len, GError ** error)
{
  return kvam_file_read_bounded (path, NULL, max, contents, len, error);
}

gchar *
kvam_creds_read_token_file (const gchar * path, GError ** error)
{
  gchar *contents = NULL;

  if (!kvam_creds_read_file (path, KVAM_CREDS_MAX_FILE, &contents, NULL, error))
    return NULL;
  return g_strstrip (contents);
}

GBytes *
kvam_creds_http_request (KvamCredsContext * ctx, SoupSession * session,
    SoupMessage * msg, GBytes ** error_body, GError ** error)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GBytes) body = NULL;
  GError *e = NULL;
  gint64 deadline = g_get_monotonic_time () + ctx->timeout_us;
  g_autofree gchar *url = g_uri_to_string_partial (soup_message_get_uri (msg),
      G_URI_HIDE_PASSWORD | G_URI_HIDE_QUERY);
  const gchar *method = soup_message_get_method (msg);
  guint status;

  /* credentials never follow a redirect to another host */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  if (session != ctx->metadata_session)
    kvam_transport_prepare (ctx->transport, msg);
  /* the whole body within the size cap and the timeout: an endless body
   * reached 6 GB in 12 s read whole, a trickling one blocked start() */
  in = soup_session_send (session, msg, ctx->cancellable, &e);
  if (!in) {
    kvam_transport_explain (msg, e);
    g_propagate_error (error, e);
    return NULL;
  }
  status = soup_message_get_status (msg);
  body = kvam_read_body (in, MAX_RESPONSE_SIZE, status != SOUP_STATUS_OK,
      deadline, ctx->cancellable, &e);
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
  if (status != SOUP_STATUS_OK) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s %s answered HTTP %u", method, url, status);
    if (error_body)
      *error_body = g_steal_pointer (&body);
    return NULL;
  }
  return g_steal_pointer (&body);
}


/* ---- the chain --------------------------------------------------------- */

struct _KvamCredentialsProvider
{
  gchar *access_key_id;
  gchar *secret_access_key;
  gchar *session_token;
  gchar *profile;
  gchar *region;
  guint refresh_window;
  gint64 timeout_us;            /* a whole response, headers to last byte */

  KvamTransport *transport;
  SoupSession *metadata_session;
  SoupSession *session;
  GMutex lock;                  /* never held across a fetch */
  GCond fetched;                /* a fetch ended, or a waiter was cancelled */
  gboolean fetching;            /* one thread walks the chain at a time */
  guint fetches;                /* fetches ended, to tell waiters one did */
  KvamCredentials *cached;
  gchar *files_stamp;           /* the shared files when cached was read,
                                 * or when reading them last failed */
  gint64 next_refresh;          /* monotonic µs: no refresh before */
  guint refresh_failures;       /* in a row */
  GThread *refresher;           /* the last background refresh */
  GCancellable *closing;        /* stops it: cancelled by free */
  /* everything above: protected by lock */
};

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

/* The strings stay while @cached is held (the properties and the
 * environment outlive a fetch). */
static void
known_secrets (KvamCredentialsProvider * self, KvamCredentials * cached,
    const gchar ** secrets)
{
  const gchar *all[] = { self->secret_access_key, self->session_token,
    cached ? cached->secret_access_key : NULL,
    cached ? cached->session_token : NULL,
    g_getenv ("AWS_SECRET_ACCESS_KEY"), g_getenv ("AWS_SESSION_TOKEN")
  };
  guint i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i] && *all[i])
      secrets[n++] = all[i];
  secrets[n] = NULL;
}

static KvamCredentials *
resolve_chain (KvamCredentialsProvider * self, KvamCredentials * cached,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GString) tried = g_string_new (NULL);
  const gchar *secrets[7];
  KvamCredsContext ctx = { self->metadata_session, self->session,
    self->transport, self->timeout_us, self->region, self->profile,
    cancellable, tried, secrets
  };
  KvamCredentials *creds;
  GError *err = NULL;

  known_secrets (self, cached, secrets);
  GST_DEBUG ("walking the chain (profile %s)", kvam_creds_selected_profile
      (self->profile));
  if ((creds = creds_from_properties (self, tried, &err)) || err)
    goto done;
  if ((creds = kvam_creds_from_environment (&ctx)))
    goto done;
  if ((creds = kvam_creds_from_web_identity_env (&ctx, &err)) || err)
    goto done;
  if ((creds = kvam_creds_from_profile (&ctx, self->profile, &err)) || err)
    goto done;
  if ((creds = kvam_creds_from_container (&ctx, &err)) || err)
    goto done;
  if ((creds = kvam_creds_from_imds (&ctx, &err)) || err)
    goto done;

  g_set_error (&err, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_NOT_FOUND,
      "no AWS credentials found (%s). Set the access-key and "
      "secret-access-key properties, AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials or "
      "~/.aws/config", tried->str);

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
  self->region = g_strdup (config->region);
  self->refresh_window = DEFAULT_REFRESH_WINDOW;
  self->timeout_us = (gint64) MAX (config->timeout_ms, 1) * 1000;
  self->transport = config->transport ? kvam_transport_ref
      (config->transport) : kvam_transport_new (NULL);
  /* no proxy: the metadata services are link-local or loopback */
  self->metadata_session = soup_session_new_with_options ("timeout",
      timeout_s, "proxy-resolver", NULL, "max-conns", 2, NULL);
  /* STS and the SSO portal: through the proxy, with ssl-ca-file */
  self->session = kvam_transport_new_session (self->transport, timeout_s, 2);
  self->closing = g_cancellable_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->fetched);
  return self;
}

void
kvam_credentials_provider_free (KvamCredentialsProvider * self)
{
  if (!self)
    return;
  g_cancellable_cancel (self->closing);
  if (self->refresher)
    g_thread_join (self->refresher);
  g_object_unref (self->closing);
  g_free (self->access_key_id);
  kvam_secret_free (self->secret_access_key);
  kvam_secret_free (self->session_token);
  g_free (self->profile);
  g_free (self->region);
  g_clear_object (&self->metadata_session);
  g_clear_object (&self->session);
  kvam_transport_unref (self->transport);
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
  g_autofree gchar *cred = kvam_creds_shared_file_path
      ("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  g_autofree gchar *conf = kvam_creds_shared_file_path ("AWS_CONFIG_FILE",
      "config");
  GStatBuf a = { 0 }, b = { 0 };

  g_stat (cred, &a);
  g_stat (conf, &b);
  return g_strdup_printf ("%lu.%ld.%ld/%lu.%ld.%ld", (gulong) a.st_ino,
      (glong) a.st_mtime, (glong) a.st_size, (gulong) b.st_ino,
      (glong) b.st_mtime, (glong) b.st_size);
}

/* Keys read from the shared files: they last until a file changes. */
static gboolean
from_files (KvamCredentials * creds)
{
  return creds->expiration == 0 && g_str_has_prefix (creds->source, "profile ");
}

static gboolean
needs_refresh (KvamCredentialsProvider * self, KvamCredentials * creds)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (from_files (creds)) {
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

/* An answer must be usable: keys that expired already would be fetched
 * again on every request. */
static gboolean
check_answer (KvamCredentials * creds, GError ** error)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *when = NULL;

  if (still_valid (creds))
    return TRUE;
  dt = g_date_time_new_from_unix_utc (creds->expiration);
  when = dt ? g_date_time_format_iso8601 (dt) : g_strdup ("?");
  g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
      "%s gave keys that had already expired (at %s): check its clock and "
      "its configuration", creds->source, when);
  return FALSE;
}

/* After a fetch: a failure is retried after a backoff; keys that are in
 * their refresh window from the start are not refreshed again before the
 * minimum interval. Called with the lock held. */
static void
schedule_refresh (KvamCredentialsProvider * self, KvamCredentials * got)
{
  gint64 delay_s = 0;

  if (!got) {
    delay_s = MIN ((gint64) 1 << MIN (self->refresh_failures, 6),
        MAX_REFRESH_BACKOFF_S);
    self->refresh_failures++;
  } else {
    self->refresh_failures = 0;
    if (!from_files (got) && needs_refresh (self, got))
      delay_s = MIN_REFRESH_INTERVAL_S;
  }
  self->next_refresh = g_get_monotonic_time () + delay_s * G_USEC_PER_SEC;
}

/* A fetch failed while keys are cached: TRUE if they are kept (temporary
 * keys not yet expired, keys from files whose new contents do not
 * read). Called with the lock held. */
static gboolean
keep_cached (KvamCredentialsProvider * self, gchar ** stamp, GError * err)
{
  if (!self->cached || !still_valid (self->cached))
    return FALSE;
  if (from_files (self->cached)) {
    /* warned once: the files are not read again until they change */
    GST_WARNING ("the AWS shared files changed but could not be read: "
        "keeping the keys read before (%s): %s", self->cached->source,
        err->message);
    g_free (self->files_stamp);
    self->files_stamp = g_steal_pointer (stamp);
  } else {
    GST_WARNING ("refreshing credentials failed, keeping the current ones "
        "(retried in %u s): %s", (guint) ((self->next_refresh -
                g_get_monotonic_time () + G_USEC_PER_SEC - 1) /
            G_USEC_PER_SEC), err->message);
  }
  return TRUE;
}

/* Walks the chain without the lock, so that other callers can give up
 * waiting for it (unlock()) instead of blocking on the mutex. Called with
 * fetching set and the lock held; returns with the lock held. */
static KvamCredentials *
fetch_unlocked (KvamCredentialsProvider * self, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *stamp = shared_files_stamp ();
  g_autoptr (KvamCredentials) before = self->cached ?
      kvam_credentials_ref (self->cached) : NULL;
  KvamCredentials *creds;
  GError *err = NULL;

  g_mutex_unlock (&self->lock);
  creds = resolve_chain (self, before, cancellable, &err);
  if (creds && !check_answer (creds, &err))
    g_clear_pointer (&creds, kvam_credentials_unref);
  g_mutex_lock (&self->lock);
  self->fetching = FALSE;
  self->fetches++;
  g_cond_broadcast (&self->fetched);
  schedule_refresh (self, creds);

  if (creds) {
    g_autofree gchar *desc = kvam_credentials_describe (creds);
    GST_INFO ("using %s", desc);
    g_clear_pointer (&self->cached, kvam_credentials_unref);
    self->cached = kvam_credentials_ref (creds);
    g_free (self->files_stamp);
    self->files_stamp = g_steal_pointer (&stamp);
  } else if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      keep_cached (self, &stamp, err)) {
    g_clear_error (&err);
    creds = kvam_credentials_ref (self->cached);
  } else {
    g_propagate_error (error, err);
  }
  return creds;
}

static gpointer
refresh_thread (gpointer data)
{
  KvamCredentialsProvider *self = data;

  KvamCredentials *creds;

  g_mutex_lock (&self->lock);
  creds = fetch_unlocked (self, self->closing, NULL);
  g_mutex_unlock (&self->lock);
  if (creds)
    kvam_credentials_unref (creds);
  return NULL;
}

/* Temporary keys in their refresh window: fetched again on the provider's
 * thread, when none runs and the interval or backoff allows, while the
 * callers go on with them. Called with the lock held. */
static void
maybe_refresh_behind (KvamCredentialsProvider * self)
{
  if (self->fetching || g_get_monotonic_time () < self->next_refresh ||
      g_cancellable_is_cancelled (self->closing))
    return;
  if (self->refresher)
    g_thread_join (self->refresher);    /* it ended: fetching was clear */
  self->fetching = TRUE;
  self->refresher = g_thread_new ("kvamcreds", refresh_thread, self);
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

/* The cached keys when they can be used now, maybe starting a refresh
 * behind them. Called with the lock held. */
static KvamCredentials *
usable_cached (KvamCredentialsProvider * self)
{
  if (!self->cached)
    return NULL;
  if (!needs_refresh (self, self->cached))
    return kvam_credentials_ref (self->cached);
  /* changed files are read again before use: that is quick, and a
   * rotated key must take effect at once */
  if (from_files (self->cached) || !still_valid (self->cached))
    return NULL;
  maybe_refresh_behind (self);
  return kvam_credentials_ref (self->cached);
}

KvamCredentials *
kvam_credentials_provider_get (KvamCredentialsProvider * self,
    GCancellable * cancellable, GError ** error)
{
  KvamCredentials *creds;
  KvamCancelWake wake;

  kvam_cancel_wake_connect (&wake, cancellable, &self->lock, &self->fetched);
  g_mutex_lock (&self->lock);
  while (!(creds = usable_cached (self))) {
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      break;
    if (!self->fetching) {
      self->fetching = TRUE;
      creds = fetch_unlocked (self, cancellable, error);
      break;
    }
    if ((creds = wait_for_fetch (self)))
      break;
  }
  g_mutex_unlock (&self->lock);
  kvam_cancel_wake_disconnect (&wake);
  return creds;
}

/* ---- region ------------------------------------------------------------ */

gchar *
kvam_resolve_region (const gchar * property, const gchar * profile,
    GError ** error)
{
  const gchar *env_region = g_getenv ("AWS_REGION");
  const gchar *env_default = g_getenv ("AWS_DEFAULT_REGION");
  const gchar *name = kvam_creds_selected_profile (profile);
  g_autoptr (KvamConfigFile) conf = NULL;
  g_autofree gchar *from = NULL;
  GHashTable *section;
  const gchar *region = NULL;

  if (property && *property) {
    region = property;
    from = g_strdup ("the 'region' property");
  } else if (env_region && *env_region) {
    region = env_region;
    from = g_strdup ("AWS_REGION");
  } else if (env_default && *env_default) {
    region = env_default;
    from = g_strdup ("AWS_DEFAULT_REGION");
  } else {
    conf = kvam_creds_load_shared_file ("AWS_CONFIG_FILE", "config", error);
    if (error && *error)
      return NULL;
    section = kvam_creds_profile_section (conf, name, TRUE);
    region = section ? g_hash_table_lookup (section, "region") : NULL;
    from = g_strdup_printf ("'region' of profile '%s'", name);
  }
  if (region && *region) {
    if (kvam_region_is_valid (region))
      return g_strdup (region);
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NO_REGION, "%s is not a region: '%s' ("
        KVAM_REGION_FORM ")", from, region);
    return NULL;
  }
  g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_NO_REGION,
      "no AWS region: set the 'region' property, AWS_REGION or "
      "AWS_DEFAULT_REGION, or 'region' in profile '%s' of ~/.aws/config", name);
  return NULL;
}
