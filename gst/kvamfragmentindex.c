/* kvamsrc: the fragments of a time range, listed in windows and sorted
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ListFragments returns a range's fragments in no order, even across pages.
 * To start playing before a day of pages is in, the range is listed in time
 * windows: once all pages of a window are in, every fragment starting up to
 * its end is known, and the window is sorted and published after the ones
 * before it. The reader only ever sees that complete, sorted prefix.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfragmentindex.h"
#include "kvamjson.h"
#include "kvamtime.h"
#include "kvamwait.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_index_debug);
#define GST_CAT_DEFAULT kvam_index_debug

/* The first window is small for a quick first byte; later ones double, or
 * take about a page of fragments, so even a range of years takes a few
 * dozen windows. */
#define FIRST_WINDOW (10 * GST_SECOND)
/* Fragments are stored in blocks and their numbers in a string chunk: two
 * allocations per thousand fragments instead of two per fragment: 88 bytes
 * a fragment instead of 112, and no scattered holes left in the heap when
 * the index goes. */
#define FRAGMENTS_PER_BLOCK 1024
/* bounds on what a listing may claim, clamped to */
#define MAX_FRAGMENT_MS (24 * 3600 * 1000)
#define MAX_FRAGMENT_BYTES (G_GUINT64_CONSTANT (1) << 30)
/* the API's NextToken is at most 4096 characters */
#define MAX_TOKEN_LENGTH 4096
/* a window of the range needs far fewer: more is a listing going round in
 * circles */
#define MAX_PAGES_PER_WINDOW 10000
#define NUMBERS_CHUNK_SIZE (64 * 1024)
/* the last fragment of a long range is looked for in the range's last
 * minute first, then in windows 16 times wider */
#define LAST_PROBE_WINDOW (60 * GST_SECOND)

struct _KvamFragmentIndex
{
  KvamSelector selector;
  GstClockTime start, end;
  GstClockTime listed_duration; /* sum over listed fragments, for windows */

  GMutex lock;
  GCond cond;
  GPtrArray *published;         /* KvamFragment, sorted */
  GPtrArray *pending;           /* KvamFragment, listed, not yet published */
  GHashTable *pending_since;    /* following: KvamFragment -> monotonic µs */
  guint late;                   /* following: listed after their turn */
  guint skipped;                /* entries whose times cannot be used */
  GHashTable *skipped_numbers;  /* their numbers, warned about once */
  KvamIndexNotify notify;
  gpointer notify_data;
  GHashTable *numbers;          /* every number seen, for duplicates */
  GPtrArray *blocks;            /* KvamFragment[FRAGMENTS_PER_BLOCK] */
  guint last_block_used;
  GStringChunk *number_strings;
  gboolean finished;
  gboolean paged;               /* the range takes more than one page */
  KvamAwsError error;
};

gint
kvam_fragment_number_compare (const gchar * a, const gchar * b)
{
  gsize la, lb;

  /* ignore leading zeros, then the longer number is the larger */
  while (*a == '0' && a[1])
    a++;
  while (*b == '0' && b[1])
    b++;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp (a, b);
}

KvamFragmentIndex *
kvam_fragment_index_new (KvamSelector selector, GstClockTime start,
    GstClockTime end)
{
  KvamFragmentIndex *self = g_new0 (KvamFragmentIndex, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_index_debug, "kvamindex", 0,
        "kvamsrc fragment index");
    g_once_init_leave (&once, 1);
  }
  self->selector = selector;
  self->start = start;
  self->end = end;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->published = g_ptr_array_new ();
  self->pending = g_ptr_array_new ();
  self->pending_since = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->numbers = g_hash_table_new (g_str_hash, g_str_equal);
  self->skipped_numbers = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  self->blocks = g_ptr_array_new_with_free_func (g_free);
  self->number_strings = g_string_chunk_new (NUMBERS_CHUNK_SIZE);
  return self;
}

