/* kvs-emulator: its GetMediaForFragmentList responses: order, in-band
 * errors, cuts, stalls, the bandwidth cap, HTTP chunks (fixture:
 * kvsemufixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "kvsemufixture.h"
#include "kvamebml.h"
#include "kvamtestutil.h"
#include "kvamtestplay.h"

/* ---- media --------------------------------------------------------------- */

static gchar *
fragments_body (guint first, guint count)
{
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);
  GString *s = g_string_new ("{\"StreamName\":\"cam\",\"Fragments\":[");

  for (i = 0; i < count; i++)
    g_string_append_printf (s, "%s\"%s\"", i ? "," : "", f[first + i].number);
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

static GPtrArray *
tag_values (GBytes * body, const gchar * name)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (body, &size);

  return kvam_test_tag_values (data, size, name);
}

GST_START_TEST (test_media_in_request_order)
{
  g_autofree gchar *body = fragments_body (5, 4);
  g_autoptr (GPtrArray) numbers = NULL;
  g_autoptr (GPtrArray) producer = NULL;
  guint n, i;
  guint64 expected = 0;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);
  Raw r = { 0 };

  raw_call ("/getMediaForFragmentList", body, &r);
  fail_unless_equals_int (r.status, 200);
  numbers = tag_values (r.body, "AWS_KINESISVIDEO_FRAGMENT_NUMBER");
  producer = tag_values (r.body, "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP");
  fail_unless_equals_int (numbers->len, 4);
  for (i = 0; i < 4; i++) {
    g_autofree gchar *t = kvs_media_format_tag_time (f[5 + i].producer_ms);
    fail_unless_equals_string (numbers->pdata[i], f[5 + i].number);
    fail_unless_equals_string (producer->pdata[i], t);
    expected += f[5 + i].size;
  }
  fail_unless_equals_uint64 (g_bytes_get_size (r.body), expected);
  raw_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_media_in_band_errors)
{
  g_autofree gchar *body = fragments_body (0, 3);
  g_autoptr (GPtrArray) codes = NULL, numbers = NULL;
  Raw r = { 0 };

  kvs_emulator_set_rate_limit (emu, FALSE);
  kvs_emulator_add_fragment_error (emu, STREAM, 1, 2, NULL);
  raw_call ("/getMediaForFragmentList", body, &r);
  codes = tag_values (r.body, "AWS_KINESISVIDEO_ERROR_CODE");
  numbers = tag_values (r.body, "AWS_KINESISVIDEO_FRAGMENT_NUMBER");
  fail_unless_equals_int (r.status, 200);
  fail_unless_equals_int (codes->len, 1);
  fail_unless_equals_string (codes->pdata[0], "FRAGMENT_NOT_FOUND");
  fail_unless_equals_int (numbers->len, 3);
  raw_clear (&r);
  g_ptr_array_unref (codes);

  /* the documented spelling, on the second failure */
  kvs_emulator_set_tag_style (emu, KVS_TAGS_DOCUMENTED);
  raw_call ("/getMediaForFragmentList", body, &r);
  codes = tag_values (r.body, "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE");
  fail_unless_equals_int (codes->len, 1);
  raw_clear (&r);
  g_ptr_array_unref (codes);

  /* then the fragment is served */
  raw_call ("/getMediaForFragmentList", body, &r);
  codes = tag_values (r.body, "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE");
  fail_unless_equals_int (codes->len, 0);
  raw_clear (&r);
  g_ptr_array_unref (codes);
  codes = NULL;
}

GST_END_TEST;

/* Reads a media response through the client; returns bytes read, with
 * @error set when the read failed. */
static guint64
read_media (guint first, guint count, guint timeout_ms, GError ** error)
{
  KvamClientConfig c = { KVS_EMULATOR_DEFAULT_REGION, url, STREAM, NULL,
    timeout_ms, 0, creds, NULL, NULL, NULL, NULL
  };
  g_autoptr (KvamClient) client = kvam_client_new (&c);
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);
  JsonBuilder *b = kvam_client_begin_body (client);
  g_autoptr (GInputStream) in = NULL;
  KvamAwsError err = { 0 };
  guint64 total = 0;
  guint8 buf[8192];
  gssize got;

  json_builder_set_member_name (b, "Fragments");
  json_builder_begin_array (b);
  for (i = 0; i < count; i++)
    json_builder_add_string_value (b, f[first + i].number);
  json_builder_end_array (b);
  in = kvam_client_open (client, KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST, b,
      NULL, &err);
  g_object_unref (b);
  fail_unless (in != NULL, "%s", err.message);
  while ((got = g_input_stream_read (in, buf, sizeof (buf), NULL, error)) > 0)
    total += got;
  return total;
}

