/* kvs-emulator: a local Kinesis Video Streams archived-media service
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

static const gchar *const op_names[N_OPS] = {
  "GetDataEndpoint", "ListFragments", "GetMediaForFragmentList"
};

/* ---- small helpers ------------------------------------------------------- */

void
kvs_log_entry_free (KvsLogEntry * e)
{
  g_free (e->operation);
  g_free (e->stream);
  g_free (e->error_type);
  g_free (e);
}

static void
credentials_free (Credentials * c)
{
  g_free (c->access_key);
  g_free (c->secret_key);
  g_free (c->session_token);
  g_free (c);
}

static void
stream_free (Stream * s)
{
  g_free (s->name);
  g_free (s->arn);
  g_array_unref (s->fragments);
  g_hash_table_unref (s->by_number);
  g_ptr_array_unref (s->gops);
  g_ptr_array_unref (s->captures);
  g_hash_table_unref (s->pending_errors);
  g_hash_table_unref (s->error_codes);
  g_free (s);
}

static void
fragment_clear (KvsFragment * f)
{
  g_clear_pointer (&f->document, g_bytes_unref);
}

gchar *
kvs_format_java_double_seconds (gint64 epoch_ms)
{
  /* Java's Double.toString of seconds: d.dddE9, no trailing zeros */
  g_autofree gchar *digits = g_strdup_printf ("%" G_GINT64_FORMAT, epoch_ms);
  gint exponent = (gint) strlen (digits) - 4;   /* digits before the ms */
  gint last = (gint) strlen (digits) - 1;

  if (epoch_ms < 10000000000)
    return g_strdup_printf ("%.3f", epoch_ms / 1000.0);
  while (last > 1 && digits[last] == '0')
    last--;
  return g_strdup_printf ("%c.%.*sE%d", digits[0], MAX (last, 1),
      digits + 1, exponent);
}

KvsEmulator *
kvs_emulator_new (void)
{
  KvsEmulator *emu = g_new0 (KvsEmulator, 1);

  g_mutex_init (&emu->lock);
  g_cond_init (&emu->started);
  emu->region = g_strdup (KVS_EMULATOR_DEFAULT_REGION);
  emu->credentials = g_ptr_array_new_with_free_func ((GDestroyNotify)
      credentials_free);
  kvs_emulator_add_credentials (emu, KVS_EMULATOR_DEFAULT_ACCESS_KEY,
      KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL);
  emu->default_credentials = TRUE;
  emu->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) stream_free);
  emu->next_start_ms = -1;
  emu->rate_limit = TRUE;
  emu->cuts = g_array_new (FALSE, FALSE, sizeof (Cut));
  emu->log = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvs_log_entry_free);
  emu->web_identity_tokens = g_ptr_array_new_with_free_func (g_free);
  emu->sso_tokens = g_ptr_array_new_with_free_func (g_free);
  emu->last_sts_params = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, g_free);
  emu->context = g_main_context_new ();
  emu->loop = g_main_loop_new (emu->context, FALSE);
  return emu;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Quits @loop from inside it: a quit before the loop starts running would
 * be lost. */
static void
quit_loop_in_context (GMainLoop * loop, GMainContext * context)
{
  GSource *idle = g_idle_source_new ();

  g_source_set_callback (idle, quit_loop, loop, NULL);
  g_source_attach (idle, context);
  g_source_unref (idle);
}

void
kvs_emulator_free (KvsEmulator * emu)
{
  if (!emu)
    return;
  if (emu->thread) {
    quit_loop_in_context (emu->loop, emu->context);
    g_thread_join (emu->thread);
  }
  g_main_loop_unref (emu->loop);
  g_main_context_unref (emu->context);
  g_free (emu->region);
  g_free (emu->data_endpoint);
  g_ptr_array_unref (emu->credentials);
  g_hash_table_unref (emu->streams);
  g_array_unref (emu->cuts);
  g_ptr_array_unref (emu->log);
  g_clear_object (&emu->log_file);
  g_ptr_array_unref (emu->web_identity_tokens);
  g_ptr_array_unref (emu->sso_tokens);
  g_hash_table_unref (emu->last_sts_params);
  g_free (emu->last_user_agent);
  g_clear_error (&emu->start_error);
  g_mutex_clear (&emu->lock);
  g_cond_clear (&emu->started);
  g_free (emu);
}

/* ---- configuration ------------------------------------------------------- */

void
kvs_emulator_set_region (KvsEmulator * emu, const gchar * region)
{
  LOCKED (emu, g_free (emu->region); emu->region = g_strdup (region));
}

void
kvs_emulator_add_credentials (KvsEmulator * emu, const gchar * access_key,
    const gchar * secret_key, const gchar * session_token)
{
  Credentials *c = g_new0 (Credentials, 1);

  c->access_key = g_strdup (access_key);
  c->secret_key = g_strdup (secret_key);
  c->session_token = session_token && *session_token ?
      g_strdup (session_token) : NULL;
  g_mutex_lock (&emu->lock);
  if (emu->default_credentials)
    g_ptr_array_set_size (emu->credentials, 0);
  emu->default_credentials = FALSE;
  g_ptr_array_add (emu->credentials, c);
  g_mutex_unlock (&emu->lock);
}

void
kvs_emulator_expire_credentials (KvsEmulator * emu, const gchar * access_key)
{
  guint i;

  g_mutex_lock (&emu->lock);
  for (i = 0; i < emu->credentials->len; i++) {
    Credentials *c = emu->credentials->pdata[i];
    if (g_str_equal (c->access_key, access_key))
      c->expired = TRUE;
  }
  g_mutex_unlock (&emu->lock);
}