void
kvam_fragment_index_free (KvamFragmentIndex * self)
{
  if (!self)
    return;
  g_hash_table_unref (self->numbers);
  g_hash_table_unref (self->skipped_numbers);
  g_ptr_array_unref (self->published);
  g_ptr_array_unref (self->pending);
  g_hash_table_unref (self->pending_since);
  g_ptr_array_unref (self->blocks);
  g_string_chunk_free (self->number_strings);
  kvam_aws_error_clear (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

GstClockTime
kvam_fragment_index_time (KvamFragmentIndex * self, const KvamFragment * f)
{
  return self->selector == KVAM_SELECTOR_SERVER ? f->server : f->producer;
}

/* ---- listing side -------------------------------------------------------- */

typedef enum
{
  ENTRY_OK,
  ENTRY_UNUSABLE,               /* a fragment, but its times cannot be played */
  ENTRY_MALFORMED,
} EntryResult;

/* Epoch seconds as JSON numbers, e.g. 1.764000002123E9, to ns (rounded to
 * the millisecond the service works in). A number before 1970 or after
 * 2262 is unusable, anything else malformed. */
static EntryResult
read_time (JsonObject * o, const gchar * name, GstClockTime * out)
{
  gdouble secs;

  if (!kvam_json_get_number (o, name, &secs))
    return ENTRY_MALFORMED;
  if (!(secs >= 0 && secs < (gdouble) KVAM_TIME_MAX_SECONDS))
    return ENTRY_UNUSABLE;
  *out = (GstClockTime) llround (secs * 1000.0) * GST_MSECOND;
  return ENTRY_OK;
}

/* A non-negative JSON number clamped to @max (1e308 was a signed
 * overflow); absent or not a number: 0. */
static guint64
read_count (JsonObject * o, const gchar * name, guint64 max)
{
  gdouble v;

  if (!kvam_json_get_number (o, name, &v))
    return 0;
  if (!(v > 0))
    return 0;
  return v >= (gdouble) max ? max : (guint64) v;
}

/* Fills @f from one ListFragments entry; f->number points into @node. An
 * entry with a fragment number but a time before 1970 or after 2262 is
 * unusable: one bad entry does not make the listing malformed. */
static EntryResult
parse_entry (JsonNode * node, KvamFragment * f, GError ** error)
{
  JsonObject *o;
  const gchar *number, *p;
  EntryResult producer, server;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  o = json_node_get_object (node);
  number = kvam_json_get_string (o, "FragmentNumber");
  if (!number || !*number || strlen (number) > 128)
    goto bad;
  for (p = number; *p; p++)
    if (!g_ascii_isdigit (*p))
      goto bad;
  /* "000123" is fragment 123: one number, one fragment, however written */
  while (number[0] == '0' && number[1])
    number++;
  f->number = (gchar *) number;
  producer = read_time (o, "ProducerTimestamp", &f->producer);
  server = read_time (o, "ServerTimestamp", &f->server);
  if (producer == ENTRY_MALFORMED || server == ENTRY_MALFORMED)
    goto bad;
  if (producer == ENTRY_UNUSABLE || server == ENTRY_UNUSABLE)
    return ENTRY_UNUSABLE;
  f->duration = read_count (o, "FragmentLengthInMilliseconds",
      MAX_FRAGMENT_MS) * GST_MSECOND;
  f->size = read_count (o, "FragmentSizeInBytes", MAX_FRAGMENT_BYTES);
  return ENTRY_OK;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "ListFragments returned a malformed fragment entry");
  return ENTRY_MALFORMED;
}

void
kvam_fragment_index_set_notify (KvamFragmentIndex * self,
    KvamIndexNotify notify, gpointer data)
{
  self->notify = notify;
  self->notify_data = data;
}

static void
notify (KvamFragmentIndex * self, KvamIndexNotice notice,
    const KvamFragment * f, const gchar * why)
{
  if (self->notify)
    self->notify (self->notify_data, notice, f, why);
}

/* An unusable entry, reported the first time it is listed. Lock held. */
static gboolean
note_unusable (KvamFragmentIndex * self, const KvamFragment * f)
{
  if (g_hash_table_contains (self->skipped_numbers, f->number))
    return FALSE;
  g_hash_table_add (self->skipped_numbers, g_strdup (f->number));
  self->skipped++;
  return TRUE;
}

/* A copy of @f in the index's own storage. Lock held. */
static KvamFragment *
store_fragment (KvamFragmentIndex * self, const KvamFragment * f)
{
  KvamFragment *block, *copy;

  if (self->blocks->len == 0 || self->last_block_used == FRAGMENTS_PER_BLOCK) {
    g_ptr_array_add (self->blocks, g_new (KvamFragment, FRAGMENTS_PER_BLOCK));
    self->last_block_used = 0;
  }
  block = g_ptr_array_index (self->blocks, self->blocks->len - 1);
  copy = &block[self->last_block_used++];
  *copy = *f;
  copy->number = g_string_chunk_insert (self->number_strings, f->number);
  return copy;
}

gboolean
kvam_fragment_index_add_page (KvamFragmentIndex * self, JsonArray * fragments,
    GError ** error)
{
  guint i, n = json_array_get_length (fragments);
  g_autofree KvamFragment *parsed = g_new0 (KvamFragment, MAX (n, 1));
  g_autofree EntryResult *results = g_new0 (EntryResult, MAX (n, 1));
  g_autoptr (GPtrArray) unusable = g_ptr_array_new ();

  /* the whole page is checked before any of it is taken */
  for (i = 0; i < n; i++)
    if ((results[i] = parse_entry (json_array_get_element (fragments, i),
                &parsed[i], error)) == ENTRY_MALFORMED)
      return FALSE;

  g_mutex_lock (&self->lock);
  for (i = 0; i < n; i++) {
    KvamFragment *f;
    GstClockTime t;

    if (results[i] == ENTRY_UNUSABLE) {
      if (note_unusable (self, &parsed[i]))
        g_ptr_array_add (unusable, &parsed[i]);
      continue;
    }
    t = kvam_fragment_index_time (self, &parsed[i]);
    /* outside the range (a window may be asked for wider) or seen before */
    if (t < self->start || t > self->end ||
        g_hash_table_contains (self->numbers, parsed[i].number))
      continue;
    f = store_fragment (self, &parsed[i]);
    self->listed_duration += f->duration;
    g_hash_table_add (self->numbers, f->number);
    g_ptr_array_add (self->pending, f);
  }
  g_mutex_unlock (&self->lock);
  for (i = 0; i < unusable->len; i++)
    notify (self, KVAM_INDEX_UNUSABLE, unusable->pdata[i], "its timestamps "
        "are not times between 1970 and 2262");
  return TRUE;
}

static gint
compare_fragments (KvamFragmentIndex * self, const KvamFragment * a,
    const KvamFragment * b)
{
  GstClockTime ta = kvam_fragment_index_time (self, a);
  GstClockTime tb = kvam_fragment_index_time (self, b);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  return kvam_fragment_number_compare (a->number, b->number);
}

static gint
compare_fragment_ptrs (gconstpointer a, gconstpointer b, gpointer self)
{
  return compare_fragments (self, *(KvamFragment **) a,
      *(KvamFragment **) b);
}

void
kvam_fragment_index_publish (KvamFragmentIndex * self, GstClockTime t)
{
  g_autoptr (GPtrArray) later = g_ptr_array_new ();
  guint i, n = 0;

  g_mutex_lock (&self->lock);
  g_ptr_array_sort_with_data (self->pending, compare_fragment_ptrs, self);
  for (i = 0; i < self->pending->len; i++) {
    KvamFragment *f = self->pending->pdata[i];
    if (kvam_fragment_index_time (self, f) <= t) {
      g_ptr_array_add (self->published, f);
      n++;
    } else {
      g_ptr_array_add (later, f);
    }
  }
  /* keep what lies beyond @t for a later window */
  g_ptr_array_set_size (self->pending, 0);
  g_ptr_array_extend_and_steal (self->pending, g_steal_pointer (&later));
  GST_DEBUG ("published %u fragments up to %" GST_TIME_FORMAT ", %u in all",
      n, GST_TIME_ARGS (t), self->published->len);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
kvam_fragment_index_finish (KvamFragmentIndex * self, const KvamAwsError * err)
{
  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  if (err && err->kind != KVAM_AWS_ERROR_NONE)
    kvam_aws_error_set (&self->error, err->kind, err->api, err->status,
        err->type, err->message, err->request_id);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
add_timestamp (JsonBuilder * b, const gchar * name, GstClockTime t)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, (gdouble) (t / GST_MSECOND) / 1000.0);
}

gboolean
kvam_fragment_index_take_page (KvamFragmentIndex * self, JsonNode * root,
    gchar ** next_token, GError ** error)
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
  if (!kvam_fragment_index_add_page (self, json_node_get_array (frags),
          error))
    return FALSE;
  *next_token = g_strdup (token);
  return TRUE;
}

