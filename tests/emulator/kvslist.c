/* kvs-emulator: GetDataEndpoint and ListFragments (pages, tokens,
 * selectors, late listing)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

/* ---- GetDataEndpoint ----------------------------------------------------- */

static const gchar *const api_names[] = { "PUT_MEDIA", "GET_MEDIA",
  "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
  "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL",
  "GET_CLIP", "GET_IMAGES", NULL
};

void
kvs_handle_get_data_endpoint (Request * r, JsonObject * o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GUri *uri = soup_server_message_get_uri (r->msg);
  g_autofree gchar *endpoint = NULL;
  const gchar *api;
  gboolean stale;
  Stream *s;

  if (!kvs_get_string (r, o, "APIName", &api))
    return;
  if (!api || !g_strv_contains (api_names, api)) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "APIName must be one of PUT_MEDIA, GET_MEDIA, LIST_FRAGMENTS, "
        "GET_MEDIA_FOR_FRAGMENT_LIST, ...");
    return;
  }
  if (!(s = kvs_lookup_stream (r, o)) || !kvs_admit_call (r, s))
    return;
  stale = r->emu->stale_endpoints > 0;
  if (stale)
    r->emu->stale_endpoints--;
  endpoint = g_strdup (r->emu->data_endpoint);
  g_mutex_unlock (&r->emu->lock);

  /* our own address, both planes being served here; or, as a fault, a
   * port where nothing listens (port 1 is never ours), or any URL */
  if (!endpoint)
    endpoint = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
        g_uri_get_host (uri), stale ? 1 : g_uri_get_port (uri));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "DataEndpoint");
  json_builder_add_string_value (b, endpoint);
  json_builder_end_object (b);
  kvs_respond_json (r, b, 0);
}

/* ---- ListFragments ------------------------------------------------------- */

typedef struct
{
  guint32 seed;
  guint page;                   /* pages of this listing answered before */
  guint offset;
  gboolean server;              /* selector on server timestamps */
  gint64 start_ms, end_ms;
} Cursor;

static gchar *
encode_token (const Cursor * c, const gchar * stream)
{
  g_autofree gchar *plain = g_strdup_printf ("v1|%u|%u|%u|%d|%"
      G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%s", c->seed, c->page, c->offset,
      c->server, c->start_ms, c->end_ms, stream);

  return g_base64_encode ((const guchar *) plain, strlen (plain));
}

static gboolean
decode_token (const gchar * token, const gchar * stream, Cursor * c)
{
  gsize len;
  g_autofree guchar *plain = g_base64_decode (token, &len);
  g_autofree gchar *text = plain ? g_strndup ((gchar *) plain, len) : NULL;
  g_auto (GStrv) f = text ? g_strsplit (text, "|", 8) : NULL;

  if (!f || g_strv_length (f) != 8 || strcmp (f[0], "v1") ||
      strcmp (f[7], stream))
    return FALSE;
  c->seed = strtoul (f[1], NULL, 10);
  c->page = strtoul (f[2], NULL, 10);
  c->offset = strtoul (f[3], NULL, 10);
  c->server = atoi (f[4]);
  c->start_ms = g_ascii_strtoll (f[5], NULL, 10);
  c->end_ms = g_ascii_strtoll (f[6], NULL, 10);
  return TRUE;
}

static gint64
fragment_time (const KvsFragment * f, gboolean server)
{
  return server ? f->server_ms : f->producer_ms;
}

/* First index whose time is >= @t (times grow with ingestion). */
static guint
lower_bound (Stream * s, gint64 t, gboolean server)
{
  guint lo = 0, hi = s->fragments->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (fragment_time (&g_array_index (s->fragments, KvsFragment, mid),
            server) < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* FALSE after responding. */
static gboolean
parse_selector (Request * r, JsonObject * o, Cursor * c)
{
  JsonObject *sel, *range;
  const gchar *type;
  gdouble start = 0, end = 0;
  gboolean has_start, has_end;

  c->start_ms = G_MININT64;
  c->end_ms = G_MAXINT64;
  c->server = FALSE;
  if (!json_object_has_member (o, "FragmentSelector"))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "FragmentSelector"))) {
    kvs_respond_error (r, 400, "SerializationException",
        "FragmentSelector must be an object");
    return FALSE;
  }
  sel = json_object_get_object_member (o, "FragmentSelector");
  if (!kvs_get_string (r, sel, "FragmentSelectorType", &type))
    return FALSE;
  if (g_strcmp0 (type, "PRODUCER_TIMESTAMP") &&
      g_strcmp0 (type, "SERVER_TIMESTAMP")) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "FragmentSelectorType "
        "must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP");
    return FALSE;
  }
  c->server = g_str_equal (type, "SERVER_TIMESTAMP");
  if (!json_object_has_member (sel, "TimestampRange") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (sel,
              "TimestampRange"))) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "TimestampRange is required");
    return FALSE;
  }
  range = json_object_get_object_member (sel, "TimestampRange");
  if (!kvs_get_number (r, range, "StartTimestamp", &start, &has_start) ||
      !kvs_get_number (r, range, "EndTimestamp", &end, &has_end))
    return FALSE;
  if (!has_start || !has_end || start > end || start < 0) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "TimestampRange needs " "StartTimestamp <= EndTimestamp");
    return FALSE;
  }
  c->start_ms = (gint64) (start * 1000.0 + 0.5);
  c->end_ms = (gint64) (end * 1000.0 + 0.5);
  return TRUE;
}

