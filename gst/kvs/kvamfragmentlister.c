/* kvamsrc: the ListFragments pager: pages, time windows, the range's end
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ListFragments returns a range's fragments in no order, even across pages.
 * To start playing before a day of pages is in, the range is listed in time
 * windows: once all pages of a window are in, every fragment starting up to
 * its end is known, and the window is sorted and published after the ones
 * before it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfragmentindexpriv.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_lister_debug);
#define GST_CAT_DEFAULT kvam_lister_debug

/* The first window is small for a quick first byte; later ones double, or
 * take about a page of fragments, so even a range of years takes a few
 * dozen windows. */
#define FIRST_WINDOW (10 * GST_SECOND)
/* the API's NextToken is at most 4096 characters */
#define MAX_TOKEN_LENGTH 4096
/* a window of the range needs far fewer: more is a listing going round in
 * circles */
#define MAX_PAGES_PER_WINDOW 10000
/* the last fragment of a long range is looked for in the range's last
 * minute first, then in windows 16 times wider */
#define LAST_PROBE_WINDOW (60 * GST_SECOND)

void
kvam_fragment_lister_init (void)
{
  GST_DEBUG_CATEGORY_INIT (kvam_lister_debug, "kvamfragmentlister", 0,
      "kvamsrc ListFragments pager");
}

static void
add_timestamp (JsonBuilder * b, const gchar * name, GstClockTime t)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, (gdouble) (t / GST_MSECOND) / 1000.0);
}

gboolean
kvam_fragment_index_take_page (KvamFragmentIndex * self, JsonNode * root,
    guint max_results, gchar ** next_token, GError ** error)
{
  JsonObject *o = json_node_get_object (root);
  JsonNode *frags = json_object_get_member (o, "Fragments");
  JsonNode *next = json_object_get_member (o, "NextToken");
  const gchar *token = "";

  if (!frags || !JSON_NODE_HOLDS_ARRAY (frags)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "no Fragments list in the response");
    return FALSE;
  }
  /* a page far over what was asked for would grow memory without bound */
  if (max_results && json_array_get_length (json_node_get_array (frags)) >
      max_results) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "the page holds %u fragments where MaxResults was %u",
        json_array_get_length (json_node_get_array (frags)), max_results);
    return FALSE;
  }
  if (next && !JSON_NODE_HOLDS_NULL (next)) {
    if (!JSON_NODE_HOLDS_VALUE (next) ||
        json_node_get_value_type (next) != G_TYPE_STRING ||
        strlen (json_node_get_string (next)) > MAX_TOKEN_LENGTH) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "NextToken is not a string of at most %d characters",
          MAX_TOKEN_LENGTH);
      return FALSE;
    }
    token = json_node_get_string (next);
  }
  if (!kvam_fragment_index_add_page (self, json_node_get_array (frags), error))
    return FALSE;
  *next_token = g_strdup (token);
  return TRUE;
}

typedef struct
{
  KvamFragmentIndex *self;
  guint max_results;
  gchar *token;
} PageReader;

/* A page that fails here is a malformed response, retried like one that
 * is not JSON. */
static gboolean
read_page (JsonNode * root, gpointer data, GError ** error)
{
  PageReader *r = data;

  return kvam_fragment_index_take_page (r->self, root, r->max_results,
      &r->token, error);
}

/* One ListFragments page of [from, to]. Returns the next token ("" on the
 * last page), or NULL with @err set. */
static gchar *
list_page (KvamFragmentIndex * self, KvamClient * client, guint max_results,
    GstClockTime from, GstClockTime to, const gchar * token,
    GCancellable * cancellable, KvamAwsError * err)
{
  JsonBuilder *b = kvam_client_begin_body (client);
  g_autoptr (JsonNode) root = NULL;
  PageReader reader = { self, max_results, NULL };
  json_builder_set_member_name (b, "MaxResults");
  json_builder_add_int_value (b, max_results);
  /* the selector goes on every page: a first page without one has been
   * seen to fail */
  json_builder_set_member_name (b, "FragmentSelector");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "FragmentSelectorType");
  json_builder_add_string_value (b, self->selector == KVAM_SELECTOR_SERVER ?
      "SERVER_TIMESTAMP" : "PRODUCER_TIMESTAMP");
  json_builder_set_member_name (b, "TimestampRange");
  json_builder_begin_object (b);
  add_timestamp (b, "StartTimestamp", from);
  add_timestamp (b, "EndTimestamp", to);
  json_builder_end_object (b);
  json_builder_end_object (b);
  if (token) {
    json_builder_set_member_name (b, "NextToken");
    json_builder_add_string_value (b, token);
  }
  root = kvam_client_call_checked (client, KVAM_API_LIST_FRAGMENTS, b,
      read_page, &reader, cancellable, err);
  g_object_unref (b);
  return root ? reader.token : NULL;
}

static void
set_full_error (KvamFragmentIndex * self, KvamAwsError * err)
{
  g_autofree gchar *why = g_strdup_printf ("the range holds more than %u "
      "fragments, the most one range may hold: play a shorter range, or "
      "split it (kvam-export --shard)", self->max_fragments);

  kvam_aws_error_set (err, KVAM_AWS_ERROR_INVALID,
      kvam_api_name (KVAM_API_LIST_FRAGMENTS), 0, "RangeTooLong", why, NULL);
}

