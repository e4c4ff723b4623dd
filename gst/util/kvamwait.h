/* kvamsrc: waits that cancelling the element's GCancellable ends
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GCond does not watch a GCancellable, so every wait on one that
 * unlock() must end (the index, the budget, a read-ahead response, an
 * endpoint or credentials being fetched) connects a handler that
 * broadcasts the condition under its mutex. The two rules are kept here
 * once: connect before taking the mutex (the handler runs at once, and
 * takes the mutex, when the cancellable is already cancelled), and
 * disconnect after releasing it (g_cancellable_disconnect() waits for a
 * handler that is running, and that handler wants the mutex). The waiter
 * tests g_cancellable_is_cancelled() in its loop like any other state. */
typedef struct
{
  GCancellable *cancellable;
  GMutex *lock;
  GCond *cond;
  gulong handler;
  /* set under @lock when the cancellable fired while connected: stays
   * set should the cancellable be reset before the waiter looks */
  gboolean cancelled;
} KvamCancelWake;

/* Without @lock held; @cancellable may be NULL (nothing to watch). */
void kvam_cancel_wake_connect (KvamCancelWake * wake,
    GCancellable * cancellable, GMutex * lock, GCond * cond);
/* Without @lock held. */
void kvam_cancel_wake_disconnect (KvamCancelWake * wake);

/* Sleeps @usec; FALSE (at once) when @cancellable is or gets cancelled. */
gboolean kvam_cancellable_sleep (GCancellable * cancellable, gint64 usec);

G_END_DECLS
