/* kvs-emulator: GetMediaForFragmentList: the media writer (bandwidth,
 * cuts, stalls, in-band errors, the 5-connection limit) and /raw/
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

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
  gsize chunk_size;
  GSource *timer;
  GIOStream *stolen;            /* the gathering writer's connection */
  GBytes *writing;              /* its chunk being written */
  gchar head[24];               /* and that chunk's size line */
  GOutputVector vectors[3];     /* kept until written: writev takes no copy */
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
  g_clear_pointer (&w->writing, g_bytes_unref);
  if (w->stolen)
    g_io_stream_close (w->stolen, NULL, NULL);
  g_clear_object (&w->stolen);
  g_ptr_array_unref (w->numbers);
  g_ptr_array_unref (w->errors);
  g_clear_pointer (&w->pieces, g_ptr_array_unref);
  kvs_request_free (w->req);
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

/* Up to chunk_size bytes of what comes next, or NULL at the end. */
static GBytes *
media_writer_take_chunk (MediaWriter * w, guint64 limit)
{
  GBytes *piece;
  gsize len;

  while (!w->pieces || w->piece >= w->pieces->len)
    if (!media_writer_next_fragment (w))
      return NULL;
  piece = w->pieces->pdata[w->piece];
  len = MIN (g_bytes_get_size (piece) - w->piece_offset, w->chunk_size);
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
  kvs_log_request (w->req->emu, kvs_op_name (OP_GET_MEDIA), w->req->stream, 200,
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

/* ---- the gathering writer (--gather-chunks) ----------------------------
 *
 * libsoup's server writes each chunk as three sends (size line, data,
 * CRLF). A client that keeps up with the sender (libsoup's, one read a
 * chunk) wakes for the size line and again for the data: on loopback
 * libsoup alone ran 1.15-1.34x curl against this server, 0.76-0.91x
 * curl against one that sends each chunk with one writev(), as servers
 * that gather their writes do. For benchmarks, uncapped and fault-free
 * responses can be sent that way: once libsoup has written the status
 * and headers, the connection is taken over, each chunk goes out in one
 * gathered write, and the connection closes after the last chunk (the
 * headers say so, so clients do not reuse it). */

static void gather_next (MediaWriter * w);

/* The end, or the client went away (not a cut, as in media_finished) */
static void
gather_done (MediaWriter * w)
{
  media_writer_log (w, FALSE);
  media_writer_free (w);
}

static void
gather_wrote (GObject * stream, GAsyncResult * res, gpointer data)
{
  MediaWriter *w = data;

  g_clear_pointer (&w->writing, g_bytes_unref);
  if (!g_output_stream_writev_all_finish (G_OUTPUT_STREAM (stream), res, NULL,
          NULL)) {
    gather_done (w);
    return;
  }
  if (w->done) {
    gather_done (w);
    return;
  }
  gather_next (w);
}

static void
gather_next (MediaWriter * w)
{
  GOutputVector *v = w->vectors;
  guint n = 0;

  w->writing = media_writer_take_chunk (w, G_MAXUINT64);
  if (w->writing) {
    w->sent += g_bytes_get_size (w->writing);
    g_snprintf (w->head, sizeof w->head, "%" G_GSIZE_MODIFIER "x\r\n",
        g_bytes_get_size (w->writing));
    v[n++] = (GOutputVector) {
    w->head, strlen (w->head)};
    v[n++] = (GOutputVector) {
    g_bytes_get_data (w->writing, NULL), g_bytes_get_size (w->writing)};
    v[n++] = (GOutputVector) {
    "\r\n", 2};
  } else {
    w->done = TRUE;
    media_writer_log (w, FALSE);
    media_writer_release (w);   /* the client may ask again at once */
    v[n++] = (GOutputVector) {
    "0\r\n\r\n", 5};
  }
  g_output_stream_writev_all_async (g_io_stream_get_output_stream
      (w->stolen), v, n, G_PRIORITY_DEFAULT, NULL, gather_wrote, w);
}

static void
gather_wrote_headers (SoupServerMessage * msg, MediaWriter * w)
{
  GSocket *sock = soup_server_message_get_socket (msg);

  g_signal_handlers_disconnect_by_data (msg, w);
  /* the server's teardown and its timeouts no longer reach a connection
   * taken over: without one of its own, a client that stopped reading
   * would hold the writer and the socket for good */
  if (sock)
    g_socket_set_timeout (sock, KVS_EMULATOR_GATHER_TIMEOUT_S);
  w->stolen = soup_server_message_steal_connection (msg);
  if (!w->stolen) {
    gather_done (w);
    return;
  }
  gather_next (w);
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
      g_hash_table_insert (s->pending_errors, key, GUINT_TO_POINTER (left - 1));
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
  gboolean gather;

  w->errors = plan_fragment_errors (s, numbers);
  plan_cut (r->emu, w);
  w->bandwidth = r->emu->bandwidth;
  w->chunk_size = r->emu->chunk_size;
  gather = r->emu->gather_chunks && !w->bandwidth && w->cut_at == G_MAXUINT64;
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
  g_signal_connect (r->msg, "finished", G_CALLBACK (media_finished), w);
  if (gather) {
    soup_message_headers_replace (h, "Connection", "close");
    g_signal_connect (r->msg, "wrote-headers",
        G_CALLBACK (gather_wrote_headers), w);
    return;
  }
  g_signal_connect (r->msg, "wrote-chunk", G_CALLBACK (media_wrote_chunk), w);
  media_writer_pump (w);
}

void
kvs_handle_get_media (Request * r, JsonObject * o)
{
  g_autoptr (GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
  JsonNode *list = json_object_get_member (o, "Fragments");
  JsonArray *arr;
  Stream *s;
  guint i;

  if (!list || !JSON_NODE_HOLDS_ARRAY (list)) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "Fragments must be a list of 1 to 1000 fragment numbers");
    return;
  }
  arr = json_node_get_array (list);
  if (json_array_get_length (arr) < 1 || json_array_get_length (arr) > 1000) {
    kvs_respond_error (r, 400, "InvalidArgumentException",
        "Fragments must be a list of 1 to 1000 fragment numbers");
    return;
  }
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_VALUE (n) ||
        json_node_get_value_type (n) != G_TYPE_STRING) {
      kvs_respond_error (r, 400, "SerializationException",
          "Fragments must hold strings");
      return;
    }
    g_ptr_array_add (numbers, g_strdup (json_node_get_string (n)));
  }
  if (!(s = kvs_lookup_stream (r, o)) || !kvs_admit_call (r, s))
    return;
  if (s->media_open >= MEDIA_CONNECTIONS) {
    g_mutex_unlock (&r->emu->lock);
    kvs_respond_error (r, 400, "ClientLimitExceededException", "Kinesis Video "
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
void
kvs_handle_raw (Request * r, const gchar * name, GHashTable * query)
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
    kvs_respond_error (r, 404, "ResourceNotFoundException",
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
