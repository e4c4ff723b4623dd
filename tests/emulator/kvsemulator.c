/* kvs-emulator: a local Kinesis Video Streams archived-media service
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulatorpriv.h"

#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

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
  emu->chunk_size = DEFAULT_CHUNK_SIZE;
  /* the test suite's default (tests/check/meson.build): pages as short as
   * the API allows them to be */
  if (g_getenv ("KVS_EMULATOR_SHORT_PAGES"))
    emu->short_pages = g_ascii_strtoull (g_getenv
        ("KVS_EMULATOR_SHORT_PAGES"), NULL, 10);
  emu->cuts = g_array_new (FALSE, FALSE, sizeof (Cut));
  emu->log = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvs_log_entry_free);
  emu->web_identity_tokens = g_ptr_array_new_with_free_func (g_free);
  emu->sso_tokens = g_ptr_array_new_with_free_func (g_free);
  emu->sso_refresh_tokens = g_ptr_array_new_with_free_func (g_free);
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
  g_ptr_array_unref (emu->sso_refresh_tokens);
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

/* ---- dispatch ------------------------------------------------------------ */

static void
process_request (Request * r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;

  if (!kvs_check_request_signature (r))
    return;
  if (!(o = kvs_parse_body (r, parser)))
    return;
  switch (r->op) {
    case OP_GET_DATA_ENDPOINT:
      kvs_handle_get_data_endpoint (r, o);
      break;
    case OP_LIST_FRAGMENTS:
      kvs_handle_list_fragments (r, o);
      break;
    case OP_GET_MEDIA:
      kvs_handle_get_media (r, o);
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
  kvs_request_free (r);
  return G_SOURCE_REMOVE;
}

static void
unknown_operation (SoupServerMessage * msg, const gchar * path,
    KvsEmulator * emu)
{
  Request r = { emu, msg, OP_GET_DATA_ENDPOINT, NULL };
  g_autofree gchar *m = g_strdup_printf ("No operation at %s", path);

  /* logged under the path, not an operation */
  kvs_respond_error (&r, 404, "UnknownOperationException", m);
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
  LOCKED (emu, g_free (emu->last_user_agent);
      emu->last_user_agent =
      g_strdup (soup_message_headers_get_one
          (soup_server_message_get_request_headers (msg), "User-Agent")));

  if (g_str_equal (path, "/") && !strcmp (soup_server_message_get_method
          (msg), "POST")) {
    kvs_handle_sts (emu, msg);
    return;
  }
  if (g_str_equal (path, "/token") && !strcmp (soup_server_message_get_method
          (msg), "POST")) {
    kvs_handle_sso_oidc (emu, msg);
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
    kvs_handle_raw (&raw, path + strlen ("/raw/"), query);
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
  kvs_request_free (r);
}

/* Refuses large bodies before they are read into memory. */
static void
early_callback (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (h);
  SoupEncoding enc = soup_message_headers_get_encoding (h);
  GSocket *sock = soup_server_message_get_socket (msg);
  KvsEmulator *emu = data;

  /* a connection's first request marks it: how many a client opened */
  if (sock && !g_object_get_data (G_OBJECT (sock), "kvs-counted")) {
    g_object_set_data (G_OBJECT (sock), "kvs-counted", GINT_TO_POINTER (1));
    LOCKED (emu, emu->connections++);
  }

  if (enc == SOUP_ENCODING_CHUNKED || length > KVS_EMULATOR_MAX_BODY) {
    Request r = { data, msg, OP_GET_DATA_ENDPOINT, NULL };
    kvs_respond_error (&r, 413, "SerializationException",
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
  soup_server_add_early_handler (emu->server, NULL, early_callback, emu, NULL);
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

/* A stream's current (@peak FALSE) or highest count of media responses. */
static guint
media_connections (KvsEmulator * emu, const gchar * name, gboolean peak)
{
  Stream *s;
  guint n = 0;

  g_mutex_lock (&emu->lock);
  s = g_hash_table_lookup (emu->streams, name);
  if (s)
    n = peak ? s->media_peak : s->media_open;
  g_mutex_unlock (&emu->lock);
  return n;
}

guint
kvs_emulator_get_peak_media_connections (KvsEmulator * emu, const gchar * name)
{
  return media_connections (emu, name, TRUE);
}

guint
kvs_emulator_get_open_media_connections (KvsEmulator * emu, const gchar * name)
{
  return media_connections (emu, name, FALSE);
}

guint
kvs_emulator_get_media_calls (KvsEmulator * emu)
{
  guint n;

  LOCKED (emu, n = emu->media_calls);
  return n;
}

guint
kvs_emulator_get_connections (KvsEmulator * emu)
{
  guint n;

  LOCKED (emu, n = emu->connections);
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