typedef struct
{
  KvamFragmentIndex *self;
  gchar *token;
} PageReader;

/* A page that fails here is a malformed response, retried like one that
 * is not JSON. */
static gboolean
read_page (JsonNode * root, gpointer data, GError ** error)
{
  PageReader *r = data;

  return kvam_fragment_index_take_page (r->self, root, &r->token, error);
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
  PageReader reader = { self, NULL };
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

/* All pages of [from, to]; FALSE with @err set on failure. A NextToken
 * that comes back again would list the same pages forever (boto3's
 * paginator refuses it too). */
static gboolean
list_window (KvamFragmentIndex * self, KvamClient * client,
    guint max_results, GstClockTime from, GstClockTime to,
    GCancellable * cancellable, KvamAwsError * err)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL);
  g_autofree gchar *token = NULL;
  guint pages = 0;

  do {
    gchar *next = list_page (self, client, max_results, from, to, token,
        cancellable, err);
    if (!next)
      return FALSE;
    g_free (token);
    token = next;
    if (*token && (!g_hash_table_add (seen, g_strdup (token)) ||
            ++pages >= MAX_PAGES_PER_WINDOW)) {
      kvam_aws_error_set (err, KVAM_AWS_ERROR_MALFORMED,
          KVAM_API_LIST_FRAGMENTS, 200, "MalformedResponse", pages >=
          MAX_PAGES_PER_WINDOW ? "the listing did not end after 10000 pages" :
          "the same NextToken came back twice: the listing goes round in "
          "circles", NULL);
      return FALSE;
    }
  } while (*token);
  return TRUE;
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

    if (!list_window (self, client, max_results, from, to, cancellable,
            err))
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
    gboolean ok = list_window (tail, client, max_results, from, self->end,
        cancellable, &err);

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

