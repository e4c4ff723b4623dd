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

/* A made-up fragment document: EBML header, unknown-size Segment, Info and
 * Tracks (one track, number 1); then an AWS fragment-number tag; then a
 * cluster at @tc with @n key frames of track 1, 40 ms apart. */
GByteArray *kvam_test_doc_begin (void);
void kvam_test_doc_add_number (GByteArray * doc, const gchar * number);
void kvam_test_doc_add_cluster (GByteArray * doc, guint64 tc, guint n);
/* Tags > Tag > Tag > ... @levels deep, nothing else: not Matroska. */
void kvam_test_doc_add_nested_tags (GByteArray * doc, guint levels);

/* From a server handler: a 200 whose body is @head, then @chunk every
 * @interval_ms, @count times (chunked; stops when the client goes). */
void kvam_test_trickle (SoupServerMessage * msg, const gchar * content_type,
    const guint8 * head, gsize head_len, const guint8 * chunk,
    gsize chunk_len, guint interval_ms, guint count);

/* Captures every GStreamer debug line at every level while active. */
void kvam_test_log_capture_start (void);
gchar *kvam_test_log_capture_stop (void);

/* Every frame of a Matroska stream, in order, as "track N at T SUM": T is
 * the cluster timecode plus the block's relative time (in ticks), SUM a
 * checksum of the block's flags and data. Cluster and BlockGroup framing
 * do not show: only where each frame lands and what it holds. */
GPtrArray *kvam_test_frames (const guint8 * data, gsize size);
/* The same with times moved so that the first cluster is at @first_at. */
GPtrArray *kvam_test_frames_rebased (const guint8 * data, gsize size,
    gint64 first_at);
/* Offsets in @doc of the first and last element with @id (looking into
 * Segment and Cluster); fails the test when there is none. */
void kvam_test_find_element (GBytes * doc, guint32 id, gsize * first,
    gsize * last);
/* NULL when both lists are equal, else the first difference, in words. */
gchar *kvam_test_frames_diff (GPtrArray * got, GPtrArray * want);

/* Removes @dir and everything in it. */
void kvam_test_rm_rf (const gchar * dir);

G_END_DECLS
