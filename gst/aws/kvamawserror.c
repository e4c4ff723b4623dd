/* kvamsrc: AWS errors: what went wrong with a call, in words
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamawserror.h"
#include "kvamjson.h"

#include <string.h>

/* a service's message is for people: more than this is noise (or a trap) */
#define MAX_MESSAGE 1024

/* ---- errors -------------------------------------------------------------- */

void
kvam_aws_error_clear (KvamAwsError * err)
{
  g_clear_pointer (&err->type, g_free);
  g_clear_pointer (&err->message, g_free);
  g_clear_pointer (&err->request_id, g_free);
  err->kind = KVAM_AWS_ERROR_NONE;
  err->status = 0;
}

void
kvam_aws_error_set (KvamAwsError * err, KvamAwsErrorKind kind,
    const gchar * operation, guint status, const gchar * type,
    const gchar * message, const gchar * request_id)
{
  kvam_aws_error_clear (err);
  err->kind = kind;
  err->operation = operation;
  err->status = status;
  err->type = g_strdup (type);
  err->message = g_strdup (message);
  err->request_id = g_strdup (request_id);
}

gboolean
kvam_aws_error_is_retryable (const KvamAwsError * err)
{
  switch (err->kind) {
    case KVAM_AWS_ERROR_THROTTLED:
    case KVAM_AWS_ERROR_SERVER:
    case KVAM_AWS_ERROR_NETWORK:
    case KVAM_AWS_ERROR_TIMEOUT:
    case KVAM_AWS_ERROR_MALFORMED:
      return TRUE;
    default:
      return FALSE;
  }
}

gchar *
kvam_aws_error_describe (const KvamAwsError * err)
{
  GString *s = g_string_new (err->operation ? err->operation : "AWS");

  g_string_append_printf (s, ": %s", err->type ? err->type : "error");
  if (err->status || err->request_id) {
    g_string_append (s, " (");
    if (err->status)
      g_string_append_printf (s, "HTTP %u", err->status);
    if (err->request_id)
      g_string_append_printf (s, "%srequest id %s", err->status ? ", " : "",
          err->request_id);
    g_string_append (s, ")");
  }
  if (err->message)
    g_string_append_printf (s, ": %s", err->message);
  return g_string_free (s, FALSE);
}

static KvamAwsErrorKind
classify (guint status, const gchar * type)
{
  static const gchar *const auth_types[] = { "NotAuthorizedException",
    "InvalidSignatureException", "UnrecognizedClientException",
    "ExpiredTokenException", "MissingAuthenticationTokenException",
    "AccessDeniedException", "IncompleteSignatureException", NULL
  };

  if (g_strcmp0 (type, "ClientLimitExceededException") == 0 ||
      g_strcmp0 (type, "ThrottlingException") == 0 || status == 429)
    return KVAM_AWS_ERROR_THROTTLED;
  if (type && g_strv_contains (auth_types, type))
    return KVAM_AWS_ERROR_AUTH;
  if (g_strcmp0 (type, "ResourceNotFoundException") == 0 || status == 404)
    return KVAM_AWS_ERROR_NOT_FOUND;
  if (status >= 500)
    return KVAM_AWS_ERROR_SERVER;
  if (status == 401 || status == 403)
    return KVAM_AWS_ERROR_AUTH;
  return KVAM_AWS_ERROR_INVALID;
}

/* Every occurrence of @needle in @s, ignoring ASCII case, becomes "****".
 * Lowering ASCII keeps every byte where it was, so the matches found in
 * a lowered copy are where they are in @s. */
static void
replace_ignoring_case (GString * s, const gchar * needle)
{
  g_autofree gchar *hay = g_ascii_strdown (s->str, s->len);
  g_autofree gchar *low = g_ascii_strdown (needle, -1);
  GString *out = g_string_sized_new (s->len);
  const gchar *from = hay, *p;

  while ((p = strstr (from, low))) {
    g_string_append_len (out, s->str + (from - hay), p - from);
    g_string_append (out, "****");
    from = p + strlen (low);
  }
  g_string_append (out, s->str + (from - hay));
  g_string_assign (s, out->str);
  g_string_free (out, TRUE);
}