/* All pages of [from, to], until @deadline (monotonic µs); FALSE with
 * @err set on failure. A NextToken that comes back again would list the
 * same pages forever (boto3's paginator refuses it too). */
static gboolean
list_window_until (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GstClockTime from, GstClockTime to, gint64 deadline,
    GCancellable * cancellable, KvamAwsError * err)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autofree gchar *token = NULL;
  guint pages = 0;

  do {
    gchar *next;

    if (g_get_monotonic_time () >= deadline) {
      kvam_aws_error_set (err, KVAM_AWS_ERROR_NETWORK,
          kvam_api_name (KVAM_API_LIST_FRAGMENTS), 0, "Timeout",
          "the listing took too long", NULL);
      return FALSE;
    }
    next = list_page (self, client, max_results, from, to, token,
        cancellable, err);
    if (!next)
      return FALSE;
    if (kvam_fragment_index_is_full (self)) {
      g_free (next);
      set_full_error (self, err);
      return FALSE;
    }
    g_free (token);
    token = next;
    if (*token && (!g_hash_table_add (seen, g_strdup (token)) ||
            ++pages >= MAX_PAGES_PER_WINDOW)) {
      kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED,
          kvam_api_name (KVAM_API_LIST_FRAGMENTS), 200, "MalformedResponse",
          pages >=
          MAX_PAGES_PER_WINDOW ? "the listing did not end after 10000 pages" :
          "the same NextToken came back twice: the listing goes round in "
          "circles", NULL);
      return FALSE;
    }
  } while (*token);
  return TRUE;
}

static gboolean
list_window (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GstClockTime from, GstClockTime to,
    GCancellable * cancellable, KvamAwsError * err)
{
  return list_window_until (self, client, max_results, from, to, G_MAXINT64,
      cancellable, err);
}

/* The next window: twice the last, or wide enough for about one page of
 * fragments of the average length listed so far, whichever is wider. */
static GstClockTime
next_window (KvamFragmentIndex * self, GstClockTime window, guint max_results)
{
  GstClockTime per_page = 0;
  guint listed;

  g_mutex_lock (&self->lock);
  listed = g_hash_table_size (self->numbers);
  if (listed > 0)
    per_page = self->listed_duration / listed * max_results * 9 / 10;
  g_mutex_unlock (&self->lock);
  window = window > G_MAXUINT64 / 4 ? window : window * 2;
  return MAX (window, per_page);
}

gboolean
kvam_fragment_index_list_until (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GstClockTime until, GCancellable * cancellable,
    KvamAwsError * err)
{
  GstClockTime from = self->start, window = FIRST_WINDOW;
  g_autofree gchar *token = NULL;

  until = MIN (until, self->end);
  /* one page of the whole range first: a range of up to @max_results
   * fragments is then listed in one call; otherwise its entries are kept
   * and the range is listed in windows */
  token = list_page (self, client, max_results, self->start, until, NULL,
      cancellable, err);
  if (token && !*token)
    kvam_fragment_index_publish (self, until);
  if (token && *token) {
    g_mutex_lock (&self->lock);
    self->paged = TRUE;
    g_mutex_unlock (&self->lock);
  }

  while (token && *token) {
    /* windows meet without overlap at the service's 1 ms resolution */
    GstClockTime to = MIN (until, from + window - GST_MSECOND);

    if (!list_window (self, client, max_results, from, to, cancellable, err))
      return FALSE;
    kvam_fragment_index_publish (self, to);
    if (to >= until)
      break;
    from = to + GST_MSECOND;
    window = next_window (self, window, max_results);
  }
  return token != NULL;
}

void
kvam_fragment_index_list (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GCancellable * cancellable)
{
  KvamAwsError err = { 0 };

  kvam_fragment_index_list_until (self, client, max_results, self->end,
      cancellable, &err);
  kvam_fragment_index_finish (self, &err);
  kvam_aws_error_clear (&err);
}

gboolean
kvam_fragment_index_list_pages (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GstClockTime from, GstClockTime to,
    GCancellable * cancellable, KvamAwsError * err)
{
  return list_window (self, client, max_results, from, MIN (to, self->end),
      cancellable, err);
}

gboolean
kvam_fragment_index_find_last (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, gint64 deadline, GCancellable * cancellable,
    GstClockTime * end)
{
  GstClockTime window = LAST_PROBE_WINDOW;

  while (g_get_monotonic_time () < deadline) {
    GstClockTime from = self->end - self->start > window ?
        self->end - window : self->start;
    g_autoptr (KvamFragmentIndex) tail = kvam_fragment_index_new
        (self->selector, from, self->end);
    KvamAwsError err = { 0 };
    const KvamFragment *last;
    /* the deadline holds inside a window too: the streaming thread waits */
    gboolean ok = list_window_until (tail, client, max_results, from,
        self->end, deadline, cancellable, &err);

    kvam_aws_error_clear (&err);
    if (!ok)
      return FALSE;
    kvam_fragment_index_publish (tail, self->end);
    if ((last = kvam_fragment_index_get_last (tail))) {
      *end = last->producer + last->duration;
      GST_DEBUG ("the range's last fragment %s ends at %" GST_TIME_FORMAT,
          last->number, GST_TIME_ARGS (*end));
      return TRUE;
    }
    if (from == self->start)
      return FALSE;             /* nothing in the whole range */
    window = window > G_MAXUINT64 / 16 ? G_MAXUINT64 : window * 16;
  }
  return FALSE;
}
