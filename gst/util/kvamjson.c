/* kvamsrc: reading JSON bodies from peers that may be broken or hostile
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * json_parser_load_from_stream() reads a body whole, however long, for as
 * long as bytes keep coming, and json-glib's parser recurses once per
 * nesting level. A misconfigured proxy or a hostile endpoint could exhaust
 * memory (3.8 GB in 16 s measured), hold a call forever (one byte every
 * 3 s), or overflow the stack (100 000 '['). Bodies are read here within a
 * size cap and a deadline, and their nesting checked before parsing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamjson.h"

#include <string.h>

#define READ_CHUNK 16384

GBytes *
kvam_read_body (GInputStream * in, gsize max, gboolean truncate,
    gint64 deadline, GCancellable * cancellable, GError ** error)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  guint8 chunk[READ_CHUNK];
  gssize n;

  while (TRUE) {
    if (g_get_monotonic_time () > deadline) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "the response body did not arrive in time (%u bytes so far)",
          buf->len);
      return NULL;
    }
    n = g_input_stream_read (in, chunk, MIN (sizeof (chunk),
            max + 1 - buf->len), cancellable, error);
    if (n < 0)
      return NULL;
    if (n == 0)
      break;
    g_byte_array_append (buf, chunk, n);
    if (buf->len > max) {
      if (truncate) {
        g_byte_array_set_size (buf, max);
        break;
      }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
          "the response body is longer than %" G_GSIZE_FORMAT " bytes", max);
      return NULL;
    }
  }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* What json-glib is handed: one object and nothing after it, nested at most
 * KVAM_JSON_MAX_DEPTH deep (strings skipped). json-glib 1.6 recurses once a
 * level, and leaks what it built when a document goes on after its value
 * ("1{...}", found by fuzz_json): both are refused here first. */
static const gchar *
precheck (const gchar * data, gsize size)
{
  guint depth = 0;
  gboolean in_string = FALSE, closed = FALSE;
  gsize i;

  for (i = 0; i < size; i++) {
    gchar c = data[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (closed) {
      if (!g_ascii_isspace (c))
        return "something after the object";
    } else if (depth == 0 && c != '{') {
      if (!g_ascii_isspace (c))
        return "not a JSON object";
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > KVAM_JSON_MAX_DEPTH)
        return "nested deeper than " G_STRINGIFY (KVAM_JSON_MAX_DEPTH)
            " levels";
    } else if (c == ']' || c == '}') {
      closed = --depth == 0;
    }
  }
  return NULL;
}

JsonNode *
kvam_json_parse_object (const gchar * data, gsize size, GError ** error)
{
  g_autoptr (JsonParser) parser = NULL;
  const gchar *why;

  if (!data || size == 0) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "an empty body");
    return NULL;
  }
  if (size > KVAM_JSON_MAX_BODY) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "%" G_GSIZE_FORMAT " bytes, more than the %d a response may have",
        size, KVAM_JSON_MAX_BODY);
    return NULL;
  }
  why = precheck (data, size);
  if (why) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "%s", why);
    return NULL;
  }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, size, error))
    return NULL;
  /* blanks alone parse, to no root at all */
  if (!json_parser_get_root (parser) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
        "not a JSON object");
    return NULL;
  }
  return json_node_ref (json_parser_get_root (parser));
}

static JsonNode *
value_member (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) ? n : NULL;
}

const gchar *
kvam_json_get_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = value_member (o, name);

  return n && json_node_get_value_type (n) == G_TYPE_STRING ?
      json_node_get_string (n) : NULL;
}

gboolean
kvam_json_get_number (JsonObject * o, const gchar * name, gdouble * out)
{
  JsonNode *n = value_member (o, name);
  GType t = n ? json_node_get_value_type (n) : G_TYPE_NONE;

  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (n);
  return TRUE;
}

gint64
kvam_json_get_int (JsonObject * o, const gchar * name, gint64 fallback)
{
  JsonNode *n = value_member (o, name);
  gdouble d;

  if (n && json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);       /* exact, beyond 2^53 too */
  if (!kvam_json_get_number (o, name, &d))
    return fallback;
  /* 2^63 itself does not fit; NaN fails both */
  return d > -9223372036854775808.0 && d < 9223372036854775808.0 ?
      (gint64) d : fallback;
}

JsonObject *
kvam_json_get_object (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}
