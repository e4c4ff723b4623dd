/* kvamsrc: reading JSON bodies from peers that may be broken or hostile
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The largest JSON body read: a ListFragments page of 1000 fragments is
 * about 200 KB. */
#define KVAM_JSON_MAX_BODY (4 * 1024 * 1024)
/* The deepest nesting read: the API's documents nest 4 levels; json-glib's
 * parser recurses once per level (100 000 '[' overflowed the stack). */
#define KVAM_JSON_MAX_DEPTH 32

/* Reads @in to its end: at most @max bytes, all of it by @deadline
 * (monotonic µs; each read is also bounded by the session's timeout).
 * When @truncate, a longer body is cut at @max instead of refused.
 * Errors: G_IO_ERROR_MESSAGE_TOO_LARGE, G_IO_ERROR_TIMED_OUT, or the
 * read's own. */
GBytes *kvam_read_body (GInputStream * in, gsize max, gboolean truncate,
    gint64 deadline, GCancellable * cancellable, GError ** error);

/* A JSON object of at most KVAM_JSON_MAX_BODY bytes nested at most
 * KVAM_JSON_MAX_DEPTH deep, checked before json-glib parses it. */
JsonNode *kvam_json_parse_object (const gchar * data, gsize size,
    GError ** error);

/* Members of a peer's object, read without json-glib's getters: those
 * raise a critical when a member is an object or an array (fatal under
 * G_DEBUG=fatal-criticals and in every gst-check test), and cast a double
 * past the range of gint64 (undefined). */
/* @name when it is a string, else NULL */
const gchar *kvam_json_get_string (JsonObject * o, const gchar * name);
/* @name when it is a number (integer or not): TRUE and *@out */
gboolean kvam_json_get_number (JsonObject * o, const gchar * name,
    gdouble * out);
/* @name when it is a number that fits a gint64 (a double is truncated),
 * else @fallback */
gint64 kvam_json_get_int (JsonObject * o, const gchar * name,
    gint64 fallback);
/* @name when it is an object, else NULL */
JsonObject *kvam_json_get_object (JsonObject * o, const gchar * name);

G_END_DECLS
