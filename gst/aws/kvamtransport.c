/* kvamsrc: HTTP transport settings shared by every AWS call
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One place decides what souphttpsrc's transport properties decide there:
 * which certificates are trusted (ssl-ca-file, AWS_CA_BUNDLE), what an
 * untrusted one does (ssl-strict), the User-Agent, and the proxy
 * (proxy/proxy-id/proxy-pw over HTTPS_PROXY/NO_PROXY).
 */
#define _GNU_SOURCE             /* memfd_create () */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamtransport.h"
#include "kvamfile.h"
#include "kvamsecret.h"
#include "kvamsigv4.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (kvam_transport_debug);
#define GST_CAT_DEFAULT kvam_transport_debug

#define TLS_FLAGS_KEY "kvam-tls-errors"
/* a system bundle is ~200 kB, the largest corporate ones a few MB */
#define MAX_CA_BUNDLE (8 * 1024 * 1024)
#define CA_APPLIED_KEY "kvam-ca-applied"
#define CA_ERROR_KEY "kvam-ca-error"

struct _KvamTransport
{
  gint refcount;
  gchar *ca_file;
  gboolean ssl_strict;
  gchar *user_agent;
  gchar *proxy;
  gchar *proxy_id;
  gchar *proxy_pw;
  void (*untrusted_func) (const gchar * host, const gchar * reason,
      gpointer user_data);
  gpointer user_data;
  GMutex lock;
  GHashTable *warned_hosts;     /* hosts already reported untrusted */
  gboolean ca_checked;          /* the CA bundle was read (or failed) */
  gchar *ca_pem;                /* what it held, until parsed */
  gsize ca_len;
  gchar *ca_error;              /* why it cannot be used: nothing trusted */
  gboolean ca_parsed;
  gint ca_memfd;                /* what ca_db reads, -1 */
  GTlsDatabase *ca_db;          /* what it held, for every session */
  /* ca_*: protected by lock */
};

/* What a session trusts when the configured bundle cannot be used: nothing
 * (never the system's store, a wider trust than the user asked for). */
#define KVAM_TYPE_NO_TRUST_DATABASE (kvam_no_trust_database_get_type ())
G_DECLARE_FINAL_TYPE (KvamNoTrustDatabase, kvam_no_trust_database, KVAM,
    NO_TRUST_DATABASE, GTlsDatabase);

struct _KvamNoTrustDatabase
{
  GTlsDatabase parent;
};

G_DEFINE_TYPE (KvamNoTrustDatabase, kvam_no_trust_database,
    G_TYPE_TLS_DATABASE);

static GTlsCertificateFlags
no_trust_verify_chain (GTlsDatabase * db, GTlsCertificate * chain,
    const gchar * purpose, GSocketConnectable * identity,
    GTlsInteraction * interaction, GTlsDatabaseVerifyFlags flags,
    GCancellable * cancellable, GError ** error)
{
  return G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static void
kvam_no_trust_database_class_init (KvamNoTrustDatabaseClass * klass)
{
  G_TLS_DATABASE_CLASS (klass)->verify_chain = no_trust_verify_chain;
}

static void
kvam_no_trust_database_init (KvamNoTrustDatabase * self)
{
}

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_transport_debug, "kvamtransport", 0,
        "kvamsrc HTTP transport: TLS, proxy, user agent");
    g_once_init_leave (&once, 1);
  }
}

gchar *
kvam_transport_default_user_agent (void)
{
  const gchar *app = g_getenv ("AWS_SDK_UA_APP_ID");
  guint major, minor, micro, nano;

  gst_version (&major, &minor, &micro, &nano);
  /* the SDKs append "app/ID"; an ID with spaces would split the token */
  if (app && *app && !strpbrk (app, " \t\r\n"))
    return g_strdup_printf ("kvamsrc/%s GStreamer/%u.%u.%u app/%s", VERSION,
        major, minor, micro, app);
  return g_strdup_printf ("kvamsrc/%s GStreamer/%u.%u.%u", VERSION, major,
      minor, micro);
}

