/* kvamsrc: AWS Signature Version 4
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Canonical request, string to sign and signature as the AWS SigV4 test
 * suite and botocore define them. Kinesis Video hashes the JSON body into the
 * canonical request but does not send x-amz-content-sha256.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsigv4.h"
#include "kvamsecret.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

typedef struct
{
  gchar *name;                  /* lowercase */
  GString *value;               /* canonical, repeated names joined by ',' */
} CanonicalHeader;

struct _KvamSigv4Request
{
  gchar *method;
  gchar *path;
  gchar *query;
  GPtrArray *headers;           /* CanonicalHeader, in insertion order */
  GBytes *body;
};

static void
canonical_header_free (CanonicalHeader * h)
{
  g_free (h->name);
  g_string_free (h->value, TRUE);
  g_free (h);
}

/* OpenSSL frees its per-thread state from an atexit handler by default.
 * GStreamer's pooled streaming threads can still be exiting then, and their
 * thread-local destructors ran into the freed state: "double free or
 * corruption" or a crash in OPENSSL_sk_value at process exit, about 1 run
 * in 60 of a test that plays two pipelines. A library must not clean up
 * OpenSSL behind its host's back; the process's exit frees it anyway. */
static void
ensure_openssl (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, NULL);
    g_once_init_leave (&once, 1);
  }
}

KvamSigv4Request *
kvam_sigv4_request_new (const gchar * method, const gchar * path,
    const gchar * query)
{
  KvamSigv4Request *req = g_new0 (KvamSigv4Request, 1);

  ensure_openssl ();
  req->method = g_strdup (method);
  req->path = g_strdup (path && *path ? path : "/");
  req->query = g_strdup (query ? query : "");
  req->headers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      canonical_header_free);
  req->body = g_bytes_new_static ("", 0);
  return req;
}

void
kvam_sigv4_request_free (KvamSigv4Request * req)
{
  if (!req)
    return;
  g_free (req->method);
  g_free (req->path);
  g_free (req->query);
  g_ptr_array_unref (req->headers);
  g_bytes_unref (req->body);
  g_free (req);
}

/* Trim, and fold every run of white space (folded lines included) into one
 * space, as SigV4 asks. */
static void
append_trimmed_value (GString * out, const gchar * value)
{
  gboolean pending_space = FALSE;
  gboolean any = FALSE;
  const gchar *p;

  for (p = value; *p; p++) {
    if (g_ascii_isspace (*p)) {
      pending_space = any;
      continue;
    }
    if (pending_space)
      g_string_append_c (out, ' ');
    g_string_append_c (out, *p);
    pending_space = FALSE;
    any = TRUE;
  }
}

void
kvam_sigv4_request_add_header (KvamSigv4Request * req, const gchar * name,
    const gchar * value)
{
  gchar *lower = g_ascii_strdown (name, -1);
  CanonicalHeader *h = NULL;
  guint i;

  g_strstrip (lower);
  for (i = 0; i < req->headers->len; i++) {
    CanonicalHeader *cur = g_ptr_array_index (req->headers, i);
    if (strcmp (cur->name, lower) == 0) {
      h = cur;
      break;
    }
  }
  if (h) {
    g_string_append_c (h->value, ',');
    g_free (lower);
  } else {
    h = g_new0 (CanonicalHeader, 1);
    h->name = lower;
    h->value = g_string_new (NULL);
    g_ptr_array_add (req->headers, h);
  }
  append_trimmed_value (h->value, value);
}

void
kvam_sigv4_request_set_body (KvamSigv4Request * req, const guint8 * body,
    gsize size)
{
  g_bytes_unref (req->body);
  req->body = g_bytes_new (body, size);
}

void
kvam_sigv4_result_clear (KvamSigv4Result * r)
{
  g_clear_pointer (&r->canonical_request, g_free);
  g_clear_pointer (&r->string_to_sign, g_free);
  g_clear_pointer (&r->signature, g_free);
  g_clear_pointer (&r->amz_date, g_free);
  if (r->authorization)
    kvam_secret_wipe (r->authorization);
  g_clear_pointer (&r->authorization, g_free);
  g_clear_pointer (&r->content_sha256, g_free);
  g_clear_pointer (&r->query, g_free);
}

