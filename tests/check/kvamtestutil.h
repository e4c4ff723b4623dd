/* kvamsrc: helpers shared by the tests
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* KVAM_FIXTURES_DIR (set by meson to ../shared/fixtures) joined with @rel. */
gchar *kvam_test_fixture_path (const gchar * rel);
/* FALSE, after printing why, when the fixture is absent: the test is skipped. */
gboolean kvam_test_fixtures_available (const gchar * rel);

gint kvam_test_strcmp_indirect (gconstpointer a, gconstpointer b);

/* A SoupServer on 127.0.0.1 running in a thread of its own, so tests that
 * block (GstHarness, sync requests) still get answers. */
typedef struct _KvamTestServer KvamTestServer;

KvamTestServer *kvam_test_server_new (void);
/* Add a handler; call before requests arrive. */
void kvam_test_server_add_handler (KvamTestServer * server, const gchar * path,
    SoupServerCallback callback, gpointer user_data);
gchar *kvam_test_server_url (KvamTestServer * server, const gchar * path);
void kvam_test_server_free (KvamTestServer * server);

/* Captures every GStreamer debug line at every level while active. */
void kvam_test_log_capture_start (void);
gchar *kvam_test_log_capture_stop (void);

G_END_DECLS