/* ---- following a growing stream ------------------------------------------ */

/* Whether @f starts where @last ends: within half a fragment, or a second
 * when lengths are unknown (server timestamps jitter with the network). */
static gboolean
follows_on (KvamFragmentIndex * self, const KvamFragment * last,
    const KvamFragment * f)
{
  GstClockTime end = kvam_fragment_index_time (self, last) + last->duration;
  GstClockTime slack = MAX (last->duration / 2, GST_SECOND);

  return kvam_fragment_index_time (self, f) <= end + slack;
}

/* Whether @f lies so far ahead of this machine's clock, or its producer
 * time so far ahead of its server time, that it cannot be part of the
 * stream's timeline (a producer's clock that jumped): listed by producer
 * time it would hold every later fragment back until the clock got there;
 * played, its frames would come so late that the next fragments' would
 * all be dropped to keep the tracks monotonic. */
static gboolean
is_astray (KvamFragmentIndex * self, const KvamFragment * f)
{
  GstClockTime now = g_get_real_time () * GST_USECOND;

  return kvam_fragment_index_time (self, f) > now + KVAM_INDEX_MAX_AHEAD ||
      f->producer > f->server + KVAM_INDEX_MAX_AHEAD;
}

guint
kvam_fragment_index_publish_following (KvamFragmentIndex * self,
    gint64 now, gint64 straggler_wait)
{
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  g_autoptr (GPtrArray) late = g_ptr_array_new ();
  g_autoptr (GPtrArray) astray = g_ptr_array_new ();
  const KvamFragment *last;
  guint i, n = 0;

  g_mutex_lock (&self->lock);
  g_ptr_array_sort_with_data (self->pending, compare_fragment_ptrs, self);
  last = self->published->len ?
      self->published->pdata[self->published->len - 1] : NULL;
  for (i = 0; i < self->pending->len; i++) {
    KvamFragment *f = self->pending->pdata[i];
    gint64 *since = g_hash_table_lookup (self->pending_since, f);

    if (!since) {
      since = g_new (gint64, 1);
      *since = now;
      g_hash_table_insert (self->pending_since, f, since);
    }
    if (is_astray (self, f)) {
      g_ptr_array_add (astray, f);
      self->skipped++;
      g_hash_table_remove (self->pending_since, f);
    } else if (kept->len > 0) {
      g_ptr_array_add (kept, f);        /* behind one still waiting */
    } else if (last && compare_fragments (self, f, last) < 0) {
      /* its turn has gone: playing it now would go back in time */
      g_ptr_array_add (late, f);
      self->late++;
      g_hash_table_remove (self->pending_since, f);
    } else if (!last || follows_on (self, last, f) ||
        now - *since >= straggler_wait) {
      g_ptr_array_add (self->published, f);
      g_hash_table_remove (self->pending_since, f);
      last = f;
      n++;
    } else {
      /* a hole before it: a fragment listed late may still fill it */
      g_ptr_array_add (kept, f);
    }
  }
  g_ptr_array_set_size (self->pending, 0);
  g_ptr_array_extend_and_steal (self->pending, g_steal_pointer (&kept));
  if (n > 0) {
    GST_DEBUG ("published %u new fragments, %u in all, %u waiting", n,
        self->published->len, self->pending->len);
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);
  for (i = 0; i < late->len; i++)
    notify (self, KVAM_INDEX_LATE, late->pdata[i], "listed after the "
        "fragments that follow it were played");
  for (i = 0; i < astray->len; i++)
    notify (self, KVAM_INDEX_ASTRAY, astray->pdata[i], "its producer "
        "timestamp lies more than 10 minutes ahead of this machine's clock or "
        "of its server timestamp (a producer's clock that jumped)");
  return n;
}

