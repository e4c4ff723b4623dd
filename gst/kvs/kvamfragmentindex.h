/* kvamsrc: the fragments of a time range, listed in windows and sorted
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "kvamclient.h"
#include "kvamfragment.h"

G_BEGIN_DECLS

typedef enum
{
  KVAM_SELECTOR_SERVER,         /* SERVER_TIMESTAMP, as AWS's own HLS/clip APIs */
  KVAM_SELECTOR_PRODUCER,       /* PRODUCER_TIMESTAMP */
} KvamSelector;

/* MaxResults of every ListFragments call: the API's maximum */
#define KVAM_LIST_PAGE_SIZE 1000

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

typedef enum
{
  KVAM_INDEX_UNUSABLE,          /* an entry whose times cannot be played:
                                 * skipped */
  KVAM_INDEX_LATE,              /* following: listed after the fragments
                                 * that follow it were played: skipped */
  KVAM_INDEX_ASTRAY,            /* following: far from the stream's
                                 * timeline (a producer's clock jump):
                                 * skipped */
} KvamIndexNotice;

/* Called once per fragment the index skips, from the lister's thread,
 * without the index's lock (@fragment lives as long as the call). */
typedef void (*KvamIndexNotify) (gpointer data, KvamIndexNotice notice,
    const KvamFragment * fragment, const gchar * why);
/* Before listing starts. */
void kvam_fragment_index_set_notify (KvamFragmentIndex * index,
    KvamIndexNotify notify, gpointer data);

/* Adds the entries of one ListFragments page (any order, duplicates
 * dropped, entries with unusable times skipped and notified); FALSE with
 * @error on malformed entries. */
gboolean kvam_fragment_index_add_page (KvamFragmentIndex * index,
    JsonArray * fragments, GError ** error);
/* Every fragment starting at or before @t is now known: sort and publish. */
/* A whole ListFragments response: checks it (Fragments an array of at
 * most @max_results entries, 0: any; NextToken absent, null or a string),
 * takes its entries whole or not at all, and returns the next token (""
 * on the last page). */
gboolean kvam_fragment_index_take_page (KvamFragmentIndex * index,
    JsonNode * root, guint max_results, gchar ** next_token,
    GError ** error);
/* The most fragments one range may hold: about 11.5 days of 1 s fragments,
 * 23 of 2 s, and ~150 MB of index. A listing past it is an error. */
#define KVAM_INDEX_MAX_FRAGMENTS 1000000
/* A lower cap (tests); before listing. */
void kvam_fragment_index_set_max_fragments (KvamFragmentIndex * index,
    guint max);
guint kvam_fragment_index_get_max_fragments (KvamFragmentIndex * index);
/* TRUE once a page would have taken the index past the cap (the page was
 * not taken). */
gboolean kvam_fragment_index_is_full (KvamFragmentIndex * index);
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

/* Where the range's last fragment ends (producer time), found by listing
 * the range's last minute, then windows 16 times wider, apart from the
 * index (a long range is still being listed from its start), until
 * @deadline (monotonic µs). FALSE if not found by then. Blocking. */
gboolean kvam_fragment_index_find_last (KvamFragmentIndex * index,
    KvamClient * client, guint max_results, gint64 deadline,
    GCancellable * cancellable, GstClockTime * end);

/* ---- following a growing stream (kvamfollow.c) ---- */

/* A fragment further ahead of this machine's clock than this is astray:
 * producers' and the service's clocks run a little ahead, not this much */
#define KVAM_INDEX_MAX_AHEAD (600 * GST_SECOND)

/* Publishes the pending fragments that continue the published ones, in
 * order. A fragment after a hole waits, up to @straggler_wait µs after it
 * was first seen (@now: monotonic µs), for a fragment listed late to fill
 * it; one listed after its successors were published is skipped (counted
 * in _get_late, notified), and so is one astray (KVAM_INDEX_MAX_AHEAD;
 * counted in _get_skipped). Returns how many were published. */
guint kvam_fragment_index_publish_following (KvamFragmentIndex * index,
    gint64 now, gint64 straggler_wait);
/* Keeps only the newest pending fragment, which becomes the start: live
 * playback begins there. FALSE if none is pending. */
gboolean kvam_fragment_index_start_at_newest (KvamFragmentIndex * index);
/* The last published fragment, or NULL. */
const KvamFragment *kvam_fragment_index_get_last (KvamFragmentIndex * index);
guint kvam_fragment_index_get_late (KvamFragmentIndex * index);
/* Entries skipped: unusable times, or astray while following. */
guint kvam_fragment_index_get_skipped (KvamFragmentIndex * index);
/* Lowers or raises where the range starts (live: the look-back, before
 * the newest fragment is chosen). */
void kvam_fragment_index_set_start (KvamFragmentIndex * index,
    GstClockTime start);
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
