/* kvamsrc: process-wide pacing of calls to one stream's API
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvampacer.h"

struct _KvamPacer
{
  gchar *key;
  guint refs;                   /* under pacers_lock, like the rest */
  gint64 sends[KVAM_PACER_CALLS];       /* monotonic µs, booked, a ring */
  guint next;
  guint connections;            /* open media responses */
};

static GMutex pacers_lock;
static GHashTable *pacers;      /* key -> KvamPacer */

static void
pacer_free (KvamPacer * pacer)
{
  g_free (pacer->key);
  g_free (pacer);
}

/* A pacer outlives its last holder by a window, so that an element started
 * right after another on the same stream still counts the other's calls. */
static gboolean
pacer_is_spent (gpointer key, gpointer value, gpointer now)
{
  KvamPacer *pacer = value;
  gint64 last = pacer->sends[(pacer->next + KVAM_PACER_CALLS - 1) %
      KVAM_PACER_CALLS];

  return pacer->refs == 0 && pacer->connections == 0 &&
      last + KVAM_PACER_WINDOW_US < *(gint64 *) now;
}

KvamPacer *
kvam_pacer_acquire (const gchar * key)
{
  gint64 now = g_get_monotonic_time ();
  KvamPacer *pacer;

  g_mutex_lock (&pacers_lock);
  if (!pacers)
    pacers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
        (GDestroyNotify) pacer_free);
  g_hash_table_foreach_remove (pacers, pacer_is_spent, &now);
  pacer = g_hash_table_lookup (pacers, key);
  if (!pacer) {
    pacer = g_new0 (KvamPacer, 1);
    pacer->key = g_strdup (key);
    g_hash_table_insert (pacers, pacer->key, pacer);
  }
  pacer->refs++;
  g_mutex_unlock (&pacers_lock);
  return pacer;
}

void
kvam_pacer_release (KvamPacer * pacer)
{
  if (!pacer)
    return;
  g_mutex_lock (&pacers_lock);
  pacer->refs--;
  g_mutex_unlock (&pacers_lock);
}

gint64
kvam_pacer_reserve (KvamPacer * pacer, gint64 * booked)
{
  gint64 now, at;

  g_mutex_lock (&pacers_lock);
  now = g_get_monotonic_time ();
  /* the slot taken holds the send KVAM_PACER_CALLS calls ago */
  at = pacer->sends[pacer->next] ?
      MAX (now, pacer->sends[pacer->next] + KVAM_PACER_WINDOW_US) : now;
  pacer->sends[pacer->next] = at;
  pacer->next = (pacer->next + 1) % KVAM_PACER_CALLS;
  g_mutex_unlock (&pacers_lock);
  *booked = at;
  return at - now;
}

void
kvam_pacer_sent (KvamPacer * pacer, gint64 booked)
{
  gint64 now = g_get_monotonic_time ();
  guint i;

  if (now <= booked)
    return;
  g_mutex_lock (&pacers_lock);
  /* the slot still holds the booking unless 5 later calls reused it, and
   * those were booked after it anyway */
  for (i = 0; i < KVAM_PACER_CALLS; i++)
    if (pacer->sends[i] == booked) {
      pacer->sends[i] = now;
      break;
    }
  g_mutex_unlock (&pacers_lock);
}

void
kvam_pacer_take_connection (KvamPacer * pacer)
{
  g_mutex_lock (&pacers_lock);
  pacer->connections++;
  g_mutex_unlock (&pacers_lock);
}

gboolean
kvam_pacer_try_connection (KvamPacer * pacer, guint limit)
{
  gboolean ok;

  g_mutex_lock (&pacers_lock);
  ok = pacer->connections < limit;
  if (ok)
    pacer->connections++;
  g_mutex_unlock (&pacers_lock);
  return ok;
}

void
kvam_pacer_drop_connection (KvamPacer * pacer)
{
  g_mutex_lock (&pacers_lock);
  if (pacer->connections > 0)
    pacer->connections--;
  g_mutex_unlock (&pacers_lock);
}
