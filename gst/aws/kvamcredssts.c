/* kvamsrc: temporary keys from AWS STS
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AssumeRole (signed with the source profile's keys) and
 * AssumeRoleWithWebIdentity (unsigned; the token file is read again on
 * every refresh, as Kubernetes rotates it). STS speaks the query API: a
 * form-encoded POST, an XML answer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentialspriv.h"
#include "kvamsecret.h"
#include "kvamawserror.h"
#include "kvamsigv4.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

#define STS_API_VERSION "2011-06-15"
#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"

/* The configured endpoint, else the regional one the SDKs now default to
 * (the global one without a region). */
gchar *
kvam_sts_endpoint (const gchar * region, const gchar * profile)
{
  gchar *configured = kvam_configured_endpoint (profile, "sts");

  if (configured)
    return configured;
  if (!region)
    return g_strdup ("https://sts.amazonaws.com");
  return g_strdup_printf ("https://sts.%s.amazonaws.com%s", region,
      g_str_has_prefix (region, "cn-") ? ".cn" : "");
}

/* ---- the XML answer ------------------------------------------------------ */

typedef struct
{
  GHashTable *values;           /* leaf name -> text */
  gchar *current;               /* the open leaf we keep, or NULL */
  GString *text;
} XmlState;

static const gchar *const wanted[] = { "AccessKeyId", "SecretAccessKey",
  "SessionToken", "Expiration", "Code", "Message", NULL
};

static void
xml_start (GMarkupParseContext * c, const gchar * name, const gchar ** attrs,
    const gchar ** values, gpointer data, GError ** error)
{
  XmlState *st = data;
  const gchar *local = strchr (name, ':') ? strchr (name, ':') + 1 : name;

  g_clear_pointer (&st->current, g_free);
  if (g_strv_contains (wanted, local)) {
    st->current = g_strdup (local);
    g_string_truncate (st->text, 0);
  }
}

static void
xml_end (GMarkupParseContext * c, const gchar * name, gpointer data,
    GError ** error)
{
  XmlState *st = data;

  if (st->current && !g_hash_table_contains (st->values, st->current))
    g_hash_table_insert (st->values, g_steal_pointer (&st->current),
        g_strstrip (g_strdup (st->text->str)));
  g_clear_pointer (&st->current, g_free);
}

static void
xml_text (GMarkupParseContext * c, const gchar * text, gsize len,
    gpointer data, GError ** error)
{
  XmlState *st = data;

  if (st->current)
    g_string_append_len (st->text, text, len);
}

/* The leaves STS answers with, or NULL when @body is not XML. */
static GHashTable *
parse_sts_xml (GBytes * body)
{
  static const GMarkupParser parser = { xml_start, xml_end, xml_text, NULL,
    NULL
  };
  XmlState st = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) kvam_secret_free), NULL, g_string_new (NULL)
  };
  GMarkupParseContext *c = g_markup_parse_context_new (&parser,
      G_MARKUP_IGNORE_QUALIFIED, &st, NULL);
  gsize size;
  const gchar *data = g_bytes_get_data (body, &size);
  gboolean ok;

  /* an empty body has no data pointer, which GMarkup asserts on */
  ok = data && size && g_markup_parse_context_parse (c, data, size, NULL) &&
      g_markup_parse_context_end_parse (c, NULL);
  g_markup_parse_context_free (c);
  g_free (st.current);
  memset (st.text->str, 0, st.text->len);
  g_string_free (st.text, TRUE);
  if (!ok)
    g_clear_pointer (&st.values, g_hash_table_unref);
  return st.values;
}

static KvamCredentials *
credentials_from_xml (GHashTable * v, const gchar * source, GError ** error)
{
  const gchar *id = g_hash_table_lookup (v, "AccessKeyId");
  const gchar *secret = g_hash_table_lookup (v, "SecretAccessKey");
  const gchar *token = g_hash_table_lookup (v, "SessionToken");
  const gchar *expiration = g_hash_table_lookup (v, "Expiration");
  gint64 expires_at;

  if (!id || !*id || !secret || !*secret || !token || !*token ||
      !kvam_time_parse_iso8601 (expiration, &expires_at)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the STS answer has no "
        "complete Credentials (AccessKeyId, SecretAccessKey, SessionToken, "
        "Expiration)", source);
    return NULL;
  }
  return kvam_credentials_new (id, secret, token, expires_at, source);
}

KvamCredentials *
kvam_sts_read_answer (GBytes * body, const gchar * source, GError ** error)
{
  g_autoptr (GHashTable) values = parse_sts_xml (body);

  if (!values) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the STS answer is not XML",
        source);
    return NULL;
  }
  return credentials_from_xml (values, source, error);
}

gchar *
kvam_sts_read_error (GBytes * body, const gchar * const *secrets)
{
  g_autoptr (GHashTable) v = body ? parse_sts_xml (body) : NULL;
  const gchar *code = v ? g_hash_table_lookup (v, "Code") : NULL;
  const gchar *message = v ? g_hash_table_lookup (v, "Message") : NULL;
  g_autofree gchar *clean_code = kvam_scrub_secrets (code, secrets);
  g_autofree gchar *clean_msg = kvam_scrub_secrets (message, secrets);

  if (!clean_code)
    return NULL;
  return g_strdup_printf ("%s%s%s", clean_code, clean_msg ? ": " : "",
      clean_msg ? clean_msg : "");
}