/* A secret shows as itself, or URL-encoded ('/' as %2F, '+' as %2B, hex
 * digits in any case) when a peer echoes a form body or a query string:
 * a web identity token goes to STS form-encoded. */
static void
replace_secret (GString * s, const gchar * secret)
{
  g_autofree gchar *encoded = g_uri_escape_string (secret, NULL, FALSE);

  g_string_replace (s, secret, "****", 0);
  if (!g_str_equal (encoded, secret))
    replace_ignoring_case (s, encoded);
}

gchar *
kvam_scrub_secrets (const gchar * text, const gchar * const *secrets)
{
  GString *s;
  const gchar *cut;
  guint i;

  if (!text)
    return NULL;
  s = g_string_new (text);
  cut = strstr (s->str, "The Canonical String");
  if (cut)
    g_string_truncate (s, cut - s->str);
  for (i = 0; secrets && secrets[i]; i++)
    if (*secrets[i])
      replace_secret (s, secrets[i]);
  if (s->len > MAX_MESSAGE) {
    /* whole characters only */
    const gchar *end = g_utf8_find_prev_char (s->str, s->str + MAX_MESSAGE);
    g_string_truncate (s, end ? (gsize) (end - s->str) : 0);
    g_string_append (s, "...");
  }
  while (s->len > 0 && g_ascii_isspace (s->str[s->len - 1]))
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

void
kvam_aws_error_from_body (KvamAwsError * err, const gchar * operation,
    guint status, const gchar * type_header, const gchar * request_id_header,
    GBytes * body, const gchar * const *secrets)
{
  g_autofree gchar *request_id = kvam_scrub_secrets (request_id_header,
      secrets);
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *type = NULL, *raw_type = NULL, *message = NULL;
  gsize size = 0;
  const gchar *data = body ? g_bytes_get_data (body, &size) : NULL;

  if (type_header)
    raw_type = g_strndup (type_header, strcspn (type_header, ":"));
  root = data ? kvam_json_parse_object (data, size, NULL) : NULL;
  if (root) {
    JsonObject *o = json_node_get_object (root);
    const gchar *t = kvam_json_get_string (o, "__type");
    const gchar *m = kvam_json_get_string (o, "message");
    message = kvam_scrub_secrets (m ? m : kvam_json_get_string (o, "Message"),
        secrets);
    if (!raw_type && t)
      raw_type = g_strdup (strchr (t, '#') ? strchr (t, '#') + 1 : t);
  }
  if (raw_type)
    type = kvam_scrub_secrets (raw_type, secrets);
  else
    type = g_strdup_printf ("HTTP %u", status);
  kvam_aws_error_set (err, classify (status, type), operation, status, type,
      message, request_id);
}

void
kvam_aws_error_from_response (KvamAwsError * err, SoupMessage * msg,
    GBytes * body, const gchar * operation, const gchar * const *secrets)
{
  SoupMessageHeaders *h = soup_message_get_response_headers (msg);

  kvam_aws_error_from_body (err, operation, soup_message_get_status (msg),
      soup_message_headers_get_one (h, "x-amzn-ErrorType"),
      soup_message_headers_get_one (h, "x-amzn-RequestId"), body, secrets);
}

void
kvam_aws_error_from_transport (KvamAwsError * err, const gchar * operation,
    GError * e)
{
  KvamAwsErrorKind kind = KVAM_AWS_ERROR_NETWORK;

  if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    kind = KVAM_AWS_ERROR_CANCELLED;
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    kind = KVAM_AWS_ERROR_TIMEOUT;
  else if (e->domain == G_TLS_ERROR)
    kind = KVAM_AWS_ERROR_INVALID;      /* an untrusted certificate stays so */
  kvam_aws_error_set (err, kind, operation, 0, kind == KVAM_AWS_ERROR_TIMEOUT ?
      "Timeout" : kind == KVAM_AWS_ERROR_CANCELLED ? "Cancelled" :
      kind == KVAM_AWS_ERROR_INVALID ? "TLSError" : "ConnectionError",
      e->message, NULL);
}