void
kvs_emulator_set_stream_start (KvsEmulator * emu, gint64 epoch_ms)
{
  LOCKED (emu, emu->next_start_ms = epoch_ms);
}

void
kvs_emulator_set_tag_style (KvsEmulator * emu, KvsTagStyle style)
{
  LOCKED (emu, emu->tag_style = style);
}

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

void
kvs_emulator_truncate_fragment (KvsEmulator * emu, const gchar * name,
    guint index, guint64 keep)
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
    /* stored (and listed) as far as it got */
    g_clear_pointer (&f->document, g_bytes_unref);
    f->document = g_bytes_new (doc->data, MIN (keep, doc->len));
    f->size = MIN (keep, doc->len);
  }
  g_mutex_unlock (&emu->lock);
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
    gops = kvs_media_synthesize_av (&distinct, seconds, width, height, error);
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
  append_gop_fragments (emu, get_or_create_stream (emu, name), gops,
      gops->len);
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
kvs_log_request (KvsEmulator * emu, const gchar * operation, const gchar * stream,
    guint status, const gchar * error_type, guint64 bytes, guint fragments,
    gboolean cut)
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

/* ---- responses ----------------------------------------------------------- */

typedef struct
{
  KvsEmulator *emu;
  SoupServerMessage *msg;
  Operation op;
  gchar *stream;                /* for the log */
} Request;

static void
request_free (Request * r)
{
  g_object_unref (r->msg);
  g_free (r->stream);
  g_free (r);
}

/* Sends an AWS-shaped error: x-amzn-ErrorType, x-amzn-RequestId, JSON body.
 * Signature errors come from the front end, with Coral's lowercase
 * "message" and a ":uri" suffix on the type. */
static void
respond_error (Request * r, guint status, const gchar * type,
    const gchar * message)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (r->msg);
  gboolean front_end = g_str_has_suffix (type, "SignatureException") ||
      g_str_equal (type, "UnrecognizedClientException") ||
      g_str_equal (type, "ExpiredTokenException");
  g_autofree gchar *header = front_end ? g_strconcat (type,
      ":http://internal.amazon.com/coral/com.amazon.coral.service/", NULL) :
      g_strdup (type);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *uuid = g_uuid_string_random ();
  gchar *body;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, front_end ? "message" : "Message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, NULL);

  soup_message_headers_replace (h, "x-amzn-ErrorType", header);
  soup_message_headers_replace (h, "x-amzn-RequestId", uuid);
  soup_server_message_set_status (r->msg, status, NULL);
  soup_server_message_set_response (r->msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
  kvs_log_request (r->emu, op_names[r->op], r->stream, status, type,
      strlen (body), 0, FALSE);
}

static void
respond_json (Request * r, JsonBuilder * b, guint fragments)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *uuid = g_uuid_string_random ();
  gchar *body;
  gsize len;
  gboolean malformed;

  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, &len);
  g_mutex_lock (&r->emu->lock);
  r->emu->json_responses++;
  malformed = r->emu->malformed_every &&
      r->emu->json_responses % r->emu->malformed_every == 0;
  g_mutex_unlock (&r->emu->lock);
  if (malformed)
    len = len / 2;              /* a body cut in the middle of the JSON */

  soup_message_headers_replace (soup_server_message_get_response_headers
      (r->msg), "x-amzn-RequestId", uuid);
  soup_server_message_set_status (r->msg, 200, NULL);
  soup_server_message_set_response (r->msg, "application/json",
      SOUP_MEMORY_TAKE, body, len);
  kvs_log_request (r->emu, op_names[r->op], r->stream, 200,
      malformed ? "MalformedJSON" : NULL, len, fragments, FALSE);
}

/* ---- signature check ----------------------------------------------------- */

/* FALSE after responding with the error AWS would give. */
static gboolean
check_signature (Request * r)
{
  KvsAuthFailure f = { 0 };

  if (kvs_verify_signature (r->emu, r->msg, "kinesisvideo", &f))
    return TRUE;
  respond_error (r, f.status, f.type, f.message);
  g_free (f.message);
  return FALSE;
}

/* ---- request parsing ----------------------------------------------------- */

/* The JSON object of the body, or NULL after a SerializationException. */
static JsonObject *
parse_body (Request * r, JsonParser * parser)
{
  SoupMessageBody *body = soup_server_message_get_request_body (r->msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize size;
  const gchar *data = g_bytes_get_data (bytes, &size);

  if (!json_parser_load_from_data (parser, data ? data : "", size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    respond_error (r, 400, "SerializationException",
        "The request body is not a JSON object");
    return NULL;
  }
  return json_node_get_object (json_parser_get_root (parser));
}

/* A string member, NULL when absent; FALSE (after responding) on wrong type. */
static gboolean
get_string (Request * r, JsonObject * o, const gchar * name,
    const gchar ** out)
{
  JsonNode *n = json_object_get_member (o, name);

  *out = NULL;
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING) {
    g_autofree gchar *m = g_strdup_printf ("%s must be a string", name);
    respond_error (r, 400, "SerializationException", m);
    return FALSE;
  }
  *out = json_node_get_string (n);
  return TRUE;
}

static gboolean
get_number (Request * r, JsonObject * o, const gchar * name, gdouble * out,
    gboolean * present)
{
  JsonNode *n = json_object_get_member (o, name);
  GType t;

  *present = n && !JSON_NODE_HOLDS_NULL (n);
  if (!*present)
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_NONE;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE) {
    g_autofree gchar *m = g_strdup_printf ("%s must be a number", name);
    respond_error (r, 400, "SerializationException", m);
    return FALSE;
  }
  *out = t == G_TYPE_INT64 ? json_node_get_int (n) : json_node_get_double (n);
  return TRUE;
}