static gchar *
hex_encode (const guint8 * data, gsize size)
{
  static const gchar digits[] = "0123456789abcdef";
  gchar *out = g_malloc (size * 2 + 1);
  gsize i;

  for (i = 0; i < size; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  out[size * 2] = '\0';
  return out;
}

static gchar *
kvam_sigv4_hex_sha256 (const guint8 * data, gsize size)
{
  guint8 digest[SHA256_DIGEST_LENGTH];

  SHA256 (data, size, digest);
  return hex_encode (digest, sizeof (digest));
}

static void
hmac_sha256 (const guint8 * key, gsize key_len, const gchar * msg,
    guint8 out[SHA256_DIGEST_LENGTH])
{
  unsigned int len = SHA256_DIGEST_LENGTH;

  HMAC (EVP_sha256 (), key, (int) key_len, (const guint8 *) msg, strlen (msg),
      out, &len);
}

/* RFC 3986 unreserved characters stay, everything else is %XX (uppercase). */
static gchar *
kvam_sigv4_uri_encode (const gchar * s, gboolean keep_slash)
{
  GString *out = g_string_sized_new (strlen (s) + 8);
  const guchar *p;

  for (p = (const guchar *) s; *p; p++) {
    if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'
        || *p == '~' || (keep_slash && *p == '/'))
      g_string_append_c (out, *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  }
  return g_string_free (out, FALSE);
}

/* Drop empty and "." segments and resolve "..", keeping a trailing slash. */
static gchar *
normalize_path (const gchar * path)
{
  gchar **segments = g_strsplit (path, "/", -1);
  GPtrArray *kept = g_ptr_array_new ();
  gboolean trailing_slash = g_str_has_suffix (path, "/");
  GString *out = g_string_new (NULL);
  guint i;

  for (i = 0; segments[i]; i++) {
    const gchar *seg = segments[i];
    if (*seg == '\0' || strcmp (seg, ".") == 0)
      continue;
    if (strcmp (seg, "..") == 0) {
      if (kept->len)
        g_ptr_array_remove_index (kept, kept->len - 1);
      continue;
    }
    g_ptr_array_add (kept, (gpointer) seg);
  }
  for (i = 0; i < kept->len; i++)
    g_string_append_printf (out, "/%s", (const gchar *) kept->pdata[i]);
  if (kept->len == 0 || trailing_slash)
    g_string_append_c (out, '/');

  g_ptr_array_unref (kept);
  g_strfreev (segments);
  return g_string_free (out, FALSE);
}

static gchar *
canonical_path (const KvamSigv4Options * opts, const gchar * path)
{
  g_autofree gchar *normalized = opts->normalize_path ?
      normalize_path (path) : g_strdup (path);

  return kvam_sigv4_uri_encode (normalized, TRUE);
}

typedef struct
{
  gchar *key;                   /* encoded */
  gchar *value;                 /* encoded */
} QueryParam;

static void
query_param_free (QueryParam * q)
{
  g_free (q->key);
  g_free (q->value);
  g_free (q);
}

static void
query_params_add (GPtrArray * params, const gchar * key, const gchar * value)
{
  QueryParam *q = g_new (QueryParam, 1);

  q->key = kvam_sigv4_uri_encode (key, FALSE);
  q->value = kvam_sigv4_uri_encode (value, FALSE);
  g_ptr_array_add (params, q);
}

/* Parse "a=b&c" (percent-decoding each part) into encoded parameters. */
static void
query_params_parse (GPtrArray * params, const gchar * query)
{
  gchar **pairs = g_strsplit (query, "&", -1);
  guint i;

  for (i = 0; pairs[i]; i++) {
    gchar *eq;
    g_autofree gchar *key = NULL, *value = NULL;

    if (*pairs[i] == '\0')
      continue;
    eq = strchr (pairs[i], '=');
    if (eq)
      *eq = '\0';
    key = g_uri_unescape_string (pairs[i], NULL);
    value = eq ? g_uri_unescape_string (eq + 1, NULL) : g_strdup ("");
    /* undecodable input is signed as it came */
    query_params_add (params, key ? key : pairs[i],
        value ? value : (eq ? eq + 1 : ""));
  }
  g_strfreev (pairs);
}

static gint
query_param_cmp (gconstpointer a, gconstpointer b)
{
  const QueryParam *qa = *(const QueryParam **) a;
  const QueryParam *qb = *(const QueryParam **) b;
  gint r = strcmp (qa->key, qb->key);

  return r ? r : strcmp (qa->value, qb->value);
}

static gchar *
query_params_join (GPtrArray * params, gboolean sorted)
{
  GString *out = g_string_new (NULL);
  /* a view without a free function: the copy of g_ptr_array_copy() would
   * inherit @params' and free the parameters */
  g_autoptr (GPtrArray) view = g_ptr_array_sized_new (params->len);
  guint i;

  for (i = 0; i < params->len; i++)
    g_ptr_array_add (view, params->pdata[i]);

  if (sorted)
    g_ptr_array_sort (view, query_param_cmp);
  for (i = 0; i < view->len; i++) {
    QueryParam *q = g_ptr_array_index (view, i);
    g_string_append_printf (out, "%s%s=%s", i ? "&" : "", q->key, q->value);
  }
  return g_string_free (out, FALSE);
}

static gint
header_cmp (gconstpointer a, gconstpointer b)
{
  const CanonicalHeader *ha = *(const CanonicalHeader **) a;
  const CanonicalHeader *hb = *(const CanonicalHeader **) b;

  return strcmp (ha->name, hb->name);
}

/* Header lines and the signed-header list, from the request's headers plus
 * @extra (name/value pairs, NULL-terminated). */
static void
canonical_headers (const KvamSigv4Request * req, const gchar * const *extra,
    gchar ** lines, gchar ** signed_list)
{
  g_autoptr (KvamSigv4Request) all = kvam_sigv4_request_new ("", "/", "");
  GString *l = g_string_new (NULL), *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < req->headers->len; i++) {
    CanonicalHeader *h = g_ptr_array_index (req->headers, i);
    kvam_sigv4_request_add_header (all, h->name, h->value->str);
  }
  for (i = 0; extra && extra[i]; i += 2)
    kvam_sigv4_request_add_header (all, extra[i], extra[i + 1]);
  g_ptr_array_sort (all->headers, header_cmp);

  for (i = 0; i < all->headers->len; i++) {
    CanonicalHeader *h = g_ptr_array_index (all->headers, i);
    g_string_append_printf (l, "%s:%s\n", h->name, h->value->str);
    g_string_append_printf (s, "%s%s", i ? ";" : "", h->name);
  }
  *lines = g_string_free (l, FALSE);
  *signed_list = g_string_free (s, FALSE);
}