/* libsoup reports a chunked body cut between chunks as a normal end of
 * stream: a client must find the cut from the Matroska it got. */
GST_START_TEST (test_media_cut_mid_body)
{
  g_autoptr (GPtrArray) log = NULL;
  GError *err = NULL;
  guint64 got, whole = 0;
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);

  for (i = 0; i < 5; i++)
    whole += f[i].size;
  kvs_emulator_add_cut (emu, 1, 12345);
  got = read_media (0, 5, 5000, &err);
  g_clear_error (&err);
  fail_unless (whole > 12345);
  fail_unless_equals_uint64 (got, 12345);
  log = kvs_emulator_get_log (emu);
  fail_unless (((KvsLogEntry *) log->pdata[log->len - 1])->cut);
  /* the next response is whole */
  kvs_emulator_set_rate_limit (emu, FALSE);
  got = read_media (0, 5, 5000, &err);
  fail_unless (err == NULL);
  fail_unless_equals_uint64 (got, whole);
  fail_unless_equals_int (kvs_emulator_count (emu, "GetMediaForFragmentList",
          NULL), 2);
}

GST_END_TEST;

GST_START_TEST (test_media_stall_times_out)
{
  GError *err = NULL;
  guint64 got;
  gint64 t0 = g_get_monotonic_time ();

  kvs_emulator_add_stall (emu, 1, 5000);
  got = read_media (0, 5, 1000, &err);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
      "%s", err ? err->message : "no error");
  fail_unless_equals_uint64 (got, 5000);
  fail_unless (g_get_monotonic_time () - t0 < 10 * G_USEC_PER_SEC);
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_bandwidth_cap)
{
  GError *err = NULL;
  guint n, i;
  guint64 bytes = 0, got;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);
  gint64 t0;

  for (i = 0; i < 10; i++)
    bytes += f[i].size;
  /* a cap of a quarter of the bytes per second: at least ~3 s */
  kvs_emulator_set_bandwidth (emu, bytes / 4);
  t0 = g_get_monotonic_time ();
  got = read_media (0, 10, 5000, &err);
  fail_unless (err == NULL);
  fail_unless_equals_uint64 (got, bytes);
  fail_unless (g_get_monotonic_time () - t0 > 2500 * 1000);
}

GST_END_TEST;

/* GET /raw/STREAM over a plain socket; returns the size of each HTTP chunk
 * of the body and sets @body_bytes; appends the body to @body if given,
 * and tells in @closes whether the headers said Connection: close. */
static GArray *
raw_chunks (guint64 * body_bytes, GByteArray * body, gboolean * closes)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GUri) u = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree gchar *req = g_strdup_printf ("GET /raw/%s HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", STREAM);
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *line;
  guint64 size;
  gssize left, skipped;
  guint8 buf[4096];

  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
      g_uri_get_port (u), NULL, NULL);
  fail_unless (conn != NULL);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (conn)), req, strlen (req), NULL, NULL, NULL));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  /* the headers, up to the empty line */
  if (closes)
    *closes = FALSE;
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) && *line) {
    if (closes && g_ascii_strcasecmp (line, "Connection: close") == 0)
      *closes = TRUE;
    g_free (line);
  }
  g_free (line);
  *body_bytes = 0;
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL))) {
    size = g_ascii_strtoull (line, NULL, 16);
    g_free (line);
    if (size == 0)
      break;
    g_array_append_val (sizes, size);
    *body_bytes += size;
    for (left = size + 2; left > 0; left -= skipped) {
      skipped = g_input_stream_read (G_INPUT_STREAM (in), buf,
          MIN (left, (gssize) sizeof buf), NULL, NULL);
      fail_unless (skipped > 0, "the body ended inside a chunk");
      if (body)                 /* not the chunk's CRLF */
        g_byte_array_append (body, buf, MIN (skipped, left - 2 > 0 ?
                left - 2 : 0));
    }
  }
  return sizes;
}

static guint64
largest (GArray * a)
{
  guint64 m = 0;
  guint i;

  for (i = 0; i < a->len; i++)
    m = MAX (m, g_array_index (a, guint64, i));
  return m;
}

/* --chunk-size: the body's HTTP chunks hold at most that many bytes, and
 * as many as that when the documents are larger; the bytes are the same */
GST_START_TEST (test_chunk_size)
{
  guint n, i;
  const KvsFragment *f = kvs_emulator_get_fragments (emu, STREAM, &n);
  guint64 whole = 0, got = 0;
  g_autoptr (GArray) def = NULL, small = NULL;

  for (i = 0; i < n; i++)
    whole += f[i].size;
  def = raw_chunks (&got, NULL, NULL);
  fail_unless_equals_uint64 (got, whole);
  fail_unless (largest (def) <= 65536 && largest (def) > 1000);
  kvs_emulator_set_chunk_size (emu, 1000);
  small = raw_chunks (&got, NULL, NULL);
  fail_unless_equals_uint64 (got, whole);
  fail_unless_equals_uint64 (largest (small), 1000);
  fail_unless (small->len > def->len);
}

