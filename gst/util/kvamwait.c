/* kvamsrc: waits that cancelling the element's GCancellable ends
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamwait.h"

static void
wake (GCancellable * cancellable, KvamCancelWake * w)
{
  g_mutex_lock (w->lock);
  w->cancelled = TRUE;
  g_cond_broadcast (w->cond);
  g_mutex_unlock (w->lock);
}

void
kvam_cancel_wake_connect (KvamCancelWake * w, GCancellable * cancellable,
    GMutex * lock, GCond * cond)
{
  w->cancellable = cancellable;
  w->lock = lock;
  w->cond = cond;
  w->cancelled = FALSE;
  w->handler = cancellable ? g_cancellable_connect (cancellable,
      G_CALLBACK (wake), w, NULL) : 0;
}

void
kvam_cancel_wake_disconnect (KvamCancelWake * w)
{
  /* 0 when there was no cancellable, or it was already cancelled (the
   * handler then ran inside connect and stays unconnected) */
  if (w->handler)
    g_cancellable_disconnect (w->cancellable, w->handler);
  w->handler = 0;
}

gboolean
kvam_cancellable_sleep (GCancellable * cancellable, gint64 usec)
{
  gint64 until = g_get_monotonic_time () + usec;
  KvamCancelWake w;
  GMutex lock;
  GCond cond;

  if (usec <= 0)
    return !g_cancellable_is_cancelled (cancellable);
  g_mutex_init (&lock);
  g_cond_init (&cond);
  kvam_cancel_wake_connect (&w, cancellable, &lock, &cond);
  g_mutex_lock (&lock);
  while (!w.cancelled && g_cond_wait_until (&cond, &lock, until));
  g_mutex_unlock (&lock);
  kvam_cancel_wake_disconnect (&w);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  return !w.cancelled && !g_cancellable_is_cancelled (cancellable);
}