/* An STS error document, scrubbed of @secrets: "Code: Message". */
static void
set_sts_error (GError ** error, GError * transport, GBytes * body,
    const gchar * source, const gchar * const *secrets)
{
  g_autofree gchar *text = kvam_sts_read_error (body, secrets);

  if (g_error_matches (transport, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error (error, transport);
    return;
  }
  if (text)
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s: STS refused: %s", source, text);
  else
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s: %s", source, transport->message);
  g_error_free (transport);
}

/* ---- the calls ----------------------------------------------------------- */

static void
form_add (GString * form, const gchar * name, const gchar * value)
{
  g_autofree gchar *escaped = NULL;

  if (!value)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (form, "%s%s=%s", form->len ? "&" : "", name, escaped);
  kvam_secret_wipe (escaped);
}

/* POSTs @form to STS, signed by @signer when not NULL. */
static KvamCredentials *
sts_call (KvamCredsContext * ctx, GString * form, KvamCredentials * signer,
    const gchar * source, const gchar * const *secrets, GError ** error)
{
  g_autofree gchar *endpoint = kvam_sts_endpoint (ctx->region,
      ctx->profile);
  g_autofree gchar *url = g_strconcat (endpoint, "/", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr (GBytes) body = NULL, error_body = NULL;
  GError *e = NULL;

  if (!msg) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the STS endpoint %s is not a "
        "URL", source, endpoint);
    return NULL;
  }
  if (signer) {
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT ("sts",
        ctx->region ? ctx->region : "us-east-1");

    kvam_transport_sign_post (msg, &opts, signer, now, FORM_TYPE, form->str);
  } else {
    g_autoptr (GBytes) request = g_bytes_new (form->str, form->len);

    soup_message_set_request_body_from_bytes (msg, FORM_TYPE, request);
  }
  GST_DEBUG ("%s: STS at %s", source, endpoint);
  body = kvam_creds_http_request (ctx, ctx->session, msg, &error_body, &e);
  if (!body) {
    set_sts_error (error, e, error_body, source, secrets);
    return NULL;
  }
  return kvam_sts_read_answer (body, source, error);
}

static GString *
role_form (const gchar * action, const KvamAssumeRole * role)
{
  GString *form = g_string_new (NULL);
  g_autofree gchar *session = role->session_name ? NULL :
      g_strdup_printf ("kvamsrc-%" G_GINT64_FORMAT,
      g_get_real_time () / G_USEC_PER_SEC);
  g_autofree gchar *duration = role->duration_seconds ?
      g_strdup_printf ("%u", role->duration_seconds) : NULL;

  form_add (form, "Action", action);
  form_add (form, "Version", STS_API_VERSION);
  form_add (form, "RoleArn", role->role_arn);
  form_add (form, "RoleSessionName", role->session_name ?
      role->session_name : session);
  form_add (form, "DurationSeconds", duration);
  return form;
}

static void
free_form (GString * form)
{
  memset (form->str, 0, form->len);
  g_string_free (form, TRUE);
}

KvamCredentials *
kvam_sts_assume_role (KvamCredsContext * ctx, KvamCredentials * source,
    const KvamAssumeRole * role, GError ** error)
{
  GString *form = role_form ("AssumeRole", role);
  g_autofree gchar *label = g_strdup_printf ("%s (role %s)", role->label,
      role->role_arn);
  const gchar *secrets[] = { source->secret_access_key,
    source->session_token, NULL
  };
  g_autofree gchar *desc = kvam_credentials_describe (source);
  KvamCredentials *creds;

  form_add (form, "ExternalId", role->external_id);
  GST_INFO ("%s: AssumeRole with %s", label, desc);
  creds = sts_call (ctx, form, source, label, secrets, error);
  free_form (form);
  return creds;
}

KvamCredentials *
kvam_sts_assume_role_with_web_identity (KvamCredsContext * ctx,
    const KvamAssumeRole * role, const gchar * token_file, GError ** error)
{
  g_autofree gchar *label = g_strdup_printf ("%s (web identity, role %s)",
      role->label, role->role_arn);
  GString *form;
  gchar *token;
  GError *e = NULL;
  KvamCredentials *creds;

  /* read on every refresh: Kubernetes replaces the file before expiry */
  token = kvam_creds_read_token_file (token_file, &e);
  if (!token || !*token) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: the web identity token file "
        "%s %s", label, token_file, e ? e->message : "is empty");
    g_clear_error (&e);
    kvam_secret_free (token);
    return NULL;
  }
  form = role_form ("AssumeRoleWithWebIdentity", role);
  form_add (form, "WebIdentityToken", token);
  {
    const gchar *secrets[] = { token, NULL };
    creds = sts_call (ctx, form, NULL, label, secrets, error);
  }
  free_form (form);
  kvam_secret_free (token);
  return creds;
}

KvamCredentials *
kvam_creds_from_web_identity_env (KvamCredsContext * ctx, GError ** error)
{
  const gchar *token_file = g_getenv ("AWS_WEB_IDENTITY_TOKEN_FILE");
  const gchar *role_arn = g_getenv ("AWS_ROLE_ARN");
  KvamAssumeRole role = { role_arn, g_getenv ("AWS_ROLE_SESSION_NAME"),
    NULL, 0, "environment"
  };

  /* AWS_ROLE_ARN alone is left alone, as the SDKs do */
  if (!token_file || !*token_file) {
    g_string_append (ctx->tried, "; no AWS_WEB_IDENTITY_TOKEN_FILE");
    return NULL;
  }
  if (!role_arn || !*role_arn) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "AWS_WEB_IDENTITY_TOKEN_FILE is "
        "set but AWS_ROLE_ARN is not: web identity needs both");
    return NULL;
  }
  if (role.session_name && !*role.session_name)
    role.session_name = NULL;
  return kvam_sts_assume_role_with_web_identity (ctx, &role, token_file, error);
}