KvamTransport *
kvam_transport_new (const KvamTransportConfig * config)
{
  KvamTransportConfig defaults = KVAM_TRANSPORT_CONFIG_INIT;
  KvamTransport *self = g_new0 (KvamTransport, 1);

  ensure_debug_category ();
  if (!config)
    config = &defaults;
  self->refcount = 1;
  self->ca_memfd = -1;
  self->ca_file = g_strdup (config->ca_file);
  self->ssl_strict = config->ssl_strict;
  self->user_agent = config->user_agent && *config->user_agent ?
      g_strdup (config->user_agent) : kvam_transport_default_user_agent ();
  self->proxy = config->proxy && *config->proxy ? g_strdup (config->proxy) :
      NULL;
  self->proxy_id = g_strdup (config->proxy_id);
  self->proxy_pw = g_strdup (config->proxy_pw);
  self->untrusted_func = config->untrusted_func;
  self->user_data = config->user_data;
  g_mutex_init (&self->lock);
  self->warned_hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  return self;
}

KvamTransport *
kvam_transport_ref (KvamTransport * self)
{
  g_atomic_int_inc (&self->refcount);
  return self;
}

void
kvam_transport_unref (KvamTransport * self)
{
  if (!self || !g_atomic_int_dec_and_test (&self->refcount))
    return;
  g_free (self->ca_file);
  g_free (self->user_agent);
  g_free (self->proxy);
  g_free (self->proxy_id);
  kvam_secret_free (self->proxy_pw);
  g_hash_table_unref (self->warned_hosts);
  g_free (self->ca_pem);
  g_free (self->ca_error);
  g_clear_object (&self->ca_db);
  if (self->ca_memfd >= 0)
    close (self->ca_memfd);
  g_mutex_clear (&self->lock);
  g_free (self);
}

const gchar *
kvam_transport_get_user_agent (KvamTransport * self)
{
  return self->user_agent;
}

gchar *
kvam_transport_redact_uri (const gchar * uri)
{
  g_autoptr (GUri) u = uri ? g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD,
      NULL) : NULL;

  if (!u)
    return g_strdup (uri ? "(not a URL)" : NULL);
  return g_uri_to_string_partial (u, G_URI_HIDE_PASSWORD);
}

/* ---- proxy --------------------------------------------------------------- */

static const gchar *
env_either (const gchar * upper, const gchar * lower)
{
  const gchar *v = g_getenv (upper);

  return v && *v ? v : g_getenv (lower);
}

GProxyResolver *
kvam_environment_proxy_resolver (void)
{
  const gchar *https = env_either ("HTTPS_PROXY", "https_proxy");
  const gchar *http = env_either ("HTTP_PROXY", "http_proxy");
  const gchar *no = env_either ("NO_PROXY", "no_proxy");
  g_auto (GStrv) ignore = NULL;
  GSimpleProxyResolver *r;
  gchar **h;

  if ((!https || !*https) && (!http || !*http))
    return NULL;
  ignore = no ? g_strsplit (no, ",", -1) : NULL;
  for (h = ignore; h && *h; h++) {
    g_strstrip (*h);
    if (g_str_equal (*h, "*"))
      return NULL;              /* no proxy for any host */
  }
  r = G_SIMPLE_PROXY_RESOLVER (g_simple_proxy_resolver_new (NULL, ignore));
  if (https && *https)
    g_simple_proxy_resolver_set_uri_proxy (r, "https", https);
  if (http && *http)
    g_simple_proxy_resolver_set_uri_proxy (r, "http", http);
  return G_PROXY_RESOLVER (r);
}

/* The proxy property, for every host, as souphttpsrc's: the environment's
 * NO_PROXY does not apply to a proxy asked for by name. */
static GProxyResolver *
property_proxy_resolver (KvamTransport * self)
{
  g_autoptr (GUri) u = g_uri_parse (self->proxy, G_URI_FLAGS_HAS_PASSWORD,
      NULL);
  g_autofree gchar *shown = kvam_transport_redact_uri (self->proxy);

  if (!u || !g_uri_get_host (u)) {
    GST_WARNING ("proxy %s is not a URL; connecting directly", shown);
    return NULL;
  }
  GST_DEBUG ("proxy %s for every host%s", shown, self->proxy_id ?
      ", with proxy-id/proxy-pw" : "");
  return g_simple_proxy_resolver_new (self->proxy, NULL);
}

