/* kvamsrc against hostile media: bodies that never make a frame or come
 * compressed, Matroska no producer writes, responses that break off
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "kvamebml.h"
#include "kvamhostilefixture.h"

/* ---- media that never makes a frame -------------------------------------- */

static void
void_media (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  /* an EBML header and an unknown-size Segment, then Void elements */
  static const guint8 head[] = { 0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x86,
    0x81, 0x01, 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF
  };
  static const guint8 void_element[] = { 0xEC, 0x81, 0x00 };

  kvam_test_trickle (msg, "video/webm", head, sizeof (head), void_element,
      sizeof (void_element), 100, 40000);
}

/* Bytes that never make a frame are a stall: media progress is counted in
 * frames, not bytes. */
GST_START_TEST (test_media_without_frames_times_out)
{
  g_autoptr (KvamPlayResult) r = NULL;

  serve_one_fragment (void_media);
  r = play (30, NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "no frame for 1000 ms");
  fail_unless (r->seconds < 10.0, "took %.1f s", r->seconds);
}

GST_END_TEST;

static void
gzip_media (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  static const guint8 gzip_of_nothing[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00
  };

  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Encoding", "gzip");
  soup_server_message_set_response (msg, "video/webm", SOUP_MEMORY_STATIC,
      (const gchar *) gzip_of_nothing, sizeof (gzip_of_nothing));
}

/* Nothing is inflated: a small gzip body made hundreds of MB. */
GST_START_TEST (test_compressed_media_refused)
{
  g_autoptr (KvamPlayResult) r = NULL;

  serve_one_fragment (gzip_media);
  r = play (30, NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "Content-Encoding: gzip");
}

GST_END_TEST;

/* ---- hostile Matroska, served ---------------------------------------- */

typedef struct
{
  GByteArray *doc;
  gchar *listing;
} Served;

static void
serve_document (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Served *d = user_data;

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "video/webm", SOUP_MEMORY_COPY,
      (const gchar *) d->doc->data, d->doc->len);
}

/* The headers, then in one write half the document as a chunk and the
 * head of a chunk for the rest with 10 bytes of it, then the connection
 * closes: kvamsrc's read of the first chunk is filled with the rest of what
 * arrived, and that fill meets the broken end. */
static void
cut_in_one_write (SoupServerMessage * msg, Served * d)
{
  g_autoptr (GIOStream) io = soup_server_message_steal_connection (msg);
  gsize half = d->doc->len / 2;
  g_autoptr (GByteArray) wire = g_byte_array_new ();
  g_autofree gchar *first = g_strdup_printf ("%zx\r\n", half);
  g_autofree gchar *second = g_strdup_printf ("\r\n%zx\r\n",
      d->doc->len - half);

  g_byte_array_append (wire, (const guint8 *) first, strlen (first));
  g_byte_array_append (wire, d->doc->data, half);
  g_byte_array_append (wire, (const guint8 *) second, strlen (second));
  g_byte_array_append (wire, d->doc->data + half, 10);
  g_output_stream_write_all (g_io_stream_get_output_stream (io), wire->data,
      wire->len, NULL, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
}

static void
serve_cut_document (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers
      (msg), SOUP_ENCODING_CHUNKED);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (cut_in_one_write),
      user_data);
}

/* One fragment, listed at START + 0.5 s with its real size, whose media is
 * @doc, served by @media. */
static KvamPlayResult *
play_document_with (GByteArray * doc, SoupServerCallback media)
{
  const gchar *props[] = { "stream-name", "cam", "start-time", START,
    "retry-attempts", "1", "request-timeout", "2000",
    "fragment-selector-type", "producer", NULL
  };
  g_autofree gchar *url = kvam_test_server_url (server, "");
  Served d = { doc, g_strdup_printf ("{\"Fragments\":[{\"FragmentNumber\":"
        "\"" NUMBER "\",\"FragmentSizeInBytes\":%u,\"ProducerTimestamp\":"
        "1764000000.5,\"ServerTimestamp\":1764000001.5,"
        "\"FragmentLengthInMilliseconds\":2000}]}", doc->len)
  };
  KvamPlayResult *r;

  kvam_test_server_add_handler (server, "/getDataEndpoint", data_endpoint,
      NULL);
  kvam_test_server_add_handler (server, "/listFragments", fixed, d.listing);
  kvam_test_server_add_handler (server, "/getMediaForFragmentList", media, &d);
  r = kvam_test_play_at (url, "fakesink name=sink", TRUE, 30, props, NULL,
      NULL);
  kvam_test_server_free (server);       /* before @d goes */
  server = kvam_test_server_new ();
  g_free (d.listing);
  return r;
}

