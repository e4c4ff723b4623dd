/* kvamsrc: the fragments of a time range, listed in windows and sorted
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "kvamclient.h"

G_BEGIN_DECLS

typedef enum
{
  KVAM_SELECTOR_SERVER,         /* SERVER_TIMESTAMP, as AWS's own HLS/clip APIs */
  KVAM_SELECTOR_PRODUCER,       /* PRODUCER_TIMESTAMP */
} KvamSelector;

typedef struct
{
  gchar *number;                /* ~47 decimal digits */
  GstClockTime producer;        /* ns since the epoch */
  GstClockTime server;
  GstClockTime duration;        /* may be 0 */
  guint64 size;
} KvamFragment;

/* Fragment numbers are wider than 128 bits: by length, then digits. */
gint kvam_fragment_number_compare (const gchar * a, const gchar * b);

/* All fragments of [start, end] (inclusive, on the selected timestamp),
 * filled window by window by a lister while a reader takes the sorted
 * prefix that is known to be complete. Thread-safe. */
typedef struct _KvamFragmentIndex KvamFragmentIndex;

KvamFragmentIndex *kvam_fragment_index_new (KvamSelector selector,
    GstClockTime start, GstClockTime end);
void kvam_fragment_index_free (KvamFragmentIndex * index);

GstClockTime kvam_fragment_index_time (KvamFragmentIndex * index,
    const KvamFragment * fragment);

/* ---- the listing side ---- */

/* Adds the entries of one ListFragments page (any order, duplicates
 * dropped); FALSE with @error on malformed entries. */
gboolean kvam_fragment_index_add_page (KvamFragmentIndex * index,
    JsonArray * fragments, GError ** error);
/* Every fragment starting at or before @t is now known: sort and publish. */
/* A whole ListFragments response: checks it (Fragments an array, NextToken
 * absent, null or a string), takes its entries whole or not at all, and
 * returns the next token ("" on the last page). */
gboolean kvam_fragment_index_take_page (KvamFragmentIndex * index,
    JsonNode * root, gchar ** next_token, GError ** error);
void kvam_fragment_index_publish (KvamFragmentIndex * index, GstClockTime t);
/* Listing ended: successfully, or with @err (copied). */
void kvam_fragment_index_finish (KvamFragmentIndex * index,
    const KvamAwsError * err);

/* Lists the whole range with ListFragments, window by window (the first
 * small, then doubling), publishing each window when its pages are in.
 * Blocking; run it on a thread of its own. */
void kvam_fragment_index_list (KvamFragmentIndex * index, KvamClient * client,
    guint max_results, GCancellable * cancellable);

/* The same, up to @until (at most the range's end), without ending the
 * listing: a growing stream is then followed. FALSE with @err. */
gboolean kvam_fragment_index_list_until (KvamFragmentIndex * index,
    KvamClient * client, guint max_results, GstClockTime until,
    GCancellable * cancellable, KvamAwsError * err);
/* All pages of ListFragments on [@from, @to]: their entries go to the
 * pending fragments, to be published. FALSE with @err. */
gboolean kvam_fragment_index_list_pages (KvamFragmentIndex * index,
    KvamClient * client, guint max_results, GstClockTime from,
    GstClockTime to, GCancellable * cancellable, KvamAwsError * err);

/* ---- following a growing stream (kvamfollow.c) ---- */

/* Publishes the pending fragments that continue the published ones, in
 * order. A fragment after a hole waits, up to @straggler_wait µs after it
 * was first seen (@now: monotonic µs), for a fragment listed late to fill
 * it; one listed after its successors were published is dropped (counted
 * in _get_late). Returns how many were published. */
guint kvam_fragment_index_publish_following (KvamFragmentIndex * index,
    gint64 now, gint64 straggler_wait);
/* Keeps only the newest pending fragment, which becomes the start: live
 * playback begins there. FALSE if none is pending. */
gboolean kvam_fragment_index_start_at_newest (KvamFragmentIndex * index);
/* The last published fragment, or NULL. */
const KvamFragment *kvam_fragment_index_get_last (KvamFragmentIndex * index);
guint kvam_fragment_index_get_late (KvamFragmentIndex * index);
GstClockTime kvam_fragment_index_get_start (KvamFragmentIndex * index);

/* ---- the reading side ---- */

/* Waits until more than @have fragments are published or the listing has
 * ended. Returns the number published; *@complete tells whether that is
 * all. FALSE if cancelled or the listing failed (see _get_error). */
gboolean kvam_fragment_index_wait (KvamFragmentIndex * index, guint have,
    GCancellable * cancellable, guint * n_published, gboolean * complete);
/* Waits until the listing has ended, @cancellable fires or @deadline
 * (monotonic µs) passes; TRUE when the whole range is listed. */
gboolean kvam_fragment_index_wait_finished (KvamFragmentIndex * index,
    GCancellable * cancellable, gint64 deadline);
guint kvam_fragment_index_get_published (KvamFragmentIndex * index);
/* Fragment @i of the published, sorted prefix (stable pointer). */
const KvamFragment *kvam_fragment_index_get (KvamFragmentIndex * index,
    guint i);
/* First published fragment whose selected time is >= @t. */
guint kvam_fragment_index_find (KvamFragmentIndex * index, GstClockTime t);
gboolean kvam_fragment_index_get_error (KvamFragmentIndex * index,
    KvamAwsError * err);
guint kvam_fragment_index_get_listed (KvamFragmentIndex * index);
/* Whether the range's first ListFragments page was not its last: the
 * listing goes on window by window, for a while. */
gboolean kvam_fragment_index_is_paged (KvamFragmentIndex * index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamFragmentIndex, kvam_fragment_index_free)

G_END_DECLS
