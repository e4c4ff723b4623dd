/* kvs-emulator: the request log (in memory, and one JSON line a request in a file)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

void
kvs_emulator_set_log_file (KvsEmulator * emu, const gchar * path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  g_mutex_lock (&emu->lock);
  g_clear_object (&emu->log_file);
  emu->log_file = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE,
      NULL, NULL);
  g_mutex_unlock (&emu->lock);
}

static void
write_log_line (KvsEmulator * emu, const KvsLogEntry * e)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *line = NULL, *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_double_value (b, e->time);
  json_builder_set_member_name (b, "operation");
  json_builder_add_string_value (b, e->operation);
  json_builder_set_member_name (b, "stream");
  if (e->stream)
    json_builder_add_string_value (b, e->stream);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, e->status);
  json_builder_set_member_name (b, "error_type");
  if (e->error_type)
    json_builder_add_string_value (b, e->error_type);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, e->bytes);
  json_builder_set_member_name (b, "fragments");
  json_builder_add_int_value (b, e->fragments);
  json_builder_set_member_name (b, "cut");
  json_builder_add_boolean_value (b, e->cut);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  line = g_strconcat (text, "\n", NULL);
  g_output_stream_write_all (G_OUTPUT_STREAM (emu->log_file), line,
      strlen (line), NULL, NULL, NULL);
  g_output_stream_flush (G_OUTPUT_STREAM (emu->log_file), NULL, NULL);
}

void
kvs_log_request (KvsEmulator * emu, const gchar * operation,
    const gchar * stream, guint status, const gchar * error_type, guint64 bytes,
    guint fragments, gboolean cut)
{
  KvsLogEntry *e = g_new0 (KvsLogEntry, 1);

  e->time = g_get_real_time () / 1e6;
  e->operation = g_strdup (operation);
  e->stream = g_strdup (stream);
  e->status = status;
  e->error_type = g_strdup (error_type);
  e->bytes = bytes;
  e->fragments = fragments;
  e->cut = cut;
  g_mutex_lock (&emu->lock);
  if (emu->log_file)
    write_log_line (emu, e);
  g_ptr_array_add (emu->log, e);
  g_mutex_unlock (&emu->lock);
}

GPtrArray *
kvs_emulator_get_log (KvsEmulator * emu)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvs_log_entry_free);
  guint i;

  g_mutex_lock (&emu->lock);
  for (i = 0; i < emu->log->len; i++) {
    KvsLogEntry *e = emu->log->pdata[i], *c = g_new (KvsLogEntry, 1);
    *c = *e;
    c->operation = g_strdup (e->operation);
    c->stream = g_strdup (e->stream);
    c->error_type = g_strdup (e->error_type);
    g_ptr_array_add (copy, c);
  }
  g_mutex_unlock (&emu->lock);
  return copy;
}

guint
kvs_emulator_count (KvsEmulator * emu, const gchar * operation,
    const gchar * error_type)
{
  guint i, n = 0;

  g_mutex_lock (&emu->lock);
  for (i = 0; i < emu->log->len; i++) {
    KvsLogEntry *e = emu->log->pdata[i];
    if (operation && g_strcmp0 (e->operation, operation) != 0)
      continue;
    if (g_strcmp0 (error_type, "*") != 0 &&
        g_strcmp0 (error_type, e->error_type) != 0)
      continue;
    n++;
  }
  g_mutex_unlock (&emu->lock);
  return n;
}

void
kvs_emulator_clear_log (KvsEmulator * emu)
{
  LOCKED (emu, g_ptr_array_set_size (emu->log, 0));
}
