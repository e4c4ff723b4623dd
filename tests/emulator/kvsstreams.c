/* kvs-emulator: streams: synthetic, captured and Matroska fragments,
 * fragment numbers, start times
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

static void
fragment_clear (KvsFragment * f)
{
  g_clear_pointer (&f->document, g_bytes_unref);
}

/* ---- streams ------------------------------------------------------------- */

static Stream *
get_or_create_stream (KvsEmulator * emu, const gchar * name)
{
  Stream *s = g_hash_table_lookup (emu->streams, name);

  if (s)
    return s;
  s = g_new0 (Stream, 1);
  s->name = g_strdup (name);
  s->arn = g_strdup_printf ("arn:aws:kinesisvideo:%s:" ACCOUNT
      ":stream/%s/1700000000000", emu->region, name);
  s->fragments = g_array_new (FALSE, TRUE, sizeof (KvsFragment));
  g_array_set_clear_func (s->fragments, (GDestroyNotify) fragment_clear);
  s->by_number = g_hash_table_new (g_str_hash, g_str_equal);
  s->gops = g_ptr_array_new_with_free_func ((GDestroyNotify) kvs_gop_free);
  s->captures = g_ptr_array_new ();
  s->sequence = (g_str_hash (name) % 900000) + 100000;
  s->pending_errors = g_hash_table_new (NULL, NULL);
  s->error_codes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_insert (emu->streams, s->name, s);
  return s;
}

/* 47 digits that grow with ingestion order, like the service's. */
static void
next_fragment_number (Stream * s, gchar out[48])
{
  s->sequence += 1 + (s->sequence % 7);
  g_snprintf (out, 48, "9134385233318%015" G_GUINT64_FORMAT "%019"
      G_GUINT64_FORMAT, (guint64) (g_str_hash (s->name) % 1000000000000000),
      s->sequence * 1000003);
}

static gint64
stream_end_ms (Stream * s)
{
  KvsFragment *last;

  if (s->fragments->len == 0)
    return -1;
  last = &g_array_index (s->fragments, KvsFragment, s->fragments->len - 1);
  return last->producer_ms + last->duration_ms;
}

/* Where the next fragments of @s start: after its last, else at the
 * configured start, else so that @length_ms ends now. */
static gint64
next_start (KvsEmulator * emu, Stream * s, gint64 length_ms)
{
  gint64 end = stream_end_ms (s);

  if (end >= 0)
    return end;
  if (emu->next_start_ms >= 0)
    return emu->next_start_ms;
  if (emu->live)
    return kvs_live_default_start (emu);
  return (g_get_real_time () / 1000 - length_ms) / 1000 * 1000;
}

/* The keys point into the fragment array, which moves as it grows: index
 * all of it again. */
static void
index_fragments (Stream * s)
{
  guint i;

  g_hash_table_remove_all (s->by_number);
  for (i = 0; i < s->fragments->len; i++)
    g_hash_table_insert (s->by_number,
        g_array_index (s->fragments, KvsFragment, i).number,
        GUINT_TO_POINTER (i + 1));
}

/* Appends @count fragments cycling through @gops. */
static void
append_gop_fragments (KvsEmulator * emu, Stream * s, GPtrArray * gops,
    guint count)
{
  guint first_gop = s->gops->len, from = s->fragments->len, i;
  gint64 total = 0, t;

  for (i = 0; i < count; i++)
    total += kvs_gop_duration_ms (gops->pdata[i % gops->len]);
  t = next_start (emu, s, total);
  for (i = 0; i < gops->len; i++)
    g_ptr_array_add (s->gops, gops->pdata[i]);
  g_ptr_array_set_free_func (gops, NULL);

  g_array_set_size (s->fragments, from + count);
  for (i = 0; i < count; i++) {
    KvsFragment *f = &g_array_index (s->fragments, KvsFragment, from + i);
    KvsGop *gop = s->gops->pdata[first_gop + i % gops->len];
    gchar number[48];

    next_fragment_number (s, number);
    /* the service stamps a fragment about a second after it starts */
    kvs_fragment_init_from_gop (f, gop, number, t, t + 1200 + (i % 7) * 13,
        emu->tag_style);
    t += kvs_gop_duration_ms (gop);
  }
  index_fragments (s);
}

gboolean
kvs_emulator_add_synthetic (KvsEmulator * emu, const gchar * name,
    guint count, guint seconds, guint width, guint height, GError ** error)
{
  return kvs_emulator_add_synthetic_full (emu, name, count, seconds, width,
      height, 0, error);
}

gboolean
kvs_emulator_add_synthetic_full (KvsEmulator * emu, const gchar * name,
    guint count, guint seconds, guint width, guint height,
    KvsSyntheticFlags flags, GError ** error)
{
  /* a handful of distinct groups, replayed with new times */
  guint distinct = MIN (count, 5);
  g_autoptr (GPtrArray) gops = NULL;

  if (count == 0 || seconds == 0 || seconds > 60) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "synthetic stream %s: need 1 or more fragments of 1 to 60 s", name);
    return FALSE;
  }
  if (flags & KVS_SYNTHETIC_AUDIO)
    gops = kvs_media_synthesize_av (&distinct, seconds, width, height,
        (flags & KVS_SYNTHETIC_AUDIO_OVERLAP) != 0, error);
  else
    gops = kvs_media_synthesize (distinct, seconds, width, height, error);
  if (!gops)
    return FALSE;
  g_mutex_lock (&emu->lock);
  append_gop_fragments (emu, get_or_create_stream (emu, name), gops, count);
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

gboolean
kvs_emulator_add_matroska (KvsEmulator * emu, const gchar * name,
    const gchar * path, guint seconds, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GPtrArray) gops = NULL;
  gsize size;

  if (!g_file_get_contents (path, &data, &size, error))
    return FALSE;
  gops = kvs_media_split_matroska ((const guint8 *) data, size,
      MAX (seconds, 1), error);
  if (!gops) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  g_mutex_lock (&emu->lock);
  append_gop_fragments (emu, get_or_create_stream (emu, name), gops, gops->len);
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

gboolean
kvs_emulator_add_capture (KvsEmulator * emu, const gchar * name,
    const gchar * path, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GPtrArray) frags = NULL;
  Stream *s;
  gsize size;
  guint i;

  if (!g_file_get_contents (path, &data, &size, error))
    return FALSE;
  frags = kvs_media_split_capture ((const guint8 *) data, size, error);
  if (!frags) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  g_mutex_lock (&emu->lock);
  s = get_or_create_stream (emu, name);
  /* a capture keeps its own numbers and times */
  for (i = 0; i < frags->len; i++) {
    KvsFragment *f = frags->pdata[i];
    g_array_append_val (s->fragments, *f);
    f->document = NULL;
  }
  index_fragments (s);
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

const KvsFragment *
kvs_emulator_get_fragments (KvsEmulator * emu, const gchar * name,
    guint * n_fragments)
{
  Stream *s = g_hash_table_lookup (emu->streams, name);

  *n_fragments = s ? s->fragments->len : 0;
  return s ? (const KvsFragment *) s->fragments->data : NULL;
}

/* ---- request log --------------------------------------------------------- */