/* proxy-id/proxy-pw as Basic credentials, sent with the first CONNECT (and
 * with plain-http requests, which go to the proxy itself) rather than after
 * a 407: libsoup 3.2 answers a 407 to CONNECT by retrying the tunnel to
 * the wrong port (docs/design.md, facts), and curl sends Basic this way
 * too. Never added to a request
 * inside a TLS tunnel: that would hand the password to the server. */
static void
add_proxy_authorization (SoupSession * session, SoupMessage * msg,
    KvamTransport * self)
{
  const gchar *method = soup_message_get_method (msg);
  GUri *uri = soup_message_get_uri (msg);
  g_autofree gchar *pair = NULL, *basic = NULL, *value = NULL;

  if (g_strcmp0 (method, SOUP_METHOD_CONNECT) != 0 &&
      g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    return;
  pair = g_strdup_printf ("%s:%s", self->proxy_id, self->proxy_pw ?
      self->proxy_pw : "");
  basic = g_base64_encode ((const guchar *) pair, strlen (pair));
  value = g_strconcat ("Basic ", basic, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg),
      "Proxy-Authorization", value);
  kvam_secret_wipe (pair);
  kvam_secret_wipe (basic);
  kvam_secret_wipe (value);
}

/* ---- session --------------------------------------------------------------- */

/* ssl-ca-file, else AWS_CA_BUNDLE as the AWS SDKs take it: the
 * certificates to trust instead of the system's. */
static const gchar *
ca_file_name (KvamTransport * self)
{
  const gchar *file = self->ca_file && *self->ca_file ? self->ca_file :
      g_getenv ("AWS_CA_BUNDLE");

  return file && *file ? file : NULL;
}

static const gchar *
ca_setting (KvamTransport * self)
{
  return self->ca_file && *self->ca_file ? "ssl-ca-file" : "AWS_CA_BUNDLE";
}

/* Reads the bundle once (bounded, a regular file, PEM certificates); an
 * error is kept. Called with the lock held. */
static void
read_ca (KvamTransport * self)
{
  const gchar *file = ca_file_name (self);
  GError *e = NULL;

  if (self->ca_checked || !file)
    return;
  self->ca_checked = TRUE;
  if (!kvam_file_read_bounded (file, ca_setting (self), MAX_CA_BUNDLE,
          &self->ca_pem, &self->ca_len, &e)) {
    self->ca_error = g_strdup (e->message);
    g_error_free (e);
  } else if (!strstr (self->ca_pem, "-----BEGIN CERTIFICATE-----")) {
    self->ca_error = g_strdup_printf ("%s %s: no PEM certificate in it",
        ca_setting (self), file);
    g_clear_pointer (&self->ca_pem, g_free);
  }
}

/* The checked bytes, parsed from a memory file (@memfd, open while the
 * database is used): what was checked is what is parsed, whatever happens
 * to the file meanwhile. */
static GTlsDatabase *
parse_ca (const gchar * pem, gsize len, gint * memfd, GError ** error)
{
  g_autofree gchar *path = NULL;
  GTlsDatabase *db;
  gint fd = memfd_create ("kvam-ca-bundle", MFD_CLOEXEC);

  if (fd < 0 || write (fd, pem, len) != (gssize) len) {
    if (fd >= 0)
      close (fd);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no memory file "
        "for it: %s", g_strerror (errno));
    return NULL;
  }
  path = g_strdup_printf ("/proc/self/fd/%d", fd);
  db = g_tls_file_database_new (path, error);
  /* the TLS backend may read its anchors again at each handshake */
  if (db)
    *memfd = fd;
  else
    close (fd);
  return db;
}

/* Read once per transport, under the lock: every session shares it. A
 * bundle that cannot be used trusts nothing. */
