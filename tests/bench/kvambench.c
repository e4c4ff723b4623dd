/* kvambench: one measured run of kvamsrc or souphttpsrc into fakesink
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * usage: kvambench kvamsrc ENDPOINT STREAM START END
 *        kvambench soup URL
 *        kvambench libsoup URL
 * Prints: wall_s cpu_s peak_rss_kb first_buffer_s bytes
 * The libsoup mode is the floor kvamsrc's HTTP stack sets: libsoup alone
 * reading the body in reads of 64 KiB (kvamsrc's default blocksize) into
 * one buffer, no GStreamer; KVAMBENCH_CA names a CA file for https.
 *
 *        kvambench soak ENDPOINT STREAM START END FRAGMENTS SECONDS
 * plays the range again and again in one process for SECONDS, checking
 * each time that exactly FRAGMENTS kvam-fragment messages came, in order,
 * and printing resident memory and open file descriptors.
 * Keys come from the environment (AWS_ACCESS_KEY_ID, ...).
 */
#include <gst/gst.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <malloc.h>

static gint64 t0, first_buffer = -1;
static guint64 bytes;

static GstPadProbeReturn
count (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (first_buffer < 0)
    first_buffer = g_get_monotonic_time ();
  bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static glong
status_kb (const gchar * field)
{
  g_autofree gchar *status = NULL;
  const gchar *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, field);
  return p ? atol (p + strlen (field)) : -1;
}

static guint
open_fds (void)
{
  GDir *d = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

/* Bytes malloc has handed out and not had back, in every arena: a leak
 * grows it, while RSS also holds what the allocator keeps for reuse. */
static glong
heap_in_use_kb (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return (glong) ((mi.uordblks + mi.hblkhd) / 1024);
}

/* One play of the range; returns the number of kvam-fragment messages, or
 * -1 when they were not in increasing order or the run failed. */
static gint
soak_once (const gchar * launch)
{
  GstElement *pipe = gst_parse_launch (launch, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  gchar *last = NULL;
  gint n = 0;
  gboolean done = FALSE;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop (bus, GST_CLOCK_TIME_NONE);
    const GstStructure *s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name (s, "kvam-fragment")) {
      const gchar *num = gst_structure_get_string (s, "fragment-number");
      if (last && (strlen (num) < strlen (last) || (strlen (num) ==
                  strlen (last) && strcmp (num, last) <= 0)))
        n = G_MININT / 2;       /* out of order or repeated */
      g_free (last);
      last = g_strdup (num);
      n++;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err;
      gst_message_parse_error (msg, &err, NULL);
      g_printerr ("error: %s\n", err->message);
      g_error_free (err);
      n = -1;
      done = TRUE;
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      done = TRUE;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (last);
  return n < 0 ? -1 : n;
}

static int
soak (gchar ** argv)
{
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc endpoint-uri=%s "
      "stream-name=%s start-time=%s end-time=%s "
      "fragment-selector-type=producer retry-attempts=8 ! fakesink "
      "sync=false", argv[2], argv[3], argv[4], argv[5]);
  gint expected = atoi (argv[6]);
  gint64 until = g_get_monotonic_time () + atoll (argv[7]) * G_USEC_PER_SEC;
  gint64 began = g_get_monotonic_time ();
  glong rss_minute = -1, rss = 0, rss_max = 0, heap = 0, heap_minute = -1;
  guint fds_first = 0, fds = 0, loops = 0, bad = 0;

  while (g_get_monotonic_time () < until) {
    gint got = soak_once (launch);
    gdouble at = (g_get_monotonic_time () - began) / 1e6;
    loops++;
    bad += got != expected;
    rss = status_kb ("VmRSS:");
    heap = heap_in_use_kb ();
    fds = open_fds ();
    if (loops == 1)
      fds_first = fds;
    if (rss_minute < 0 && at >= 60) {
      rss_minute = rss;
      heap_minute = heap;
    }
    if (rss_minute >= 0)
      rss_max = MAX (rss_max, rss);
    printf ("%8.0f s  loop %u: %d of %d fragments  RSS %ld kB  heap in use "
        "%ld kB  fds %u\n", at, loops, got, expected, rss, heap, fds);
    fflush (stdout);
  }
  printf ("soak: %u loops, %u with lost, repeated or failed fragments; RSS "
      "at the first minute %ld kB, highest after it %ld kB, at the end %ld kB "
      "(growth %ld kB); heap in use %ld kB at the first minute, %ld kB at the "
      "end; fds %u -> %u\n", loops, bad, rss_minute, rss_max, rss,
      rss_minute < 0 ? 0 : rss_max - rss_minute, heap_minute, heap,
      fds_first, fds);
  return bad ? 1 : 0;
}

/* sync ENDPOINT STREAM START END SECONDS: synced playback for SECONDS;
 * prints the most responses in flight seen (sampled every 10 ms), the
 * most bytes read ahead and peak RSS. */
static int
synced (gchar ** argv)
{
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc name=src "
      "endpoint-uri=%s stream-name=%s start-time=%s end-time=%s "
      "fragment-selector-type=producer ! matroskademux ! fakesink sync=true",
      argv[2], argv[3], argv[4], argv[5]);
  GstElement *pipe = gst_parse_launch (launch, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  gint64 until = g_get_monotonic_time () + atoll (argv[6]) * G_USEC_PER_SEC;
  guint most = 0, fragments = 0;
  guint64 ahead = 0;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (g_get_monotonic_time () < until) {
    GstStructure *st = NULL;
    guint n = 0;
    guint64 b = 0;
    g_object_get (src, "stats", &st, NULL);
    gst_structure_get_uint (st, "responses-in-flight", &n);
    gst_structure_get_uint64 (st, "bytes-ahead", &b);
    gst_structure_get_uint (st, "fragments-delivered", &fragments);
    gst_structure_free (st);
    most = MAX (most, n);
    ahead = MAX (ahead, b);
    g_usleep (10 * 1000);
  }
  printf ("%u %" G_GUINT64_FORMAT " %ld %u\n", most, ahead,
      status_kb ("VmHWM:"), fragments);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipe);
  return 0;
}

