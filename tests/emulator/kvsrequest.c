/* kvs-emulator: what every API shares: AWS-shaped answers and errors,
 * the signature check, JSON body parsing, the stream a call names, the
 * service's 5 calls per second
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

static const gchar *const op_names[N_OPS] = {
  "GetDataEndpoint", "ListFragments", "GetMediaForFragmentList"
};

const gchar *
kvs_op_name (Operation op)
{
  return op_names[op];
}

/* ---- responses ----------------------------------------------------------- */


void
kvs_request_free (Request * r)
{
  g_object_unref (r->msg);
  g_free (r->stream);
  g_free (r);
}

/* Sends an AWS-shaped error: x-amzn-ErrorType, x-amzn-RequestId, JSON body.
 * Signature errors come from the front end, with Coral's lowercase
 * "message" and a ":uri" suffix on the type. */
void
kvs_respond_error (Request * r, guint status, const gchar * type,
    const gchar * message)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (r->msg);
  gboolean front_end = g_str_has_suffix (type, "SignatureException") ||
      g_str_equal (type, "UnrecognizedClientException") ||
      g_str_equal (type, "ExpiredTokenException");
  g_autofree gchar *header = front_end ? g_strconcat (type,
      ":http://internal.amazon.com/coral/com.amazon.coral.service/", NULL) :
      g_strdup (type);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *uuid = g_uuid_string_random ();
  gchar *body;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, front_end ? "message" : "Message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, NULL);

  soup_message_headers_replace (h, "x-amzn-ErrorType", header);
  soup_message_headers_replace (h, "x-amzn-RequestId", uuid);
  soup_server_message_set_status (r->msg, status, NULL);
  soup_server_message_set_response (r->msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
  kvs_log_request (r->emu, kvs_op_name (r->op), r->stream, status, type,
      strlen (body), 0, FALSE);
}

void
kvs_respond_json (Request * r, JsonBuilder * b, guint fragments)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *uuid = g_uuid_string_random ();
  gchar *body;
  gsize len;
  gboolean malformed;

  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, &len);
  g_mutex_lock (&r->emu->lock);
  r->emu->json_responses++;
  malformed = r->emu->malformed_every &&
      r->emu->json_responses % r->emu->malformed_every == 0;
  g_mutex_unlock (&r->emu->lock);
  if (malformed)
    len = len / 2;              /* a body cut in the middle of the JSON */

  soup_message_headers_replace (soup_server_message_get_response_headers
      (r->msg), "x-amzn-RequestId", uuid);
  soup_server_message_set_status (r->msg, 200, NULL);
  soup_server_message_set_response (r->msg, "application/json",
      SOUP_MEMORY_TAKE, body, len);
  kvs_log_request (r->emu, kvs_op_name (r->op), r->stream, 200,
      malformed ? "MalformedJSON" : NULL, len, fragments, FALSE);
}

/* ---- signature check ----------------------------------------------------- */

/* FALSE after responding with the error AWS would give. */
gboolean
kvs_check_request_signature (Request * r)
{
  KvsAuthFailure f = { 0 };

  if (kvs_verify_signature (r->emu, r->msg, "kinesisvideo", &f))
    return TRUE;
  kvs_respond_error (r, f.status, f.type, f.message);
  g_free (f.message);
  return FALSE;
}

/* ---- request parsing ----------------------------------------------------- */

/* The JSON object of the body, or NULL after a SerializationException. */
JsonObject *
kvs_parse_body (Request * r, JsonParser * parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (r->msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);

  /* blanks alone parse, to no root */
  if (!json_parser_load_from_data (parser, data ? data : "", size, NULL) ||
      !json_parser_get_root (parser) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    kvs_respond_error (r, 400, "SerializationException",
        "The request body is not a JSON object");
    return NULL;
  }
  return json_node_get_object (json_parser_get_root (parser));
}