/* The stream named by StreamName or StreamARN, with the lock held on
 * success; NULL after responding. */
static Stream *
lookup_stream (Request * r, JsonObject * o)
{
  const gchar *name, *arn;
  Stream *s = NULL;

  if (!get_string (r, o, "StreamName", &name) ||
      !get_string (r, o, "StreamARN", &arn))
    return NULL;
  if ((name && arn) || (!name && !arn)) {
    respond_error (r, 400, "InvalidArgumentException",
        "Specify either StreamName or StreamARN");
    return NULL;
  }
  r->stream = g_strdup (name ? name : arn);
  g_mutex_lock (&r->emu->lock);
  if (name) {
    s = g_hash_table_lookup (r->emu->streams, name);
  } else {
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init (&it, r->emu->streams);
    while (!s && g_hash_table_iter_next (&it, NULL, &v))
      if (g_str_equal (((Stream *) v)->arn, arn))
        s = v;
  }
  if (!s) {
    g_mutex_unlock (&r->emu->lock);
    respond_error (r, 404, "ResourceNotFoundException",
        "The requested stream is not found or not active.");
    return NULL;
  }
  if (s) {
    g_free (r->stream);
    r->stream = g_strdup (s->name);
  }
  return s;
}

/* Per stream and API, at most RATE_LIMIT_CALLS in any second. Lock held. */
static gboolean
over_rate_limit (KvsEmulator * emu, Stream * s, Operation op)
{
  gint64 now = g_get_monotonic_time ();
  guint pos = s->recent_pos[op];

  if (emu->rate_limit && s->recent[op][pos] &&
      now - s->recent[op][pos] < G_USEC_PER_SEC)
    return TRUE;
  s->recent[op][pos] = now;
  s->recent_pos[op] = (pos + 1) % RATE_LIMIT_CALLS;
  return FALSE;
}

/* Every-Nth faults and the rate limit; FALSE after responding. Takes the
 * lock held by lookup_stream() and releases it on failure. */
static gboolean
admit_call (Request * r, Stream * s)
{
  KvsEmulator *emu = r->emu;
  guint n = ++emu->calls;

  if ((emu->throttle_every && n % emu->throttle_every == 0) ||
      over_rate_limit (emu, s, r->op)) {
    g_mutex_unlock (&emu->lock);
    respond_error (r, 400, "ClientLimitExceededException", "Kinesis Video "
        "Streams has throttled the request because you have exceeded the "
        "limit of allowed client calls. Try making the call later.");
    return FALSE;
  }
  if (emu->fail_every && n % emu->fail_every == 0) {
    g_mutex_unlock (&emu->lock);
    respond_error (r, 500, "InternalFailure", "The request processing has "
        "failed because of an unknown error, exception or failure.");
    return FALSE;
  }
  return TRUE;
}

/* ---- GetDataEndpoint ----------------------------------------------------- */

static const gchar *const api_names[] = { "PUT_MEDIA", "GET_MEDIA",
  "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
  "GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL",
  "GET_CLIP", "GET_IMAGES", NULL
};

static void
handle_get_data_endpoint (Request * r, JsonObject * o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GUri *uri = soup_server_message_get_uri (r->msg);
  g_autofree gchar *endpoint = NULL;
  const gchar *api;
  gboolean stale;
  Stream *s;

  if (!get_string (r, o, "APIName", &api))
    return;
  if (!api || !g_strv_contains (api_names, api)) {
    respond_error (r, 400, "InvalidArgumentException",
        "APIName must be one of PUT_MEDIA, GET_MEDIA, LIST_FRAGMENTS, "
        "GET_MEDIA_FOR_FRAGMENT_LIST, ...");
    return;
  }
  if (!(s = lookup_stream (r, o)) || !admit_call (r, s))
    return;
  stale = r->emu->stale_endpoints > 0;
  if (stale)
    r->emu->stale_endpoints--;
  endpoint = g_strdup (r->emu->data_endpoint);
  g_mutex_unlock (&r->emu->lock);

  /* our own address, both planes being served here; or, as a fault, a
   * port where nothing listens (port 1 is never ours), or any URL */
  if (!endpoint)
    endpoint = g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
        g_uri_get_host (uri), stale ? 1 : g_uri_get_port (uri));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "DataEndpoint");
  json_builder_add_string_value (b, endpoint);
  json_builder_end_object (b);
  respond_json (r, b, 0);
}

/* ---- ListFragments ------------------------------------------------------- */

typedef struct
{
  guint32 seed;
  guint offset;
  gboolean server;              /* selector on server timestamps */
  gint64 start_ms, end_ms;
} Cursor;

static gchar *
encode_token (const Cursor * c, const gchar * stream)
{
  g_autofree gchar *plain = g_strdup_printf ("v1|%u|%u|%d|%" G_GINT64_FORMAT
      "|%" G_GINT64_FORMAT "|%s", c->seed, c->offset, c->server, c->start_ms,
      c->end_ms, stream);

  return g_base64_encode ((const guchar *) plain, strlen (plain));
}

static gboolean
decode_token (const gchar * token, const gchar * stream, Cursor * c)
{
  gsize len;
  g_autofree guchar *plain = g_base64_decode (token, &len);
  g_autofree gchar *text = plain ? g_strndup ((gchar *) plain, len) : NULL;
  g_auto (GStrv) f = text ? g_strsplit (text, "|", 7) : NULL;

  if (!f || g_strv_length (f) != 7 || strcmp (f[0], "v1") ||
      strcmp (f[6], stream))
    return FALSE;
  c->seed = strtoul (f[1], NULL, 10);
  c->offset = strtoul (f[2], NULL, 10);
  c->server = atoi (f[3]);
  c->start_ms = g_ascii_strtoll (f[4], NULL, 10);
  c->end_ms = g_ascii_strtoll (f[5], NULL, 10);
  return TRUE;
}

