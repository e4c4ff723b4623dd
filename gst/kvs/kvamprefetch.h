/* kvamsrc: media responses read ahead, within a byte budget
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "kvamclient.h"

G_BEGIN_DECLS

/* The bytes all of a session's read-ahead responses may hold. A reader
 * that would go over it stops reading until the session takes some: the
 * connection then fills and TCP slows the sender. */
typedef struct _KvamBudget KvamBudget;

KvamBudget *kvam_budget_new (guint64 cap);
void kvam_budget_free (KvamBudget * budget);
guint64 kvam_budget_get_used (KvamBudget * budget);
guint64 kvam_budget_get_cap (KvamBudget * budget);

/* A GetMediaForFragmentList response opened and read on a thread of its
 * own into memory, within @budget, while the session still reads the ones
 * before it. Read it as any response: the bytes come in order, then the
 * end or the error that ended it (a cut, say), which the session handles
 * as for a response it reads itself. Unref cancels and joins the thread.
 * @on_done is called on that thread once the response has ended (its
 * connection is free), with @user_data. */
#define KVAM_TYPE_PREFETCH_STREAM (kvam_prefetch_stream_get_type ())
G_DECLARE_FINAL_TYPE (KvamPrefetchStream, kvam_prefetch_stream, KVAM,
    PREFETCH_STREAM, GInputStream);

KvamPrefetchStream *kvam_prefetch_stream_new (KvamClient * client,
    gchar * body, KvamBudget * budget, GDestroyNotify on_done,
    gpointer user_data);
/* The session reads it now: it may use the budget's last quarter, which
 * the others leave to it. */
void kvam_prefetch_stream_make_head (KvamPrefetchStream * self);

G_END_DECLS
