/* kvamsrc: helpers shared by the tests
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamtestutil.h"

#include <string.h>

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