static gint64
fragment_time (const KvsFragment * f, gboolean server)
{
  return server ? f->server_ms : f->producer_ms;
}

/* First index whose time is >= @t (times grow with ingestion). */
static guint
lower_bound (Stream * s, gint64 t, gboolean server)
{
  guint lo = 0, hi = s->fragments->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (fragment_time (&g_array_index (s->fragments, KvsFragment, mid),
            server) < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* FALSE after responding. */
static gboolean
parse_selector (Request * r, JsonObject * o, Cursor * c)
{
  JsonObject *sel, *range;
  const gchar *type;
  gdouble start = 0, end = 0;
  gboolean has_start, has_end;

  c->start_ms = G_MININT64;
  c->end_ms = G_MAXINT64;
  c->server = FALSE;
  if (!json_object_has_member (o, "FragmentSelector"))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (o,
              "FragmentSelector"))) {
    respond_error (r, 400, "SerializationException",
        "FragmentSelector must be an object");
    return FALSE;
  }
  sel = json_object_get_object_member (o, "FragmentSelector");
  if (!get_string (r, sel, "FragmentSelectorType", &type))
    return FALSE;
  if (g_strcmp0 (type, "PRODUCER_TIMESTAMP") &&
      g_strcmp0 (type, "SERVER_TIMESTAMP")) {
    respond_error (r, 400, "InvalidArgumentException", "FragmentSelectorType "
        "must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP");
    return FALSE;
  }
  c->server = g_str_equal (type, "SERVER_TIMESTAMP");
  if (!json_object_has_member (sel, "TimestampRange") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (sel,
              "TimestampRange"))) {
    respond_error (r, 400, "InvalidArgumentException",
        "TimestampRange is required");
    return FALSE;
  }
  range = json_object_get_object_member (sel, "TimestampRange");
  if (!get_number (r, range, "StartTimestamp", &start, &has_start) ||
      !get_number (r, range, "EndTimestamp", &end, &has_end))
    return FALSE;
  if (!has_start || !has_end || start > end || start < 0) {
    respond_error (r, 400, "InvalidArgumentException", "TimestampRange needs "
        "StartTimestamp <= EndTimestamp");
    return FALSE;
  }
  c->start_ms = (gint64) (start * 1000.0 + 0.5);
  c->end_ms = (gint64) (end * 1000.0 + 0.5);
  return TRUE;
}

static void
add_fragment_json (JsonBuilder * b, const KvsFragment * f)
{
  g_autofree gchar *producer = kvs_format_java_double_seconds (f->producer_ms);
  g_autofree gchar *server = kvs_format_java_double_seconds (f->server_ms);
  JsonNode *n;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "FragmentNumber");
  json_builder_add_string_value (b, f->number);
  json_builder_set_member_name (b, "FragmentSizeInBytes");
  json_builder_add_int_value (b, f->size);
  /* raw numbers in the service's Java notation, e.g. 1.764000002123E9 */
  json_builder_set_member_name (b, "ProducerTimestamp");
  n = json_from_string (producer, NULL);
  json_builder_add_value (b, n);
  json_builder_set_member_name (b, "ServerTimestamp");
  n = json_from_string (server, NULL);
  json_builder_add_value (b, n);
  json_builder_set_member_name (b, "FragmentLengthInMilliseconds");
  json_builder_add_int_value (b, f->duration_ms);
  json_builder_end_object (b);
}

static void
handle_list_fragments (Request * r, JsonObject * o)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree guint *order = NULL;
  g_autofree gchar *next = NULL;
  const gchar *token;
  gdouble max = DEFAULT_MAX_RESULTS;
  gboolean has_max;
  Cursor c = { 0 };
  Stream *s;
  guint first, last, n, i, page_end, returned;
  GRand *rand;

  if (!get_string (r, o, "NextToken", &token) ||
      !get_number (r, o, "MaxResults", &max, &has_max))
    return;
  if (max < 1 || max > 1000 || max != (guint) max) {
    respond_error (r, 400, "InvalidArgumentException",
        "MaxResults must be between 1 and 1000");
    return;
  }
  if (!token && !parse_selector (r, o, &c))
    return;
  if (!(s = lookup_stream (r, o)))
    return;
  if (token && !decode_token (token, s->name, &c)) {
    g_mutex_unlock (&r->emu->lock);
    respond_error (r, 400, "InvalidArgumentException", "NextToken is invalid");
    return;
  }
  if (!token)
    c.seed = g_random_int ();
  if (!admit_call (r, s))
    return;

  first = lower_bound (s, c.start_ms, c.server);
  last = c.end_ms == G_MAXINT64 ? s->fragments->len :
      lower_bound (s, c.end_ms + 1, c.server);
  /* the same shuffle on every page of one listing: no order at all */
  order = g_new (guint, MAX (last > first ? last - first : 0, 1));
  for (i = first, n = 0; i < last; i++)
    if (kvs_stream_listable (r->emu, s, i))
      order[n++] = i;
  if (!r->emu->ordered) {
    rand = g_rand_new_with_seed (c.seed);
    for (i = n; i > 1; i--) {
      guint j = g_rand_int_range (rand, 0, i), tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }
    g_rand_free (rand);
  }

  page_end = MIN (n, c.offset + (guint) max);
  returned = page_end > c.offset ? page_end - c.offset : 0;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Fragments");
  json_builder_begin_array (b);
  for (i = c.offset; i < page_end; i++)
    add_fragment_json (b, &g_array_index (s->fragments, KvsFragment,
            order[i]));
  json_builder_end_array (b);
  if (page_end < n) {
    c.offset = page_end;
    next = encode_token (&c, s->name);
    json_builder_set_member_name (b, "NextToken");
    json_builder_add_string_value (b, next);
  }
  json_builder_end_object (b);
  g_mutex_unlock (&r->emu->lock);
  respond_json (r, b, returned);
}