static gchar *
body_hash (const KvamSigv4Request * req)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (req->body, &size);

  return kvam_sigv4_hex_sha256 (data, size);
}

static gchar *
credential_scope (const KvamSigv4Options * opts, const gchar * date)
{
  return g_strdup_printf ("%s/%s/%s/aws4_request", date, opts->region,
      opts->service);
}

/* Fills canonical request, string to sign and signature of @out. */
static void
sign_canonical (const KvamSigv4Options * opts, const KvamCredentials * creds,
    const gchar * method, const gchar * path, const gchar * query,
    const gchar * header_lines, const gchar * signed_list,
    const gchar * payload_hash, const gchar * amz_date, KvamSigv4Result * out)
{
  g_autofree gchar *date = g_strndup (amz_date, 8);
  g_autofree gchar *scope = credential_scope (opts, date);
  g_autofree gchar *creq_hash = NULL;
  g_autofree gchar *secret = NULL;
  guint8 k[SHA256_DIGEST_LENGTH];
  guint8 sig[SHA256_DIGEST_LENGTH];

  out->canonical_request = g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n%s", method,
      path, query, header_lines, signed_list, payload_hash);
  creq_hash = kvam_sigv4_hex_sha256 ((const guint8 *) out->canonical_request,
      strlen (out->canonical_request));
  out->string_to_sign = g_strdup_printf (ALGORITHM "\n%s\n%s\n%s", amz_date,
      scope, creq_hash);

  secret = g_strconcat ("AWS4", creds->secret_access_key, NULL);
  hmac_sha256 ((const guint8 *) secret, strlen (secret), date, k);
  kvam_secret_wipe (secret);
  hmac_sha256 (k, sizeof (k), opts->region, k);
  hmac_sha256 (k, sizeof (k), opts->service, k);
  hmac_sha256 (k, sizeof (k), "aws4_request", k);
  hmac_sha256 (k, sizeof (k), out->string_to_sign, sig);
  memset (k, 0, sizeof (k));
  out->signature = hex_encode (sig, sizeof (sig));
}