GST_END_TEST;

/* --gather-chunks: the same body in the same chunks, only written once a
 * chunk, on a connection that closes after it */
GST_START_TEST (test_gather_chunks)
{
  g_autoptr (GByteArray) split = g_byte_array_new ();
  g_autoptr (GByteArray) gathered = g_byte_array_new ();
  g_autoptr (GArray) a = NULL, b = NULL;
  guint64 got_a = 0, got_b = 0;
  GPtrArray *numbers = NULL;
  gboolean closes = TRUE;
  guint i;

  kvs_emulator_set_chunk_size (emu, 5000);
  a = raw_chunks (&got_a, split, &closes);
  fail_if (closes);
  kvs_emulator_set_gather_chunks (emu, TRUE);
  b = raw_chunks (&got_b, gathered, &closes);
  fail_unless (closes);
  fail_unless_equals_uint64 (got_b, got_a);
  fail_unless_equals_uint64 (gathered->len, split->len);
  fail_unless (memcmp (gathered->data, split->data, split->len) == 0);
  fail_unless_equals_int (b->len, a->len);
  for (i = 0; i < a->len; i++)
    fail_unless_equals_uint64 (g_array_index (b, guint64, i),
        g_array_index (a, guint64, i));
  /* each response gives its connection back: six in a row, one more than
   * the stream's limit of five at once, are all served */
  kvs_emulator_set_rate_limit (emu, FALSE);
  for (i = 0; i < 6; i++) {
    g_autofree gchar *req = fragments_body (i, 2);
    Raw r = { 0 };

    raw_call ("/getMediaForFragmentList", req, &r);
    fail_unless_equals_int (r.status, 200);
    numbers = tag_values (r.body, "AWS_KINESISVIDEO_FRAGMENT_NUMBER");
    fail_unless_equals_int (numbers->len, 2);
    g_clear_pointer (&numbers, g_ptr_array_unref);
    raw_clear (&r);
  }
}

GST_END_TEST;

/* A client that stops reading a gathered body is let go after the write
 * timeout: the server's teardown no longer reaches a connection taken
 * over, and the writer would wait for it for good (and send the rest once
 * it read again) */
GST_START_TEST (test_gather_stalled_client_let_go)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  const gchar *req = "GET /raw/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const KvsFragment *f;
  GError *err = NULL;
  guint64 whole = 0, got = 0;
  guint8 buf[65536];
  gssize n;
  guint count, i;

  /* far more than the socket buffers hold */
  fail_unless (kvs_emulator_add_synthetic (emu, "big", 10, 2, 1920, 1080,
          &err), "%s", err ? err->message : "");
  f = kvs_emulator_get_fragments (emu, "big", &count);
  for (i = 0; i < count; i++)
    whole += f[i].size;
  kvs_emulator_set_gather_chunks (emu, TRUE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
      kvs_emulator_get_port (emu), NULL, NULL);
  fail_unless (conn != NULL);
  fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
          (G_IO_STREAM (conn)), req, strlen (req), NULL, NULL, NULL));
  g_usleep ((KVS_EMULATOR_GATHER_TIMEOUT_S + 2) * G_USEC_PER_SEC);
  /* what was buffered, then the end (not a wait for the rest) */
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM
                  (conn)), buf, sizeof buf, NULL, &err)) > 0)
    got += n;
  fail_unless (n == 0, "%s", err ? err->message : "");
  fail_unless (got > 0 && got < whole, "%" G_GUINT64_FORMAT " of %"
      G_GUINT64_FORMAT " bytes", got, whole);
}

GST_END_TEST;

static Suite *
kvsemulatormedia_suite (void)
{
  Suite *s = suite_create ("kvsemulatormedia");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, kvs_test_setup, kvs_test_teardown);
  tcase_add_test (tc, test_media_in_request_order);
  tcase_add_test (tc, test_media_in_band_errors);
  tcase_add_test (tc, test_media_cut_mid_body);
  tcase_add_test (tc, test_media_stall_times_out);
  tcase_add_test (tc, test_bandwidth_cap);
  tcase_add_test (tc, test_chunk_size);
  tcase_add_test (tc, test_gather_chunks);
  tcase_add_test (tc, test_gather_stalled_client_let_go);
  return s;
}

GST_CHECK_MAIN (kvsemulatormedia);