static GTlsDatabase *
ca_database (KvamTransport * self)
{
  GError *e = NULL;

  read_ca (self);
  if (self->ca_parsed)
    return self->ca_db;
  self->ca_parsed = TRUE;
  if (self->ca_pem) {
    GST_INFO ("reading the CA bundle %s", ca_file_name (self));
    self->ca_db = parse_ca (self->ca_pem, self->ca_len, &self->ca_memfd, &e);
    g_clear_pointer (&self->ca_pem, g_free);
    if (!self->ca_db) {
      self->ca_error = g_strdup_printf ("%s %s: %s", ca_setting (self),
          ca_file_name (self), e->message);
      g_error_free (e);
    }
  }
  if (!self->ca_db) {
    GST_WARNING ("the CA bundle cannot be used (%s): no certificate is "
        "trusted", self->ca_error);
    self->ca_db = g_object_new (KVAM_TYPE_NO_TRUST_DATABASE, NULL);
  }
  return self->ca_db;
}

/* The bundle is applied when a session queues its first https request,
 * not when the session is made: parsing a bundle costs tens of ms and
 * megabytes (docs/design.md, facts), which an http endpoint never needs. Every https
 * request passes here before libsoup opens its connection, and the lock
 * orders the first one before the others. */
static void
apply_ca_file (SoupSession * session, SoupMessage * msg, KvamTransport * self)
{
  if (g_strcmp0 (g_uri_get_scheme (soup_message_get_uri (msg)), "https"))
    return;
  g_mutex_lock (&self->lock);
  if (!g_object_get_data (G_OBJECT (session), CA_APPLIED_KEY)) {
    soup_session_set_tls_database (session, ca_database (self));
    g_object_set_data (G_OBJECT (session), CA_APPLIED_KEY, GINT_TO_POINTER (1));
  }
  if (self->ca_error)
    g_object_set_data_full (G_OBJECT (msg), CA_ERROR_KEY,
        g_strdup (self->ca_error), g_free);
  g_mutex_unlock (&self->lock);
}

SoupSession *
kvam_transport_new_session (KvamTransport * self, guint timeout_s,
    guint max_conns_per_host)
{
  g_autoptr (GProxyResolver) resolver = self->proxy ?
      property_proxy_resolver (self) : kvam_environment_proxy_resolver ();
  SoupSession *session;

  session = soup_session_new_with_options ("timeout", timeout_s,
      "idle-timeout", 60, "user-agent", self->user_agent, "proxy-resolver",
      resolver, "max-conns-per-host", max_conns_per_host, "max-conns",
      2 * max_conns_per_host, NULL);
  if (ca_file_name (self))
    g_signal_connect (session, "request-queued", G_CALLBACK (apply_ca_file),
        self);
  if (self->proxy && resolver && self->proxy_id && *self->proxy_id)
    g_signal_connect (session, "request-queued",
        G_CALLBACK (add_proxy_authorization), self);
  /* no Accept-Encoding, nothing inflated: 250 KB of gzip made 261 MB */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  return session;
}

/* The Host header a signature covers: the port only when not the
 * scheme's default, IPv6 literals in brackets. */
gchar *
kvam_transport_host_header (GUri * uri)
{
  const gchar *host = g_uri_get_host (uri);
  const gchar *scheme = g_uri_get_scheme (uri);
  gint port = g_uri_get_port (uri);
  gboolean v6 = strchr (host, ':') != NULL;
  gboolean default_port = port < 0 ||
      (port == 443 && !g_strcmp0 (scheme, "https")) ||
      (port == 80 && !g_strcmp0 (scheme, "http"));

  if (default_port)
    return g_strdup_printf (v6 ? "[%s]" : "%s", host);
  return g_strdup_printf (v6 ? "[%s]:%d" : "%s:%d", host, port);
}

