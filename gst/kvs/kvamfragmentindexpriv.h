/* kvamsrc: the fragment index's insides, shared by its files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * kvamfragmentindex.c: the sorted container, its pages' entries, following
 * (publishing in order, late and astray fragments), the reading side.
 * kvamfragmentlister.c: the ListFragments pager (pages, windows, the
 * range's last fragment).
 */
#pragma once

#include "kvamfragmentindex.h"

G_BEGIN_DECLS

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
  guint max_fragments;          /* KVAM_INDEX_MAX_FRAGMENTS */
  gboolean full;                /* a page went past it */
  KvamAwsError error;
};


/* by selected time, then fragment number */
gint kvam_fragment_index_compare (KvamFragmentIndex * index,
    const KvamFragment * a, const KvamFragment * b);
/* kvamfragmentlister.c: its debug category, once */
void kvam_fragment_lister_init (void);

G_END_DECLS