/* A string member, NULL when absent; FALSE (after responding) on wrong type. */
gboolean
kvs_get_string (Request * r, JsonObject * o, const gchar * name,
    const gchar ** out)
{
  JsonNode *n = json_object_get_member (o, name);

  *out = NULL;
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING) {
    g_autofree gchar *m = g_strdup_printf ("%s must be a string", name);
    kvs_respond_error (r, 400, "SerializationException", m);
    return FALSE;
  }
  *out = json_node_get_string (n);
  return TRUE;
}

gboolean
kvs_get_number (Request * r, JsonObject * o, const gchar * name, gdouble * out,
    gboolean * present)
{
  JsonNode *n = json_object_get_member (o, name);
  GType t;

  *present = n && !JSON_NODE_HOLDS_NULL (n);
  if (!*present)
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_NONE;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) {
    g_autofree gchar *m = g_strdup_printf ("%s must be a number", name);
    kvs_respond_error (r, 400, "SerializationException", m);
    return FALSE;
  }
  *out = t == G_TYPE_INT64 ? json_node_get_int (n) : json_node_get_double (n);
  return TRUE;
}

/* The stream named by StreamName or StreamARN, with the lock held on
 * success; NULL after responding. */
Stream *
kvs_lookup_stream (Request * r, JsonObject * o)
{
  const gchar *name, *arn;
  Stream *s = NULL;

  if (!kvs_get_string (r, o, "StreamName", &name) ||
      !kvs_get_string (r, o, "StreamARN", &arn))
    return NULL;
  if ((name && arn) || (!name && !arn)) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "Specify either StreamName or StreamARN");
    return NULL;
  }
  r->stream = g_strdup (name ? name : arn);
  g_mutex_lock (&r->emu->lock);
  if (name) {
    s = g_hash_table_lookup (r->emu->streams, name);
  } else {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init (&it, r->emu->streams);
    while (!s && g_hash_table_iter_next (&it, NULL, &v))
      if (g_str_equal (((Stream *) v)->arn, arn))
        s = v;
  }
  if (!s) {
    g_mutex_unlock (&r->emu->lock);
    kvs_respond_error (r, 404, "ResourceNotFoundException",
        "The requested stream is not found or not active.");
    return NULL;
  }
  if (s) {
    g_free (r->stream);
    r->stream = g_strdup (s->name);
  }
  return s;
}

/* Per stream and API, at most RATE_LIMIT_CALLS in any second. Lock held. */
static gboolean
over_rate_limit (KvsEmulator * emu, Stream * s, Operation op)
{
  gint64 now = g_get_monotonic_time ();
  guint pos = s->recent_pos[op];

  if (emu->rate_limit && s->recent[op][pos] &&
      now - s->recent[op][pos] < G_USEC_PER_SEC)
    return TRUE;
  s->recent[op][pos] = now;
  s->recent_pos[op] = (pos + 1) % RATE_LIMIT_CALLS;
  return FALSE;
}

/* Every-Nth faults and the rate limit; FALSE after responding. Takes the
 * lock held by lookup_stream() and releases it on failure. */
gboolean
kvs_admit_call (Request * r, Stream * s)
{
  KvsEmulator *emu = r->emu;
  guint n = ++emu->calls;

  if ((emu->throttle_every && n % emu->throttle_every == 0) ||
      over_rate_limit (emu, s, r->op)) {
    g_mutex_unlock (&emu->lock);
    kvs_respond_error (r, 400, "ClientLimitExceededException", "Kinesis Video "
        "Streams has throttled the request because you have exceeded the "
        "limit of allowed client calls. Try making the call later.");
    return FALSE;
  }
  if (emu->fail_every && n % emu->fail_every == 0) {
    g_mutex_unlock (&emu->lock);
    kvs_respond_error (r, 500, "InternalFailure", "The request processing has "
        "failed because of an unknown error, exception or failure.");
    return FALSE;
  }
  return TRUE;
}
