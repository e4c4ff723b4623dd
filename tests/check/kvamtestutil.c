/* kvamsrc: helpers shared by the tests
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamtestutil.h"
#include "kvamebml.h"

#include <gst/check/gstcheck.h>

#include <string.h>
#include <glib/gstdio.h>

gchar *
kvam_test_fixture_path (const gchar * rel)
{
  const gchar *root = g_getenv ("KVAM_FIXTURES_DIR");

  return g_build_filename (root ? root : "../shared/fixtures", rel, NULL);
}

gboolean
kvam_test_fixtures_available (const gchar * rel)
{
  g_autofree gchar *path = kvam_test_fixture_path (rel);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_print ("SKIP: fixture %s is absent (set KVAM_FIXTURES_DIR)\n", path);
  return FALSE;
}

gint
kvam_test_strcmp_indirect (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar **) a, *(const gchar **) b);
}

struct _KvamTestServer
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  guint port;
  GMutex lock;
  GCond cond;
  gboolean ready;
};

static gpointer
server_thread (gpointer data)
{
  KvamTestServer *s = data;
  GError *err = NULL;
  GSList *uris;

  g_main_context_push_thread_default (s->context);
  s->server = soup_server_new (NULL, NULL);
  if (!soup_server_listen_local (s->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
          &err))
    g_error ("test server: %s", err->message);
  uris = soup_server_get_uris (s->server);
  s->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&s->lock);
  s->ready = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);

  g_main_loop_run (s->loop);
  g_clear_object (&s->server);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

KvamTestServer *
kvam_test_server_new (void)
{
  KvamTestServer *s = g_new0 (KvamTestServer, 1);

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  s->thread = g_thread_new ("test-server", server_thread, s);
  g_mutex_lock (&s->lock);
  while (!s->ready)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
  return s;
}

typedef struct
{
  KvamTestServer *server;
  gchar *path;
  SoupServerCallback callback;
  gpointer user_data;
  gboolean done;
} AddHandler;

static gboolean
add_handler_in_thread (gpointer data)
{
  AddHandler *a = data;

  soup_server_add_handler (a->server->server, a->path, a->callback,
      a->user_data, NULL);
  g_mutex_lock (&a->server->lock);
  a->done = TRUE;
  g_cond_signal (&a->server->cond);
  g_mutex_unlock (&a->server->lock);
  return G_SOURCE_REMOVE;
}

void
kvam_test_server_add_handler (KvamTestServer * s, const gchar * path,
    SoupServerCallback callback, gpointer user_data)
{
  AddHandler a = { s, g_strdup (path), callback, user_data, FALSE };

  g_main_context_invoke (s->context, add_handler_in_thread, &a);
  g_mutex_lock (&s->lock);
  while (!a.done)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
  g_free (a.path);
}

gchar *
kvam_test_server_url (KvamTestServer * s, const gchar * path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

void
kvam_test_server_free (KvamTestServer * s)
{
  GSource *idle = g_idle_source_new ();

  /* from inside the loop: a quit before it runs would be lost */
  g_source_set_callback (idle, quit_loop, s->loop, NULL);
  g_source_attach (idle, s->context);
  g_source_unref (idle);
  g_thread_join (s->thread);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static GString *captured;
static GMutex capture_lock;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  /* formatting may log (structures do), so format before taking the lock */
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&capture_lock);
  if (captured)
    g_string_append_printf (captured, "%s %s:%d %s\n",
        gst_debug_category_get_name (category), function, line, text);
  g_mutex_unlock (&capture_lock);
}

void
kvam_test_log_capture_start (void)
{
  g_mutex_lock (&capture_lock);
  captured = g_string_new (NULL);
  g_mutex_unlock (&capture_lock);
  gst_debug_set_active (TRUE);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
  /* printing *:9 to stderr as well would take minutes */
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_log, NULL, NULL);
}

