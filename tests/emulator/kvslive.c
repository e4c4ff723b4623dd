/* kvs-emulator: streams that grow while they are read
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A live emulator holds a stream's fragments from the start but shows each
 * one (in ListFragments and GetMediaForFragmentList) only once the
 * emulator's clock passes its server timestamp, the moment the service
 * would have stamped it. The stream thus runs from its start, which may
 * lie in the past, into the future. Like the real service, whose listing
 * is eventually consistent, some fragments can be set to show up late,
 * after the ones that follow them; and ingestion can pause, leaving a gap
 * in the timeline.
 */
#include "kvsemulatorpriv.h"

void
kvs_emulator_set_live (KvsEmulator * emu, gboolean live)
{
  LOCKED (emu, emu->live = live);
}

void
kvs_emulator_set_late_listing (KvsEmulator * emu, guint every, guint ms)
{
  LOCKED (emu, emu->late_every = every; emu->late_ms = ms);
}

gint64
kvs_emulator_now_ms (KvsEmulator * emu)
{
  return g_get_real_time () / 1000 + (gint64) emu->clock_offset * 1000;
}

gint64
kvs_live_default_start (KvsEmulator * emu)
{
  return kvs_emulator_now_ms (emu) / 1000 * 1000;
}

gboolean
kvs_stream_listable (KvsEmulator * emu, Stream * s, guint i)
{
  const KvsFragment *f = &g_array_index (s->fragments, KvsFragment, i);
  gint64 shown = f->server_ms;

  if (!emu->live)
    return TRUE;
  if (emu->late_every && i % emu->late_every == emu->late_every - 1)
    shown += emu->late_ms;
  return shown <= kvs_emulator_now_ms (emu);
}

gint64
kvs_emulator_listable_time (KvsEmulator * emu, const gchar * name, guint i)
{
  Stream *s;
  gint64 t = -1;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s && i < s->fragments->len) {
    t = g_array_index (s->fragments, KvsFragment, i).server_ms;
    if (emu->late_every && i % emu->late_every == emu->late_every - 1)
      t += emu->late_ms;
  }
  g_mutex_unlock (&emu->lock);
  return t;
}

gboolean
kvs_emulator_add_pause (KvsEmulator * emu, const gchar * name, guint from,
    guint seconds)
{
  Stream *s;
  guint i;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (!s || from >= s->fragments->len) {
    g_mutex_unlock (&emu->lock);
    return FALSE;
  }
  for (i = from; i < s->fragments->len; i++) {
    KvsFragment *f = &g_array_index (s->fragments, KvsFragment, i);
    gint64 producer = f->producer_ms + (gint64) seconds * 1000;
    gint64 server = f->server_ms + (gint64) seconds * 1000;
    gchar number[48];

    if (f->gop) {
      /* a replayed group carries its times in its tags: made anew */
      g_strlcpy (number, f->number, sizeof (number));
      kvs_fragment_init_from_gop (f, f->gop, number, producer, server,
          emu->tag_style);
    } else {
      f->producer_ms = producer;
      f->server_ms = server;
    }
  }
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

gboolean
kvs_emulator_jump_producer_clock (KvsEmulator * emu, const gchar * name,
    guint index, gint64 ms)
{
  Stream *s;
  KvsFragment *f;
  gchar number[48];

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (!s || index >= s->fragments->len ||
      !(f = &g_array_index (s->fragments, KvsFragment, index))->gop) {
    g_mutex_unlock (&emu->lock);
    return FALSE;
  }
  g_strlcpy (number, f->number, sizeof (number));
  kvs_fragment_init_from_gop (f, f->gop, number, f->producer_ms + ms,
      f->server_ms, emu->tag_style);
  /* producer times no longer grow with ingestion */
  s->unsorted = TRUE;
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

gboolean
kvs_emulator_list_unusable_time (KvsEmulator * emu, const gchar * name,
    guint index)
{
  Stream *s;
  gboolean ok;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  ok = s && index < s->fragments->len;
  if (ok)
    g_array_index (s->fragments, KvsFragment, index).listed_unusable = TRUE;
  g_mutex_unlock (&emu->lock);
  return ok;
}