/* ---- GetMediaForFragmentList --------------------------------------------- */

typedef struct
{
  Request *req;
  GPtrArray *numbers;           /* the fragments asked for, in order */
  GPtrArray *errors;            /* per fragment: error code or NULL */
  guint next_fragment;
  GPtrArray *pieces;            /* of the fragment being written */
  guint piece;
  gsize piece_offset;
  guint64 sent;
  guint64 cut_at;               /* G_MAXUINT64: never */
  gboolean stall;
  gint64 started;               /* monotonic µs, for the bandwidth cap */
  guint64 bandwidth;
  GSource *timer;
  gboolean done;
  gboolean logged;
  gboolean released;            /* from the stream's connection count */
} MediaWriter;

/* The response's connection no longer counts against the stream's limit:
 * once its last byte is sent, as the client may ask again at once. */
static void
media_writer_release (MediaWriter * w)
{
  Stream *s;

  if (w->released)
    return;
  w->released = TRUE;
  g_mutex_lock (&w->req->emu->lock);
  s = g_hash_table_lookup (w->req->emu->streams, w->req->stream);
  if (s && s->media_open > 0)
    s->media_open--;
  g_mutex_unlock (&w->req->emu->lock);
}

static void
media_writer_free (MediaWriter * w)
{
  media_writer_release (w);
  if (w->timer) {
    g_source_destroy (w->timer);
    g_source_unref (w->timer);
  }
  g_ptr_array_unref (w->numbers);
  g_ptr_array_unref (w->errors);
  g_clear_pointer (&w->pieces, g_ptr_array_unref);
  request_free (w->req);
  g_free (w);
}

/* Pieces of the next fragment's document; FALSE when none is left. */
static gboolean
media_writer_next_fragment (MediaWriter * w)
{
  KvsEmulator *emu = w->req->emu;
  const gchar *number, *error;
  Stream *s;
  gpointer idx;
  KvsTagStyle style;

  g_clear_pointer (&w->pieces, g_ptr_array_unref);
  if (w->next_fragment >= w->numbers->len)
    return FALSE;
  number = w->numbers->pdata[w->next_fragment];
  error = w->errors->pdata[w->next_fragment];
  w->next_fragment++;
  w->piece = 0;
  w->piece_offset = 0;

  g_mutex_lock (&emu->lock);
  style = emu->tag_style;
  s = g_hash_table_lookup (emu->streams, w->req->stream);
  idx = s ? g_hash_table_lookup (s->by_number, number) : NULL;
  /* a live stream's fragment that is not yet ingested does not exist */
  if (idx && !kvs_stream_listable (emu, s, GPOINTER_TO_UINT (idx) - 1))
    idx = NULL;
  if (error || !idx) {
    w->pieces = g_ptr_array_new_with_free_func ((GDestroyNotify)
        g_bytes_unref);
    g_ptr_array_add (w->pieces, kvs_media_error_document (number,
            error ? error : "FRAGMENT_NOT_FOUND",
            error ? "Injected fault" : "The fragment does not exist", style));
  } else {
    w->pieces = kvs_fragment_pieces (&g_array_index (s->fragments,
            KvsFragment, GPOINTER_TO_UINT (idx) - 1), style);
  }
  g_mutex_unlock (&emu->lock);
  return TRUE;
}

/* Up to CHUNK_SIZE bytes of what comes next, or NULL at the end. */
static GBytes *
media_writer_take_chunk (MediaWriter * w, guint64 limit)
{
  GBytes *piece;
  gsize len;

  while (!w->pieces || w->piece >= w->pieces->len)
    if (!media_writer_next_fragment (w))
      return NULL;
  piece = w->pieces->pdata[w->piece];
  len = MIN (g_bytes_get_size (piece) - w->piece_offset, CHUNK_SIZE);
  len = MIN (len, limit);
  piece = g_bytes_new_from_bytes (piece, w->piece_offset, len);
  w->piece_offset += len;
  if (w->piece_offset >= g_bytes_get_size (w->pieces->pdata[w->piece])) {
    w->piece++;
    w->piece_offset = 0;
  }
  return piece;
}

static void media_writer_pump (MediaWriter * w);

static gboolean
media_writer_resume (gpointer data)
{
  MediaWriter *w = data;

  g_source_unref (w->timer);
  w->timer = NULL;
  media_writer_pump (w);
  soup_server_message_unpause (w->req->msg);
  return G_SOURCE_REMOVE;
}

/* Logged once, when the outcome is known: a whole response when its last
 * chunk is queued, so that a client that read to the end finds its request
 * in the log. */
static void
media_writer_log (MediaWriter * w, gboolean cut)
{
  if (w->logged)
    return;
  w->logged = TRUE;
  kvs_log_request (w->req->emu, op_names[OP_GET_MEDIA], w->req->stream, 200,
      NULL, w->sent, w->numbers->len, cut);
}

/* Shuts the socket down after the last chunk before the cut: the client
 * sees the connection end mid-body, with no terminating chunk. */
