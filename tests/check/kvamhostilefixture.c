/* The fake service that kvamhostile and kvamhostilemedia run against: a
 * server on 127.0.0.1, every test's debug output captured and searched
 * for secrets
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamhostilefixture.h"

#include <string.h>

KvamTestServer *server;

/* Every test runs with all of GStreamer's debug output captured, at every
 * level: no secret may show in it, whatever the peer did. */
void
hostile_setup (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  server = kvam_test_server_new ();
  kvam_test_log_capture_start ();
}

void
hostile_teardown (void)
{
  g_autofree gchar *log = kvam_test_log_capture_stop ();

  g_clear_pointer (&server, kvam_test_server_free);
  fail_if (strstr (log, TOKEN), "the session token reached the debug log");
  fail_if (strstr (log, KVS_EMULATOR_DEFAULT_SECRET_KEY),
      "the secret key reached the debug log");
}

void
respond (SoupServerMessage * msg, guint status, const gchar * body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
      body, strlen (body));
}

/* GetDataEndpoint: this server */
void
data_endpoint (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  g_autofree gchar *url = kvam_test_server_url (server, "");
  g_autofree gchar *body = g_strdup_printf ("{\"DataEndpoint\":\"%s\"}", url);

  respond (msg, 200, body);
}

/* a fixed answer, @user_data */
void
fixed (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  respond (msg, 200, user_data);
}

/* GetDataEndpoint answering this server, a listing of ONE_FRAGMENT, and
 * @media for GetMediaForFragmentList. */
void
serve_one_fragment (SoupServerCallback media)
{
  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed,
      (gpointer) ONE_FRAGMENT "}");
  kvam_test_server_add_handler (server, "/getMediaForFragmentList", media,
      NULL);
}

const gchar *const range_props[] = { "stream-name", "cam",
  "start-time", START, "retry-attempts", "1", "request-timeout", "1000",
  NULL
};

KvamPlayResult *
play (guint timeout_s, const gchar * const *props)
{
  g_autofree gchar *url = kvam_test_server_url (server, "");

  return kvam_test_play_at (url, "fakesink name=sink", FALSE, timeout_s,
      props ? props : range_props, NULL, NULL);
}