void
kvam_transport_sign_post (SoupMessage * msg, const KvamSigv4Options * opts,
    const KvamCredentials * creds, GDateTime * when,
    const gchar * content_type, const gchar * body)
{
  GUri *uri = soup_message_get_uri (msg);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  g_autofree gchar *host = kvam_transport_host_header (uri);
  g_autoptr (KvamSigv4Request) req = kvam_sigv4_request_new ("POST",
      g_uri_get_path (uri), g_uri_get_query (uri));
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  KvamSigv4Result r;

  kvam_sigv4_request_add_header (req, "Content-Type", content_type);
  kvam_sigv4_request_add_header (req, "Host", host);
  kvam_sigv4_request_set_body (req, (const guint8 *) body, strlen (body));
  kvam_sigv4_sign_headers (opts, creds, req, when, &r);
  soup_message_headers_replace (h, "Host", host);
  soup_message_headers_replace (h, "X-Amz-Date", r.amz_date);
  if (creds->session_token)
    soup_message_headers_replace (h, "X-Amz-Security-Token",
        creds->session_token);
  soup_message_headers_replace (h, "Authorization", r.authorization);
  /* the message takes its own reference */
  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  kvam_sigv4_result_clear (&r);
}

/* ---- per message ------------------------------------------------------------ */

static gchar *
describe_tls_errors (GTlsCertificateFlags flags)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const gchar *text;
  } reasons[] = {
    {G_TLS_CERTIFICATE_UNKNOWN_CA, "signed by an unknown authority"},
    {G_TLS_CERTIFICATE_BAD_IDENTITY, "issued for another host"},
    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet"},
    {G_TLS_CERTIFICATE_EXPIRED, "expired"},
    {G_TLS_CERTIFICATE_REVOKED, "revoked"},
    {G_TLS_CERTIFICATE_INSECURE, "using an insecure algorithm"},
  };
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", reasons[i].text);
  if (!s->len)
    g_string_append (s, "not valid");
  return g_string_free (s, FALSE);
}

static gboolean
accept_certificate (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, KvamTransport * self)
{
  const gchar *host = g_uri_get_host (soup_message_get_uri (msg));
  g_autofree gchar *reason = describe_tls_errors (errors);
  gboolean first;

  if (self->ssl_strict) {
    g_object_set_data (G_OBJECT (msg), TLS_FLAGS_KEY,
        GUINT_TO_POINTER (errors | (1u << 30)));
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  first = g_hash_table_add (self->warned_hosts, g_strdup (host));
  g_mutex_unlock (&self->lock);
  if (first) {
    GST_WARNING ("the certificate of %s is %s; accepted because ssl-strict "
        "is false", host, reason);
    if (self->untrusted_func)
      self->untrusted_func (host, reason, self->user_data);
  }
  return TRUE;
}

/* A 407 to a plain-http request through the proxy (a non-Basic proxy,
 * say): proxy-id/proxy-pw once, never for the origin. */
static gboolean
authenticate (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    KvamTransport * self)
{
  if (!soup_auth_is_for_proxy (auth) || retrying || !self->proxy_id ||
      !*self->proxy_id)
    return FALSE;
  soup_auth_authenticate (auth, self->proxy_id, self->proxy_pw ?
      self->proxy_pw : "");
  return TRUE;
}

void
kvam_transport_prepare (KvamTransport * self, SoupMessage * msg)
{
  /* the transport outlives the message: the session holds it */
  g_signal_connect (msg, "accept-certificate",
      G_CALLBACK (accept_certificate), self);
  if (self->proxy)
    g_signal_connect (msg, "authenticate", G_CALLBACK (authenticate), self);
}

void
kvam_transport_explain (SoupMessage * msg, GError * error)
{
  guint flags = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (msg),
          TLS_FLAGS_KEY));
  g_autofree gchar *reason = NULL;
  gchar *text;

  const gchar *ca_error = g_object_get_data (G_OBJECT (msg), CA_ERROR_KEY);

  if (!error || !flags)
    return;
  reason = describe_tls_errors (flags & ~(1u << 30));
  if (ca_error)
    text = g_strdup_printf ("the CA bundle cannot be used, so no TLS "
        "certificate is trusted (%s is refused): %s", g_uri_get_host
        (soup_message_get_uri (msg)), ca_error);
  else
    text = g_strdup_printf ("the TLS certificate of %s is not trusted (%s): "
        "set ssl-ca-file (or AWS_CA_BUNDLE) to the CA that signed it, or "
        "ssl-strict=false to accept it anyway",
        g_uri_get_host (soup_message_get_uri (msg)), reason);
  g_free (error->message);
  error->message = text;
}
