/* kvs-emulator: limits and faults, set from any thread
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

void
kvs_emulator_set_rate_limit (KvsEmulator * emu, gboolean enabled)
{
  LOCKED (emu, emu->rate_limit = enabled);
}

void
kvs_emulator_set_bandwidth (KvsEmulator * emu, guint64 bytes_per_second)
{
  LOCKED (emu, emu->bandwidth = bytes_per_second);
}

void
kvs_emulator_set_chunk_size (KvsEmulator * emu, gsize bytes)
{
  LOCKED (emu, emu->chunk_size = bytes ? bytes : DEFAULT_CHUNK_SIZE);
}

void
kvs_emulator_set_gather_chunks (KvsEmulator * emu, gboolean gather)
{
  LOCKED (emu, emu->gather_chunks = gather);
}

void
kvs_emulator_set_latency (KvsEmulator * emu, guint ms)
{
  LOCKED (emu, emu->latency_ms = ms);
}

void
kvs_emulator_set_throttle_every (KvsEmulator * emu, guint n)
{
  LOCKED (emu, emu->throttle_every = n);
}

void
kvs_emulator_set_fail_every (KvsEmulator * emu, guint n)
{
  LOCKED (emu, emu->fail_every = n);
}

void
kvs_emulator_set_malformed_json_every (KvsEmulator * emu, guint n)
{
  LOCKED (emu, emu->malformed_every = n);
}

void
kvs_emulator_set_clock_offset (KvsEmulator * emu, gint seconds)
{
  LOCKED (emu, emu->clock_offset = seconds);
}

void
kvs_emulator_set_cut_every (KvsEmulator * emu, guint n)
{
  LOCKED (emu, emu->cut_every = n);
}

void
kvs_emulator_set_stale_endpoints (KvsEmulator * emu, guint n)
{
  LOCKED (emu, emu->stale_endpoints = n);
}

void
kvs_emulator_set_data_endpoint (KvsEmulator * emu, const gchar * url)
{
  LOCKED (emu, g_free (emu->data_endpoint);
      emu->data_endpoint = g_strdup (url));
}

void
kvs_emulator_set_ordered (KvsEmulator * emu, gboolean ordered)
{
  LOCKED (emu, emu->ordered = ordered);
}

void
kvs_emulator_set_short_pages (KvsEmulator * emu, guint most)
{
  LOCKED (emu, emu->short_pages = most);
}

void
kvs_emulator_set_long_pages (KvsEmulator * emu, guint count)
{
  LOCKED (emu, emu->long_pages = count);
}

void
kvs_emulator_set_listed_size (KvsEmulator * emu, guint64 bytes)
{
  LOCKED (emu, emu->listed_size = bytes);
}

static void
add_cut (KvsEmulator * emu, guint nth, guint64 bytes, gboolean stall)
{
  Cut c = { nth, bytes, stall };

  LOCKED (emu, g_array_append_val (emu->cuts, c));
}

void
kvs_emulator_add_cut (KvsEmulator * emu, guint nth, guint64 bytes)
{
  add_cut (emu, nth, bytes, FALSE);
}

void
kvs_emulator_add_stall (KvsEmulator * emu, guint nth, guint64 bytes)
{
  add_cut (emu, nth, bytes, TRUE);
}

void
kvs_emulator_add_fragment_error (KvsEmulator * emu, const gchar * name,
    guint index, guint times, const gchar * code)
{
  Stream *s;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s) {
    g_hash_table_insert (s->pending_errors, GUINT_TO_POINTER (index),
        GUINT_TO_POINTER (times));
    g_hash_table_insert (s->error_codes, GUINT_TO_POINTER (index),
        g_strdup (code ? code : "FRAGMENT_NOT_FOUND"));
  }
  g_mutex_unlock (&emu->lock);
}

static void
truncate_fragment (KvsEmulator * emu, const gchar * name, guint index,
    guint64 keep, gboolean keep_listed_size)
{
  Stream *s;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s && index < s->fragments->len) {
    KvsFragment *f = &g_array_index (s->fragments, KvsFragment, index);
    g_autoptr (GPtrArray) pieces = kvs_fragment_pieces (f, emu->tag_style);
    g_autoptr (GByteArray) doc = g_byte_array_new ();
    guint i;

    for (i = 0; i < pieces->len; i++)
      g_byte_array_append (doc, g_bytes_get_data (pieces->pdata[i], NULL),
          g_bytes_get_size (pieces->pdata[i]));
    /* stored as far as it got, listed as that or as it was meant to be */
    g_clear_pointer (&f->document, g_bytes_unref);
    f->document = g_bytes_new (doc->data, MIN (keep, doc->len));
    if (!keep_listed_size)
      f->size = MIN (keep, doc->len);
  }
  g_mutex_unlock (&emu->lock);
}

void
kvs_emulator_truncate_fragment (KvsEmulator * emu, const gchar * name,
    guint index, guint64 keep)
{
  truncate_fragment (emu, name, index, keep, FALSE);
}

void
kvs_emulator_truncate_fragment_at (KvsEmulator * emu, const gchar * name,
    guint index, gdouble fraction, gboolean keep_listed_size)
{
  const KvsFragment *frags;
  guint n;

  frags = kvs_emulator_get_fragments (emu, name, &n);
  if (frags && index < n)
    truncate_fragment (emu, name, index, (guint64) (frags[index].size *
            CLAMP (fraction, 0.0, 1.0)), keep_listed_size);
}
