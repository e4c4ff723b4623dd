/* kvs-emulator: SigV4 checks, as the AWS front end makes them
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Recomputes each request's signature with kvamsrc's own signer from what
 * the client says it signed; the signer itself is checked against AWS's
 * published suite (tests/check/aws/kvamsigv4.c).
 */
#include "kvsemulatorpriv.h"
#include "kvamsigv4.h"

#include <string.h>


typedef struct
{
  gchar *access_key;
  gchar *date;
  gchar *region;
  gchar *service;
  gchar **signed_headers;
  gchar *signature;
} AuthHeader;

static void
auth_header_clear (AuthHeader * a)
{
  g_free (a->access_key);
  g_free (a->date);
  g_free (a->region);
  g_free (a->service);
  g_strfreev (a->signed_headers);
  g_free (a->signature);
}

/* "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 *  SignedHeaders=a;b, Signature=hex" */
static gboolean
parse_authorization (const gchar * value, AuthHeader * out)
{
  g_auto (GStrv) parts = NULL;
  guint i;

  memset (out, 0, sizeof (*out));
  if (!value || !g_str_has_prefix (value, "AWS4-HMAC-SHA256 "))
    return FALSE;
  parts = g_strsplit (value + strlen ("AWS4-HMAC-SHA256 "), ",", -1);
  for (i = 0; parts[i]; i++) {
    gchar *p = g_strstrip (parts[i]);
    if (g_str_has_prefix (p, "Credential=")) {
      g_auto (GStrv) scope = g_strsplit (p + strlen ("Credential="), "/", -1);
      if (g_strv_length (scope) != 5 || strcmp (scope[4], "aws4_request"))
        return FALSE;
      out->access_key = g_strdup (scope[0]);
      out->date = g_strdup (scope[1]);
      out->region = g_strdup (scope[2]);
      out->service = g_strdup (scope[3]);
    } else if (g_str_has_prefix (p, "SignedHeaders=")) {
      out->signed_headers = g_strsplit (p + strlen ("SignedHeaders="), ";", -1);
    } else if (g_str_has_prefix (p, "Signature=")) {
      out->signature = g_strdup (p + strlen ("Signature="));
    }
  }
  return out->access_key && out->signed_headers && out->signature;
}

static Credentials *
find_credentials (KvsEmulator * emu, const gchar * access_key)
{
  guint i;

  for (i = 0; i < emu->credentials->len; i++) {
    Credentials *c = emu->credentials->pdata[i];
    if (g_str_equal (c->access_key, access_key))
      return c;
  }
  return NULL;
}

static GDateTime *
parse_amz_date (const gchar * s)
{
  g_autofree gchar *iso = NULL;

  if (!s || strlen (s) != 16 || s[8] != 'T' || s[15] != 'Z')
    return NULL;
  iso = g_strdup_printf ("%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6,
      s + 9, s + 11, s + 13);
  return g_date_time_new_from_iso8601 (iso, NULL);
}

/* Recomputes the signature from what the client says it signed. */
static gchar *
expected_signature (KvsEmulator * emu, SoupServerMessage * msg,
    const AuthHeader * auth, const Credentials * c, GDateTime * when,
    gboolean token_signed)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr (KvamSigv4Request) req = NULL;
  g_autoptr (KvamCredentials) creds = NULL;
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT (auth->service,
      auth->region);
  KvamSigv4Result result;
  gchar *sig;
  guint i;

  req = kvam_sigv4_request_new (soup_server_message_get_method (msg),
      g_uri_get_path (uri), g_uri_get_query (uri));
  for (i = 0; auth->signed_headers[i]; i++) {
    const gchar *name = auth->signed_headers[i];
    const gchar *value;
    /* the signer adds these two itself */
    if (!g_ascii_strcasecmp (name, "x-amz-date") ||
        !g_ascii_strcasecmp (name, "x-amz-security-token"))
      continue;
    value = soup_message_headers_get_list (h, name);
    kvam_sigv4_request_add_header (req, name, value ? value : "");
  }
  kvam_sigv4_request_set_body (req, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  creds = kvam_credentials_new (c->access_key, c->secret_key,
      soup_message_headers_get_one (h, "X-Amz-Security-Token"), 0, "client");
  opts.omit_session_token = !token_signed;
  opts.normalize_path = TRUE;
  kvam_sigv4_sign_headers (&opts, creds, req, when, &result);
  sig = g_strdup (result.signature);
  kvam_sigv4_result_clear (&result);
  return sig;
}

static gboolean
fail (KvsAuthFailure * f, const gchar * type, gchar * message)
{
  f->status = 403;
  f->type = type;
  f->message = message;
  return FALSE;
}

static gboolean
credentials_expired (const Credentials * c)
{
  return c->expired || (c->expires_at > 0 &&
      c->expires_at <= g_get_real_time () / G_USEC_PER_SEC);
}

/* The checks of the AWS front end, in its order; lock held. */
static gboolean
verify_locked (KvsEmulator * emu, SoupServerMessage * msg,
    const AuthHeader * auth, GDateTime * when, const gchar * service,
    KvsAuthFailure * f, gchar ** expected)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *token = soup_message_headers_get_one (h,
      "X-Amz-Security-Token");
  Credentials *c = find_credentials (emu, auth->access_key);

  if (!c || (c->session_token && g_strcmp0 (c->session_token, token) != 0))
    return fail (f, "UnrecognizedClientException", g_strdup ("The security "
            "token included in the request is invalid."));
  if (credentials_expired (c))
    return fail (f, "ExpiredTokenException", g_strdup ("The security token "
            "included in the request is expired"));
  if (g_strcmp0 (auth->service, service) != 0 ||
      g_strcmp0 (auth->region, emu->region) != 0)
    return fail (f, "InvalidSignatureException", g_strdup_printf
        ("Credential should be scoped to a valid region and service '%s' in "
            "'%s'. ", service, emu->region));
  *expected = expected_signature (emu, msg, auth, c, when,
      g_strv_contains ((const gchar * const *) auth->signed_headers,
          "x-amz-security-token"));
  return TRUE;
}

gboolean
kvs_verify_signature (KvsEmulator * emu, SoupServerMessage * msg,
    const gchar * service, KvsAuthFailure * f)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const gchar *amz_date = soup_message_headers_get_one (h, "X-Amz-Date");
  g_autoptr (GDateTime) when = parse_amz_date (amz_date);
  g_autofree gchar *expected = NULL;
  AuthHeader auth;
  gboolean ok;
  gint64 skew;

  if (!parse_authorization (soup_message_headers_get_one (h,
              "Authorization"), &auth) || !when) {
    auth_header_clear (&auth);
    return fail (f, "MissingAuthenticationTokenException",
        g_strdup ("Missing Authentication Token"));
  }
  g_mutex_lock (&emu->lock);
  ok = verify_locked (emu, msg, &auth, when, service, f, &expected);
  skew = g_date_time_to_unix (when) - g_get_real_time () / G_USEC_PER_SEC -
      emu->clock_offset;
  g_mutex_unlock (&emu->lock);

  if (ok && ABS (skew) > MAX_SKEW_SECONDS)
    ok = fail (f, "InvalidSignatureException", g_strdup_printf ("Signature "
            "expired: %s is now %s than the server time (5 minutes allowed)",
            amz_date, skew < 0 ? "earlier" : "later"));
  else if (ok && g_strcmp0 (expected, auth.signature) != 0)
    ok = fail (f, "InvalidSignatureException", g_strdup ("The request "
            "signature we calculated does not match the signature you "
            "provided. Check your AWS Secret Access Key and signing method."));
  auth_header_clear (&auth);
  return ok;
}