static void
media_writer_cut (MediaWriter * w)
{
  GSocket *sock = soup_server_message_get_socket (w->req->msg);

  media_writer_log (w, TRUE);
  if (sock)
    g_socket_shutdown (sock, TRUE, TRUE, NULL);
}

/* Appends the next chunk, or completes, cuts, stalls or waits for the
 * bandwidth cap. Called from the handler and on every wrote-chunk. */
static void
media_writer_pump (MediaWriter * w)
{
  SoupMessageBody *body = soup_server_message_get_response_body (w->req->msg);
  GBytes *chunk;

  if (w->done || w->timer)
    return;
  if (w->sent >= w->cut_at) {
    w->done = TRUE;
    if (w->stall) {
      /* keep the connection open and send nothing more */
      media_writer_log (w, TRUE);
      soup_server_message_pause (w->req->msg);
      return;
    }
    media_writer_release (w);
    media_writer_cut (w);
    return;
  }
  if (w->bandwidth) {
    gint64 due = w->started + (gint64) (w->sent * G_USEC_PER_SEC /
        w->bandwidth);
    gint64 wait = due - g_get_monotonic_time ();
    if (wait > 1000) {
      soup_server_message_pause (w->req->msg);
      w->timer = g_timeout_source_new (wait / 1000);
      g_source_set_callback (w->timer, media_writer_resume, w, NULL);
      g_source_attach (w->timer, g_main_context_get_thread_default ());
      return;
    }
  }
  chunk = media_writer_take_chunk (w, w->cut_at - w->sent);
  if (!chunk) {
    w->done = TRUE;
    media_writer_log (w, FALSE);
    media_writer_release (w);
    soup_message_body_complete (body);
    return;
  }
  w->sent += g_bytes_get_size (chunk);
  soup_message_body_append_bytes (body, chunk);
  g_bytes_unref (chunk);
}

static void
media_wrote_chunk (SoupServerMessage * msg, MediaWriter * w)
{
  media_writer_pump (w);
}

static void
media_finished (SoupServerMessage * msg, MediaWriter * w)
{
  /* the client went away before the end */
  media_writer_log (w, FALSE);
  g_signal_handlers_disconnect_by_data (msg, w);
  media_writer_free (w);
}

/* The cut or stall planned for this response, if any. Lock held. */
static void
plan_cut (KvsEmulator * emu, MediaWriter * w)
{
  guint nth = ++emu->media_calls, i;

  w->cut_at = G_MAXUINT64;
  if (emu->cut_every && nth % emu->cut_every == 0)
    w->cut_at = g_random_int_range (1, 256 * 1024);
  for (i = 0; i < emu->cuts->len; i++) {
    Cut *c = &g_array_index (emu->cuts, Cut, i);
    if (c->nth == nth) {
      w->cut_at = c->bytes;
      w->stall = c->stall;
    }
  }
}

/* Injected in-band errors for the fragments asked for. Lock held. */
static GPtrArray *
plan_fragment_errors (Stream * s, GPtrArray * numbers)
{
  GPtrArray *errors = g_ptr_array_new ();
  guint i;

  for (i = 0; i < numbers->len; i++) {
    gpointer idx = g_hash_table_lookup (s->by_number, numbers->pdata[i]);
    gpointer key = GUINT_TO_POINTER (GPOINTER_TO_UINT (idx) - 1);
    guint left = idx ? GPOINTER_TO_UINT (g_hash_table_lookup
        (s->pending_errors, key)) : 0;
    if (left) {
      g_hash_table_insert (s->pending_errors, key, GUINT_TO_POINTER (left -
              1));
      g_ptr_array_add (errors, g_hash_table_lookup (s->error_codes, key));
    } else {
      g_ptr_array_add (errors, NULL);
    }
  }
  return errors;
}

/* Streams the documents of @numbers; called with the lock held, which it
 * releases. Takes @numbers. */
static void
start_media_writer (Request * r, Stream * s, GPtrArray * numbers)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (r->msg);
  g_autofree gchar *uuid = g_uuid_string_random ();
  MediaWriter *w = g_new0 (MediaWriter, 1);

  w->errors = plan_fragment_errors (s, numbers);
  plan_cut (r->emu, w);
  w->bandwidth = r->emu->bandwidth;
  g_mutex_unlock (&r->emu->lock);

  w->req = g_new0 (Request, 1);
  *w->req = *r;
  w->req->msg = g_object_ref (r->msg);
  w->req->stream = g_strdup (r->stream);
  w->numbers = numbers;
  w->started = g_get_monotonic_time ();

  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (h, "video/webm", NULL);
  soup_message_headers_replace (h, "x-amzn-RequestId", uuid);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (r->msg), FALSE);
  soup_server_message_set_status (r->msg, 200, NULL);
  g_signal_connect (r->msg, "wrote-chunk", G_CALLBACK (media_wrote_chunk), w);
  g_signal_connect (r->msg, "finished", G_CALLBACK (media_finished), w);
  media_writer_pump (w);
}

