/* kvamsrc: the merger finding the next document after a damaged one
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "kvammkvmergerpriv.h"

G_BEGIN_DECLS

gboolean kvam_merger_resync (KvamMkvMerger * self);
gboolean kvam_merger_damaged (KvamMkvMerger * self, GError ** error,
    const gchar * why);

typedef enum
{
  KVAM_DOCUMENT_NONE,
  KVAM_DOCUMENT_FOUND,
  KVAM_DOCUMENT_MAYBE,          /* the bytes that would tell are not in */
} KvamDocumentSearch;

/* Whether a document starts at an offset in [@from, @to) of the input
 * not yet consumed (*@at): the element there was stored truncated and
 * runs into the next document. *@searched: where a search that found
 * nothing stopped (the bytes that have arrived). */
KvamDocumentSearch kvam_merger_next_document_inside (KvamMkvMerger * self,
    gsize from, gsize to, gsize * at, gsize * searched);

G_END_DECLS
