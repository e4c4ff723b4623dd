/* kvamsrc: the fragments of a time range, sorted and published
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Entries of ListFragments pages (kvamfragmentlister.c lists them) go to
 * the pending fragments; a window whose pages are all in is sorted and
 * published after the ones before it, and the reader only ever sees that
 * complete, sorted prefix. Following a growing stream publishes in order
 * as fragments appear.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfragmentindexpriv.h"
#include "kvamjson.h"
#include "kvamtime.h"
#include "kvamwait.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (kvam_index_debug);
#define GST_CAT_DEFAULT kvam_index_debug

/* Fragments are stored in blocks and their numbers in a string chunk: two
 * allocations per thousand fragments instead of two per fragment: 88 bytes
 * a fragment instead of 112, and no scattered holes left in the heap when
 * the index goes. */
#define FRAGMENTS_PER_BLOCK 1024
/* bounds on what a listing may claim, clamped to */
#define MAX_FRAGMENT_MS (24 * 3600 * 1000)
#define MAX_FRAGMENT_BYTES (G_GUINT64_CONSTANT (1) << 30)
#define NUMBERS_CHUNK_SIZE (64 * 1024)

KvamFragmentIndex *
kvam_fragment_index_new (KvamSelector selector, GstClockTime start,
    GstClockTime end)
{
  KvamFragmentIndex *self = g_new0 (KvamFragmentIndex, 1);
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (kvam_index_debug, "kvamfragmentindex", 0,
        "kvamsrc fragment index");
    kvam_fragment_lister_init ();
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
  self->max_fragments = KVAM_INDEX_MAX_FRAGMENTS;
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
  if (g_hash_table_size (self->numbers) + n > self->max_fragments) {
    self->full = TRUE;
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
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

void
kvam_fragment_index_set_max_fragments (KvamFragmentIndex * self, guint max)
{
  self->max_fragments = max;
}

guint
kvam_fragment_index_get_max_fragments (KvamFragmentIndex * self)
{
  return self->max_fragments;
}

gboolean
kvam_fragment_index_is_full (KvamFragmentIndex * self)
{
  gboolean full;

  g_mutex_lock (&self->lock);
  full = self->full;
  g_mutex_unlock (&self->lock);
  return full;
}

gint
kvam_fragment_index_compare (KvamFragmentIndex * self, const KvamFragment * a,
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
  return kvam_fragment_index_compare (self, *(KvamFragment **) a,
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
    kvam_aws_error_set (&self->error, err->kind, err->operation, err->status,
        err->type, err->message, err->request_id);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
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
    } else if (last && kvam_fragment_index_compare (self, f, last) < 0) {
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
    if (!newest || kvam_fragment_index_compare (self, self->pending->pdata[i],
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
    kvam_aws_error_set (err, self->error.kind, self->error.operation,
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