gchar *
kvam_test_log_capture_stop (void)
{
  gchar *out;

  gst_debug_remove_log_function (capture_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  g_mutex_lock (&capture_lock);
  out = g_string_free (captured, FALSE);
  captured = NULL;
  g_mutex_unlock (&capture_lock);
  return out;
}

/* ---- frames of a Matroska stream ----------------------------------------- */

static gchar *
describe_frame (const guint8 * p, gsize n, gint64 cluster_tc)
{
  guint track_len = p[0] & 0x80 ? 1 : p[0] & 0x40 ? 2 : p[0] & 0x20 ? 3 : 4;
  g_autofree gchar *sum = NULL;
  guint64 track;

  if (n < track_len + 3)
    return g_strdup ("(short block)");
  track = kvam_ebml_read_uint (p, track_len) &
      ((G_GUINT64_CONSTANT (1) << (7 * track_len)) - 1);
  /* flags and frame data: the relative timecode depends on the cluster */
  sum = g_compute_checksum_for_data (G_CHECKSUM_MD5, p + track_len + 2,
      n - track_len - 2);
  return g_strdup_printf ("track %" G_GUINT64_FORMAT " at %" G_GINT64_FORMAT
      " %s", track, cluster_tc + (gint16) ((p[track_len] << 8) |
          p[track_len + 1]), sum);
}

GPtrArray *
kvam_test_frames (const guint8 * data, gsize size)
{
  return kvam_test_frames_rebased (data, size, G_MININT64);
}

GPtrArray *
kvam_test_frames_rebased (const guint8 * data, gsize size, gint64 first_at)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func (g_free);
  gsize pos = 0;
  gint64 cluster_tc = 0, shift = 0;
  gboolean in_cluster = FALSE, first = TRUE;

  while (pos < size) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK)
      break;
    if (kvam_ebml_is_top_level_id (h.id))
      in_cluster = FALSE;
    /* a BlockGroup cut short holds no frame the merger would write */
    if (in_cluster && h.id == KVAM_EBML_ID_BLOCKGROUP &&
        h.size > size - pos - h.header_len)
      break;
    if (h.id == KVAM_EBML_ID_SEGMENT || h.id == KVAM_EBML_ID_CLUSTER ||
        (in_cluster && h.id == KVAM_EBML_ID_BLOCKGROUP)) {
      in_cluster |= h.id == KVAM_EBML_ID_CLUSTER;
      pos += h.header_len;      /* descend */
      continue;
    }
    if (h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > size - pos - h.header_len)
      break;                    /* truncated at the end */
    if (in_cluster && h.id == KVAM_EBML_ID_TIMECODE) {
      cluster_tc = kvam_ebml_read_uint (data + pos + h.header_len, h.size);
      if (first && first_at != G_MININT64)
        shift = first_at - cluster_tc;
      first = FALSE;
    }
    if (in_cluster && (h.id == KVAM_EBML_ID_SIMPLEBLOCK ||
            h.id == KVAM_EBML_ID_BLOCK))
      g_ptr_array_add (frames, describe_frame (data + pos + h.header_len,
              h.size, cluster_tc + shift));
    pos += h.header_len + h.size;
  }
  return frames;
}

gchar *
kvam_test_frames_diff (GPtrArray * got, GPtrArray * want)
{
  guint i;

  for (i = 0; i < MIN (got->len, want->len); i++)
    if (!g_str_equal (got->pdata[i], want->pdata[i]))
      return g_strdup_printf ("frame %u of %u is '%s', want '%s'", i,
          want->len, (gchar *) got->pdata[i], (gchar *) want->pdata[i]);
  if (got->len != want->len)
    return g_strdup_printf ("%u frames, want %u", got->len, want->len);
  return NULL;
}

void
kvam_test_find_element (GBytes * doc, guint32 id, gsize * first, gsize * last)
{
  const guint8 *data = g_bytes_get_data (doc, NULL);
  gsize size = g_bytes_get_size (doc), pos = 0;
  gboolean found = FALSE;

  while (pos < size) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK)
      break;
    if (h.id == id) {
      if (!found)
        *first = pos;
      *last = pos;
      found = TRUE;
    }
    if (h.id == KVAM_EBML_ID_SEGMENT || h.id == KVAM_EBML_ID_CLUSTER) {
      pos += h.header_len;      /* descend */
      continue;
    }
    if (h.size == KVAM_EBML_SIZE_UNKNOWN)
      break;
    pos += h.header_len + h.size;
  }
  fail_unless (found, "no element %x in the document", id);
}

/* ---- bodies that trickle or never end ------------------------------------ */

typedef struct
{
  SoupServerMessage *msg;
  guint left;
  gchar *chunk;
  gsize chunk_len;
  gulong handler;
  gboolean finished;
} Trickle;

static void
trickle_finished (SoupServerMessage * msg, Trickle * t)
{
  t->finished = TRUE;
}

static void
trickle_free (Trickle * t)
{
  g_signal_handler_disconnect (t->msg, t->handler);
  g_object_unref (t->msg);
  g_free (t->chunk);
  g_free (t);
}