gboolean
kvam_fragment_index_start_at_newest (KvamFragmentIndex * self)
{
  KvamFragment *newest = NULL;
  guint i;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->pending->len; i++)
    if (!newest || compare_fragments (self, self->pending->pdata[i],
            newest) > 0)
      newest = self->pending->pdata[i];
  g_ptr_array_set_size (self->pending, 0);
  if (newest) {
    g_ptr_array_add (self->pending, newest);
    self->start = kvam_fragment_index_time (self, newest);
  }
  g_mutex_unlock (&self->lock);
  return newest != NULL;
}

const KvamFragment *
kvam_fragment_index_get_last (KvamFragmentIndex * self)
{
  const KvamFragment *f = NULL;

  g_mutex_lock (&self->lock);
  if (self->published->len > 0)
    f = self->published->pdata[self->published->len - 1];
  g_mutex_unlock (&self->lock);
  return f;
}

guint
kvam_fragment_index_get_late (KvamFragmentIndex * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->late;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
kvam_fragment_index_get_skipped (KvamFragmentIndex * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->skipped;
  g_mutex_unlock (&self->lock);
  return n;
}

void
kvam_fragment_index_set_start (KvamFragmentIndex * self, GstClockTime start)
{
  g_mutex_lock (&self->lock);
  self->start = start;
  g_mutex_unlock (&self->lock);
}

GstClockTime
kvam_fragment_index_get_start (KvamFragmentIndex * self)
{
  GstClockTime t;

  g_mutex_lock (&self->lock);
  t = self->start;
  g_mutex_unlock (&self->lock);
  return t;
}

/* ---- reading side -------------------------------------------------------- */

gboolean
kvam_fragment_index_wait (KvamFragmentIndex * self, guint have,
    GCancellable * cancellable, guint * n_published, gboolean * complete)
{
  KvamCancelWake wake;
  gboolean ok;

  kvam_cancel_wake_connect (&wake, cancellable, &self->lock, &self->cond);
  g_mutex_lock (&self->lock);
  while (self->published->len <= have && !self->finished &&
      !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&self->cond, &self->lock);
  *n_published = self->published->len;
  *complete = self->finished && self->error.kind == KVAM_AWS_ERROR_NONE;
  ok = !g_cancellable_is_cancelled (cancellable) &&
      !(self->finished && self->error.kind != KVAM_AWS_ERROR_NONE &&
      self->published->len <= have);
  g_mutex_unlock (&self->lock);
  kvam_cancel_wake_disconnect (&wake);
  return ok;
}

gboolean
kvam_fragment_index_wait_finished (KvamFragmentIndex * self,
    GCancellable * cancellable, gint64 deadline)
{
  KvamCancelWake wake;
  gboolean finished;

  kvam_cancel_wake_connect (&wake, cancellable, &self->lock, &self->cond);
  g_mutex_lock (&self->lock);
  while (!self->finished && !g_cancellable_is_cancelled (cancellable) &&
      g_cond_wait_until (&self->cond, &self->lock, deadline));
  finished = self->finished && self->error.kind == KVAM_AWS_ERROR_NONE;
  g_mutex_unlock (&self->lock);
  kvam_cancel_wake_disconnect (&wake);
  return finished;
}

guint
kvam_fragment_index_get_published (KvamFragmentIndex * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->published->len;
  g_mutex_unlock (&self->lock);
  return n;
}

const KvamFragment *
kvam_fragment_index_get (KvamFragmentIndex * self, guint i)
{
  const KvamFragment *f = NULL;

  g_mutex_lock (&self->lock);
  if (i < self->published->len)
    f = self->published->pdata[i];
  g_mutex_unlock (&self->lock);
  return f;
}

guint
kvam_fragment_index_find (KvamFragmentIndex * self, GstClockTime t)
{
  guint lo = 0, hi;

  g_mutex_lock (&self->lock);
  hi = self->published->len;
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (kvam_fragment_index_time (self, self->published->pdata[mid]) < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  g_mutex_unlock (&self->lock);
  return lo;
}

gboolean
kvam_fragment_index_get_error (KvamFragmentIndex * self, KvamAwsError * err)
{
  gboolean failed;

  g_mutex_lock (&self->lock);
  failed = self->error.kind != KVAM_AWS_ERROR_NONE;
  if (failed)
    kvam_aws_error_set (err, self->error.kind, self->error.api,
        self->error.status, self->error.type, self->error.message,
        self->error.request_id);
  g_mutex_unlock (&self->lock);
  return failed;
}

guint
kvam_fragment_index_get_listed (KvamFragmentIndex * self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->numbers);
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
kvam_fragment_index_is_paged (KvamFragmentIndex * self)
{
  gboolean paged;

  g_mutex_lock (&self->lock);
  paged = self->paged;
  g_mutex_unlock (&self->lock);
  return paged;
}