static void
handle_get_media (Request * r, JsonObject * o)
{
  g_autoptr (GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
  JsonNode *list = json_object_get_member (o, "Fragments");
  JsonArray *arr;
  Stream *s;
  guint i;

  if (!list || !JSON_NODE_HOLDS_ARRAY (list)) {
    respond_error (r, 400, "InvalidArgumentException",
        "Fragments must be a list of 1 to 1000 fragment numbers");
    return;
  }
  arr = json_node_get_array (list);
  if (json_array_get_length (arr) < 1 || json_array_get_length (arr) > 1000) {
    respond_error (r, 400, "InvalidArgumentException",
        "Fragments must be a list of 1 to 1000 fragment numbers");
    return;
  }
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_VALUE (n) ||
        json_node_get_value_type (n) != G_TYPE_STRING) {
      respond_error (r, 400, "SerializationException",
          "Fragments must hold strings");
      return;
    }
    g_ptr_array_add (numbers, g_strdup (json_node_get_string (n)));
  }
  if (!(s = lookup_stream (r, o)) || !admit_call (r, s))
    return;
  if (s->media_open >= MEDIA_CONNECTIONS) {
    g_mutex_unlock (&r->emu->lock);
    respond_error (r, 400, "ClientLimitExceededException", "Kinesis Video "
        "Streams has throttled the request because you have exceeded the "
        "limit of allowed client connections.");
    return;
  }
  s->media_open++;
  s->media_peak = MAX (s->media_peak, s->media_open);
  start_media_writer (r, s, g_steal_pointer (&numbers));
}

/* GET /raw/NAME[?first=N&count=M]: the same documents, unsigned and
 * unthrottled, through the same writer, so a benchmark can fetch the very
 * bytes kvamsrc gets with a plain HTTP client. */
static void
handle_raw (Request * r, const gchar * name, GHashTable * query)
{
  const gchar *first_s = query ? g_hash_table_lookup (query, "first") : NULL;
  const gchar *count_s = query ? g_hash_table_lookup (query, "count") : NULL;
  GPtrArray *numbers = g_ptr_array_new_with_free_func (g_free);
  Stream *s;
  guint first, count, i;

  r->stream = g_strdup (name);
  g_mutex_lock (&r->emu->lock);
  s = g_hash_table_lookup (r->emu->streams, name);
  if (!s) {
    g_mutex_unlock (&r->emu->lock);
    g_ptr_array_unref (numbers);
    respond_error (r, 404, "ResourceNotFoundException",
        "The requested stream is not found or not active.");
    return;
  }
  first = first_s ? MIN (strtoul (first_s, NULL, 10), s->fragments->len) : 0;
  count = count_s ? strtoul (count_s, NULL, 10) : s->fragments->len;
  count = MIN (count, s->fragments->len - first);
  for (i = first; i < first + count; i++)
    g_ptr_array_add (numbers, g_strdup (g_array_index (s->fragments,
                KvsFragment, i).number));
  s->media_open++;              /* counted, not limited */
  start_media_writer (r, s, numbers);
}

/* ---- dispatch ------------------------------------------------------------ */

static void
process_request (Request * r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;

  if (!check_signature (r))
    return;
  if (!(o = parse_body (r, parser)))
    return;
  switch (r->op) {
    case OP_GET_DATA_ENDPOINT:
      handle_get_data_endpoint (r, o);
      break;
    case OP_LIST_FRAGMENTS:
      handle_list_fragments (r, o);
      break;
    case OP_GET_MEDIA:
      handle_get_media (r, o);
      break;
    default:
      g_assert_not_reached ();
  }
}

static gboolean
process_delayed (gpointer data)
{
  Request *r = data;

  process_request (r);
  soup_server_message_unpause (r->msg);
  request_free (r);
  return G_SOURCE_REMOVE;
}

static void
unknown_operation (SoupServerMessage * msg, const gchar * path,
    KvsEmulator * emu)
{
  Request r = { emu, msg, OP_GET_DATA_ENDPOINT, NULL };
  g_autofree gchar *m = g_strdup_printf ("No operation at %s", path);

  /* logged under the path, not an operation */
  respond_error (&r, 404, "UnknownOperationException", m);
  g_mutex_lock (&emu->lock);
  g_free (((KvsLogEntry *) emu->log->pdata[emu->log->len - 1])->operation);
  ((KvsLogEntry *) emu->log->pdata[emu->log->len - 1])->operation =
      g_strdup (path);
  g_mutex_unlock (&emu->lock);
}

/* The Date header by the emulator's clock, which --clock-offset moves: a
 * client that corrects skew reads it, as from the real service. */
static void
set_date_header (KvsEmulator * emu, SoupServerMessage * msg)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) then = NULL;
  g_autofree gchar *date = NULL;
  gint offset;

  LOCKED (emu, offset = emu->clock_offset);
  then = g_date_time_add_seconds (now, offset);
  date = soup_date_time_to_string (then, SOUP_DATE_HTTP);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Date", date);
}

static void
server_callback (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  KvsEmulator *emu = data;
  Request *r;
  guint latency;
  gint op = -1;

  set_date_header (emu, msg);
  LOCKED (emu, g_free (emu->last_user_agent); emu->last_user_agent =
      g_strdup (soup_message_headers_get_one
          (soup_server_message_get_request_headers (msg), "User-Agent")));

  if (g_str_equal (path, "/") && !strcmp (soup_server_message_get_method
          (msg), "POST")) {
    kvs_handle_sts (emu, msg);
    return;
  }
  if (g_str_equal (path, "/federation/credentials") &&
      !strcmp (soup_server_message_get_method (msg), "GET")) {
    kvs_handle_sso (emu, msg, query);
    return;
  }
  if (g_str_equal (path, "/getDataEndpoint"))
    op = OP_GET_DATA_ENDPOINT;
  else if (g_str_equal (path, "/listFragments"))
    op = OP_LIST_FRAGMENTS;
  else if (g_str_equal (path, "/getMediaForFragmentList"))
    op = OP_GET_MEDIA;
  if (op < 0 && g_str_has_prefix (path, "/raw/") &&
      strcmp (soup_server_message_get_method (msg), "GET") == 0) {
    Request raw = { emu, msg, OP_GET_MEDIA, NULL };
    handle_raw (&raw, path + strlen ("/raw/"), query);
    g_free (raw.stream);
    return;
  }
  if (op < 0 || strcmp (soup_server_message_get_method (msg), "POST") != 0) {
    unknown_operation (msg, path, emu);
    return;
  }

  r = g_new0 (Request, 1);
  r->emu = emu;
  r->msg = g_object_ref (msg);
  r->op = op;
  g_mutex_lock (&emu->lock);
  latency = emu->latency_ms;
  g_mutex_unlock (&emu->lock);
  if (latency) {
    GSource *t = g_timeout_source_new (latency);
    soup_server_message_pause (msg);
    g_source_set_callback (t, process_delayed, r, NULL);
    g_source_attach (t, g_main_context_get_thread_default ());
    g_source_unref (t);
    return;
  }
  process_request (r);
  request_free (r);
}