static KvamPlayResult *
play_document (GByteArray * doc)
{
  return play_document_with (doc, serve_document);
}

/* A response that breaks off right behind data that came with it: the
 * frames before the break are played once, and the break is reported as a
 * read error (a filled read that met it keeps it for the next read), not
 * taken for the end of the response. */
GST_START_TEST (test_break_met_while_filling_a_read)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) frames = NULL, sent = NULL;
  g_autofree gchar *diff = NULL;

  kvam_test_doc_add_number (doc, NUMBER);
  kvam_test_doc_add_cluster (doc, 0, 50);
  r = play_document_with (doc, serve_cut_document);
  /* taken for an end, it would be a fragment short of its listed size:
   * skipped with a warning, and no read error named */
  kvam_test_assert_error (r, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "ended after 0 of 1 fragments: ");
  /* what came before the break, once, each frame at its time */
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  sent = kvam_test_frames (doc->data, doc->len / 2 + 10);
  fail_unless (frames->len > 0);
  diff = kvam_test_frames_diff (frames, sent);
  fail_unless (diff == NULL, "%s", diff);
}

GST_END_TEST;

/* Tags > Tag > Tag > ... 200 000 deep: the streaming thread's stack
 * overflowed (SIGSEGV) on 60 000. */
GST_START_TEST (test_nested_tags_served)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) frames = NULL;

  kvam_test_doc_add_nested_tags (doc, 200000);
  kvam_test_doc_add_number (doc, NUMBER);
  kvam_test_doc_add_cluster (doc, 0, 5);
  r = play_document (doc);
  fail_unless (r->eos, "no EOS");
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  fail_unless_equals_int (frames->len, 5);
}

GST_END_TEST;

/* Cluster timecodes going backwards inside the fragment, then 2^63-1 and
 * 2^64-1: output times stay sane and never go back (a backward one was
 * written as 2^64-8000; 2^63-1 overflowed). */
GST_START_TEST (test_absurd_cluster_times_served)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autoptr (KvamPlayResult) r = NULL;
  g_autoptr (GPtrArray) frames = NULL;
  gint64 prev = -1;
  guint i;

  kvam_test_doc_add_number (doc, NUMBER);
  kvam_test_doc_add_cluster (doc, 10000, 3);
  kvam_test_doc_add_cluster (doc, 2000, 3);
  kvam_test_doc_add_cluster (doc, G_MAXINT64, 3);
  kvam_test_doc_add_cluster (doc, G_MAXUINT64, 3);
  r = play_document (doc);
  fail_unless (r->eos, "no EOS");
  frames = kvam_test_frames (r->raw->data, r->raw->len);
  fail_unless_equals_int (frames->len, 12);
  for (i = 0; i < frames->len; i++) {
    guint track;
    gint64 t;
    fail_unless (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT,
            &track, &t) == 2);
    fail_unless (t >= 0 && t <= (G_GINT64_CONSTANT (1) << 53) + 200 &&
        (i % 3 != 0 || t >= prev), "%s after %" G_GINT64_FORMAT,
        (gchar *) frames->pdata[i], prev);
    prev = t;
  }
}

GST_END_TEST;

/* A fragment-number tag of 1 MB is not copied into the error message. */
GST_START_TEST (test_long_tag_served)
{
  g_autoptr (GByteArray) doc = kvam_test_doc_begin ();
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *number = g_strnfill (1024 * 1024, '7');
  GError *err = NULL;

  kvam_test_doc_add_number (doc, number);
  kvam_test_doc_add_cluster (doc, 0, 2);
  r = play_document (doc);
  kvam_test_assert_error (r, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX,
      "arrived where");
  gst_message_parse_error (r->error, &err, NULL);
  fail_unless (strlen (err->message) < 400, "%" G_GSIZE_FORMAT " characters",
      strlen (err->message));
  g_error_free (err);
}

GST_END_TEST;

static Suite *
kvamhostilemedia_suite (void)
{
  Suite *s = suite_create ("kvamhostilemedia");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, hostile_setup, hostile_teardown);
  tcase_add_test (tc, test_media_without_frames_times_out);
  tcase_add_test (tc, test_compressed_media_refused);
  tcase_add_test (tc, test_nested_tags_served);
  tcase_add_test (tc, test_break_met_while_filling_a_read);
  tcase_add_test (tc, test_absurd_cluster_times_served);
  tcase_add_test (tc, test_long_tag_served);
  return s;
}

GST_CHECK_MAIN (kvamhostilemedia);