static gchar *
format_amz_date (GDateTime * when)
{
  g_autoptr (GDateTime) utc = g_date_time_to_utc (when);

  return g_date_time_format (utc, "%Y%m%dT%H%M%SZ");
}

void
kvam_sigv4_sign_headers (const KvamSigv4Options * opts,
    const KvamCredentials * creds, const KvamSigv4Request * req,
    GDateTime * when, KvamSigv4Result * out)
{
  g_autofree gchar *payload = body_hash (req);
  g_autofree gchar *path = canonical_path (opts, req->path);
  g_autoptr (GPtrArray) params =
      g_ptr_array_new_with_free_func ((GDestroyNotify) query_param_free);
  g_autofree gchar *query = NULL, *lines = NULL, *signed_list = NULL;
  g_autofree gchar *date = NULL, *scope = NULL;
  const gchar *extra[7] = { NULL };
  guint n = 0;

  memset (out, 0, sizeof (*out));
  out->amz_date = format_amz_date (when);
  extra[n++] = "x-amz-date";
  extra[n++] = out->amz_date;
  if (opts->add_content_sha256) {
    out->content_sha256 = g_strdup (payload);
    extra[n++] = "x-amz-content-sha256";
    extra[n++] = out->content_sha256;
  }
  if (creds->session_token && !opts->omit_session_token) {
    extra[n++] = "x-amz-security-token";
    extra[n++] = creds->session_token;
  }

  query_params_parse (params, req->query);
  query = query_params_join (params, TRUE);
  canonical_headers (req, extra, &lines, &signed_list);
  sign_canonical (opts, creds, req->method, path, query, lines, signed_list,
      payload, out->amz_date, out);

  date = g_strndup (out->amz_date, 8);
  scope = credential_scope (opts, date);
  out->authorization = g_strdup_printf (ALGORITHM " Credential=%s/%s, "
      "SignedHeaders=%s, Signature=%s", creds->access_key_id, scope,
      signed_list, out->signature);
}

void
kvam_sigv4_presign (const KvamSigv4Options * opts,
    const KvamCredentials * creds, const KvamSigv4Request * req,
    GDateTime * when, guint expires_seconds, KvamSigv4Result * out)
{
  g_autofree gchar *payload = body_hash (req);
  g_autofree gchar *path = canonical_path (opts, req->path);
  g_autoptr (GPtrArray) params =
      g_ptr_array_new_with_free_func ((GDestroyNotify) query_param_free);
  g_autofree gchar *lines = NULL, *signed_list = NULL, *date = NULL;
  g_autofree gchar *scope = NULL, *credential = NULL, *expires = NULL;
  g_autofree gchar *canonical_query = NULL, *sent_query = NULL;
  gboolean sign_token = creds->session_token && !opts->omit_session_token;

  memset (out, 0, sizeof (*out));
  out->amz_date = format_amz_date (when);
  date = g_strndup (out->amz_date, 8);
  scope = credential_scope (opts, date);
  credential = g_strdup_printf ("%s/%s", creds->access_key_id, scope);
  expires = g_strdup_printf ("%u", expires_seconds);
  canonical_headers (req, NULL, &lines, &signed_list);

  /* botocore's order on the wire: the caller's parameters, then these */
  query_params_parse (params, req->query);
  query_params_add (params, "X-Amz-Algorithm", ALGORITHM);
  query_params_add (params, "X-Amz-Credential", credential);
  query_params_add (params, "X-Amz-Date", out->amz_date);
  query_params_add (params, "X-Amz-Expires", expires);
  query_params_add (params, "X-Amz-SignedHeaders", signed_list);
  if (sign_token)
    query_params_add (params, "X-Amz-Security-Token", creds->session_token);
  canonical_query = query_params_join (params, TRUE);

  sign_canonical (opts, creds, req->method, path, canonical_query, lines,
      signed_list, payload, out->amz_date, out);

  if (creds->session_token && !sign_token)
    query_params_add (params, "X-Amz-Security-Token", creds->session_token);
  query_params_add (params, "X-Amz-Signature", out->signature);
  sent_query = query_params_join (params, FALSE);
  out->query = g_steal_pointer (&sent_query);
}