/* Refuses large bodies before they are read into memory. */
static void
early_callback (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (h);
  SoupEncoding enc = soup_message_headers_get_encoding (h);

  if (enc == SOUP_ENCODING_CHUNKED || length > KVS_EMULATOR_MAX_BODY) {
    Request r = { data, msg, OP_GET_DATA_ENDPOINT, NULL };
    respond_error (&r, 413, "SerializationException",
        "Request body too large or of unknown length");
  }
}

/* ---- the server thread --------------------------------------------------- */

typedef struct
{
  KvsEmulator *emu;
  gchar *address;
  guint port;
  gchar *cert;
  gchar *key;
} StartArgs;

static gboolean
listen_on (KvsEmulator * emu, StartArgs * a, GError ** error)
{
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (a->address);
  g_autoptr (GSocketAddress) sa = NULL;
  GSList *uris;

  if (!addr) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--listen needs an IP address, not %s", a->address);
    return FALSE;
  }
  if (a->cert) {
    g_autoptr (GTlsCertificate) cert = g_tls_certificate_new_from_files
        (a->cert, a->key ? a->key : a->cert, error);
    if (!cert)
      return FALSE;
    g_object_set (emu->server, "tls-certificate", cert, NULL);
    emu->tls = TRUE;
  }
  sa = g_inet_socket_address_new (addr, a->port);
  if (!soup_server_listen (emu->server, sa, a->cert ? SOUP_SERVER_LISTEN_HTTPS
          : 0, error))
    return FALSE;
  uris = soup_server_get_uris (emu->server);
  emu->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  StartArgs *a = data;
  KvsEmulator *emu = a->emu;
  GError *err = NULL;
  gboolean ok;

  g_main_context_push_thread_default (emu->context);
  emu->server = soup_server_new ("server-header", "kvs-emulator", NULL);
  soup_server_add_early_handler (emu->server, NULL, early_callback, emu,
      NULL);
  soup_server_add_handler (emu->server, NULL, server_callback, emu, NULL);
  ok = listen_on (emu, a, &err);

  g_mutex_lock (&emu->lock);
  emu->running = TRUE;
  emu->start_error = err;
  g_cond_broadcast (&emu->started);
  g_mutex_unlock (&emu->lock);

  if (ok)
    g_main_loop_run (emu->loop);
  soup_server_disconnect (emu->server);
  g_clear_object (&emu->server);
  /* let pending sources (closed connections, timers) finish */
  while (g_main_context_iteration (emu->context, FALSE));
  g_main_context_pop_thread_default (emu->context);
  g_free (a->address);
  g_free (a->cert);
  g_free (a->key);
  g_free (a);
  return NULL;
}

gboolean
kvs_emulator_start (KvsEmulator * emu, const gchar * address, guint port,
    const gchar * tls_cert, const gchar * tls_key, GError ** error)
{
  StartArgs *a = g_new0 (StartArgs, 1);
  gboolean ok;

  a->emu = emu;
  a->address = g_strdup (address ? address : "127.0.0.1");
  a->port = port;
  a->cert = g_strdup (tls_cert);
  a->key = g_strdup (tls_key);
  emu->thread = g_thread_new ("kvs-emulator", server_thread, a);

  g_mutex_lock (&emu->lock);
  while (!emu->running)
    g_cond_wait (&emu->started, &emu->lock);
  ok = emu->start_error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&emu->start_error));
  g_mutex_unlock (&emu->lock);
  if (!ok) {
    /* the thread returns without running the loop */
    g_thread_join (emu->thread);
    emu->thread = NULL;
  }
  return ok;
}

guint
kvs_emulator_get_port (KvsEmulator * emu)
{
  return emu->port;
}

gchar *
kvs_emulator_get_url (KvsEmulator * emu)
{
  return g_strdup_printf ("%s://127.0.0.1:%u", emu->tls ? "https" : "http",
      emu->port);
}

guint
kvs_emulator_get_peak_media_connections (KvsEmulator * emu,
    const gchar * name)
{
  Stream *s;
  guint peak = 0;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s)
    peak = s->media_peak;
  g_mutex_unlock (&emu->lock);
  return peak;
}

guint
kvs_emulator_get_open_media_connections (KvsEmulator * emu,
    const gchar * name)
{
  Stream *s;
  guint open = 0;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s)
    open = s->media_open;
  g_mutex_unlock (&emu->lock);
  return open;
}

guint
kvs_emulator_get_media_calls (KvsEmulator * emu)
{
  guint n;

  LOCKED (emu, n = emu->media_calls);
  return n;
}

guint
kvs_emulator_count_cuts (KvsEmulator * emu)
{
  guint i, n = 0;

  g_mutex_lock (&emu->lock);
  for (i = 0; i < emu->log->len; i++)
    if (((KvsLogEntry *) emu->log->pdata[i])->cut)
      n++;
  g_mutex_unlock (&emu->lock);
  return n;
}