static void
add_fragment_json (JsonBuilder * b, const KvsFragment * f, guint64 listed_size)
{
  g_autofree gchar *producer = kvs_format_java_double_seconds (f->producer_ms);
  g_autofree gchar *server = kvs_format_java_double_seconds (f->server_ms);
  JsonNode *n;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "FragmentNumber");
  json_builder_add_string_value (b, f->number);
  json_builder_set_member_name (b, "FragmentSizeInBytes");
  json_builder_add_int_value (b, listed_size ? listed_size : f->size);
  /* raw numbers in the service's Java notation, e.g. 1.764000002123E9 */
  json_builder_set_member_name (b, "ProducerTimestamp");
  n = json_from_string (f->listed_unusable ? "-1" : producer, NULL);
  json_builder_add_value (b, n);
  json_builder_set_member_name (b, "ServerTimestamp");
  n = json_from_string (server, NULL);
  json_builder_add_value (b, n);
  json_builder_set_member_name (b, "FragmentLengthInMilliseconds");
  json_builder_add_int_value (b, f->duration_ms);
  json_builder_end_object (b);
}

/* How many entries the page at @c holds: MaxResults, long_pages if set,
 * or with short pages
 * a random 0 to short_pages (at most MaxResults), the same for the same
 * page of a listing; never two empty pages in a row, so a listing ends.
 * Lock held. */
static guint
page_length (KvsEmulator * emu, const Cursor * c, guint max)
{
  guint most = MIN (emu->short_pages, max), len;
  GRand *rand;

  if (emu->long_pages)
    return emu->long_pages;
  if (most == 0)
    return max;
  rand = g_rand_new_with_seed (c->seed ^ (c->page * 2654435761u));
  len = g_rand_int_range (rand, 0, most + 1);
  g_rand_free (rand);
  /* an empty page follows a full one at most */
  if (len == 0 && c->page % 2 == 1)
    len = most;
  return len;
}

void
kvs_handle_list_fragments (Request * r, JsonObject * o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree guint *order = NULL;
  g_autofree gchar *next = NULL;
  const gchar *token;
  gdouble max = DEFAULT_MAX_RESULTS;
  gboolean has_max;
  Cursor c = { 0 };
  Stream *s;
  guint first, last, n, i, page_end, returned;
  GRand *rand;

  if (!kvs_get_string (r, o, "NextToken", &token) ||
      !kvs_get_number (r, o, "MaxResults", &max, &has_max))
    return;
  if (max < 1 || max > 1000 || max != (guint) max) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "MaxResults must be between 1 and 1000");
    return;
  }
  if (!token && !parse_selector (r, o, &c))
    return;
  if (!(s = kvs_lookup_stream (r, o)))
    return;
  if (token && !decode_token (token, s->name, &c)) {
    g_mutex_unlock (&r->emu->lock);
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "NextToken is invalid");
    return;
  }
  if (!token)
    c.seed = g_random_int ();
  if (!kvs_admit_call (r, s))
    return;

  if (s->unsorted && !c.server) {
    /* a producer's clock jumped: look at every fragment */
    first = 0;
    last = s->fragments->len;
  } else {
    first = lower_bound (s, c.start_ms, c.server);
    last = c.end_ms == G_MAXINT64 ? s->fragments->len :
        lower_bound (s, c.end_ms + 1, c.server);
  }
  /* the same shuffle on every page of one listing: no order at all */
  order = g_new (guint, MAX (last > first ? last - first : 0, 1));
  for (i = first, n = 0; i < last; i++) {
    gint64 t = fragment_time (&g_array_index (s->fragments, KvsFragment, i),
        c.server);
    if (t >= c.start_ms && t <= c.end_ms && kvs_stream_listable (r->emu, s, i))
      order[n++] = i;
  }
  if (!r->emu->ordered) {
    rand = g_rand_new_with_seed (c.seed);
    for (i = n; i > 1; i--) {
      guint j = g_rand_int_range (rand, 0, i), tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
    g_rand_free (rand);
  }

  page_end = MIN (n, c.offset + page_length (r->emu, &c, (guint) max));
  returned = page_end > c.offset ? page_end - c.offset : 0;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Fragments");
  json_builder_begin_array (b);
  for (i = c.offset; i < page_end; i++)
    add_fragment_json (b, &g_array_index (s->fragments, KvsFragment,
            order[i]), r->emu->listed_size);
  json_builder_end_array (b);
  if (page_end < n) {
    c.offset = page_end;
    c.page++;
    next = encode_token (&c, s->name);
    json_builder_set_member_name (b, "NextToken");
    json_builder_add_string_value (b, next);
  }
  json_builder_end_object (b);
  g_mutex_unlock (&r->emu->lock);
  kvs_respond_json (r, b, returned);
}