static gboolean
trickle_step (gpointer data)
{
  Trickle *t = data;
  SoupMessageBody *body = soup_server_message_get_response_body (t->msg);

  if (t->finished)
    return G_SOURCE_REMOVE;
  if (t->left == 0) {
    soup_message_body_complete (body);
  } else {
    soup_message_body_append (body, SOUP_MEMORY_COPY, t->chunk, t->chunk_len);
    t->left--;
  }
  soup_server_message_unpause (t->msg);
  return t->left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
kvam_test_trickle (SoupServerMessage * msg, const gchar * content_type,
    const guint8 * head, gsize head_len, const guint8 * chunk, gsize chunk_len,
    guint interval_ms, guint count)
{
  Trickle *t = g_new0 (Trickle, 1);
  GSource *source = g_timeout_source_new (interval_ms);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  t->msg = g_object_ref (msg);
  t->left = count;
  t->chunk = g_memdup2 (chunk, chunk_len);
  t->chunk_len = chunk_len;
  t->handler = g_signal_connect (msg, "finished",
      G_CALLBACK (trickle_finished), t);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (h, content_type, NULL);
  if (head_len)
    soup_message_body_append (soup_server_message_get_response_body (msg),
        SOUP_MEMORY_COPY, head, head_len);
  soup_server_message_pause (msg);
  g_source_set_callback (source, trickle_step, t, (GDestroyNotify)
      trickle_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}


/* ---- made-up fragment documents ------------------------------------------ */

/* EBML header, unknown-size Segment, Info and Tracks of a made-up
 * fragment; then the caller's elements. */
GByteArray *
kvam_test_doc_begin (void)
{
  static const guint8 unknown_size[8] = { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF
  };
  GByteArray *out = g_byte_array_new ();
  gsize m, entry;

  m = kvam_ebml_start_master (out, KVAM_EBML_ID_HEADER);
  kvam_ebml_write_string (out, 0x4282, "matroska");
  kvam_ebml_end_master (out, m);
  kvam_ebml_write_id (out, KVAM_EBML_ID_SEGMENT);
  g_byte_array_append (out, unknown_size, 8);
  m = kvam_ebml_start_master (out, KVAM_EBML_ID_INFO);
  kvam_ebml_write_uint (out, KVAM_EBML_ID_TIMECODESCALE, 1000000);
  kvam_ebml_end_master (out, m);
  m = kvam_ebml_start_master (out, KVAM_EBML_ID_TRACKS);
  entry = kvam_ebml_start_master (out, 0xAE);
  kvam_ebml_write_uint (out, 0xD7, 1);
  kvam_ebml_end_master (out, entry);
  kvam_ebml_end_master (out, m);
  return out;
}

void
kvam_test_doc_add_number (GByteArray * out, const gchar * number)
{
  const gchar *tags[] = { "AWS_KINESISVIDEO_FRAGMENT_NUMBER", number, NULL };

  kvam_ebml_write_simple_tags (out, tags);
}

/* A cluster at @tc with @n key frames of track 1, 40 ms apart. */
void
kvam_test_doc_add_cluster (GByteArray * out, guint64 tc, guint n)
{
  gsize m = kvam_ebml_start_master (out, KVAM_EBML_ID_CLUSTER);
  guint i;

  kvam_ebml_write_uint (out, KVAM_EBML_ID_TIMECODE, tc);
  for (i = 0; i < n; i++) {
    guint8 block[8] = { 0x81, (guint8) ((i * 40) >> 8), (guint8) (i * 40),
      0x80, 'f', 'r', 'm', (guint8) i
    };
    kvam_ebml_write_id (out, KVAM_EBML_ID_SIMPLEBLOCK);
    kvam_ebml_write_size (out, sizeof (block), 0);
    g_byte_array_append (out, block, sizeof (block));
  }
  kvam_ebml_end_master (out, m);
}


void
kvam_test_doc_add_nested_tags (GByteArray * doc, guint levels)
{
  guint i;

  /* sizes written in 8 bytes: each level is 10 bytes of header */
  kvam_ebml_write_id (doc, KVAM_EBML_ID_TAGS);
  kvam_ebml_write_size (doc, (guint64) levels * 10, 8);
  for (i = 0; i < levels; i++) {
    kvam_ebml_write_id (doc, KVAM_EBML_ID_TAG);
    kvam_ebml_write_size (doc, (guint64) (levels - 1 - i) * 10, 8);
  }
}

void
kvam_test_rm_rf (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;

  while (d && (n = g_dir_read_name (d))) {
    g_autofree gchar *p = g_build_filename (dir, n, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      kvam_test_rm_rf (p);
    else
      g_unlink (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}
