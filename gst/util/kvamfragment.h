/* kvamsrc: a fragment as the listing describes it
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain data, shared by the KVS layer that lists fragments and the
 * Matroska layer that merges them, so that neither depends on the other.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  gchar *number;                /* ~47 decimal digits */
  GstClockTime producer;        /* ns since the epoch */
  GstClockTime server;
  GstClockTime duration;        /* may be 0 */
  guint64 size;
} KvamFragment;

/* Fragment numbers are wider than 128 bits: by length, then digits
 * (leading zeros ignored). */
gint kvam_fragment_number_compare (const gchar * a, const gchar * b);

G_END_DECLS