static int
libsoup_floor (const gchar * url)
{
  static guint8 buf[64 * 1024];
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *ca = g_getenv ("KVAMBENCH_CA");
  gdouble cpu0 = cpu_seconds ();
  gssize n;

  if (!msg) {
    g_printerr ("error: not an http(s) URL: %s\n", url);
    return 2;
  }
  if (ca && *ca) {
    g_autoptr (GTlsDatabase) db = g_tls_file_database_new (ca, &err);
    if (!db) {
      g_printerr ("error: %s\n", err->message);
      return 1;
    }
    soup_session_set_tls_database (session, db);
  }
  t0 = g_get_monotonic_time ();
  body = soup_session_send (session, msg, NULL, &err);
  while (body && (n = g_input_stream_read (body, buf, sizeof buf, NULL,
              &err)) > 0) {
    if (first_buffer < 0)
      first_buffer = g_get_monotonic_time ();
    bytes += n;
  }
  if (err || soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_printerr ("error: %s\n", err ? err->message : "HTTP status not 200");
    return 1;
  }
  printf ("%.3f %.3f %ld %.3f %" G_GUINT64_FORMAT "\n",
      (g_get_monotonic_time () - t0) / 1e6, cpu_seconds () - cpu0,
      status_kb ("VmHWM:"), (first_buffer - t0) / 1e6, bytes);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *launch = NULL;
  GstElement *pipe, *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  const gchar *props;
  gdouble cpu0;

  gst_init (&argc, &argv);
  if (argc == 8 && g_str_equal (argv[1], "soak"))
    return soak (argv);
  if (argc == 7 && g_str_equal (argv[1], "sync"))
    return synced (argv);
  if (argc == 3 && g_str_equal (argv[1], "libsoup"))
    return libsoup_floor (argv[2]);
  /* KVAMBENCH_PROPS: more properties of the source, e.g.
   * max-concurrent-requests=1, or ssl-ca-file=... for either */
  props = g_getenv ("KVAMBENCH_PROPS") ? g_getenv ("KVAMBENCH_PROPS") : "";
  if (argc == 6 && g_str_equal (argv[1], "kvamsrc"))
    launch = g_strdup_printf ("kvamsrc endpoint-uri=%s stream-name=%s "
        "start-time=%s end-time=%s fragment-selector-type=producer %s ! "
        "fakesink name=sink sync=false", argv[2], argv[3], argv[4], argv[5],
        props);
  else if (argc == 3 && g_str_equal (argv[1], "soup"))
    launch = g_strdup_printf ("souphttpsrc location=%s blocksize=65536 %s ! "
        "fakesink name=sink sync=false", argv[2], props);
  else {
    g_printerr ("usage: kvambench kvamsrc ENDPOINT STREAM START END\n"
        "       kvambench soup URL\n       kvambench libsoup URL\n");
    return 2;
  }
  pipe = gst_parse_launch (launch, NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count, NULL, NULL);
  bus = gst_element_get_bus (pipe);

  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err;
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("error: %s\n", err->message);
    return 1;
  }
  printf ("%.3f %.3f %ld %.3f %" G_GUINT64_FORMAT "\n",
      (g_get_monotonic_time () - t0) / 1e6, cpu_seconds () - cpu0,
      status_kb ("VmHWM:"), (first_buffer - t0) / 1e6, bytes);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  return 0;
}
