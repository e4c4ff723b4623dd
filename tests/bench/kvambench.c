/* kvambench: one measured run of kvamsrc or souphttpsrc into fakesink
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * usage: kvambench kvamsrc ENDPOINT STREAM START END
 *        kvambench soup URL
 * Prints: wall_s cpu_s peak_rss_kb first_buffer_s bytes
 * Keys come from the environment (AWS_ACCESS_KEY_ID, ...).
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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

static glong
peak_rss_kb (void)
{
  g_autofree gchar *status = NULL;
  const gchar *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, "VmHWM:");
  return p ? atol (p + 6) : -1;
}

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *launch = NULL;
  GstElement *pipe, *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  gdouble cpu0;

  gst_init (&argc, &argv);
  if (argc == 6 && g_str_equal (argv[1], "kvamsrc"))
    launch = g_strdup_printf ("kvamsrc endpoint-uri=%s stream-name=%s "
        "start-time=%s end-time=%s fragment-selector-type=producer ! "
        "fakesink name=sink sync=false", argv[2], argv[3], argv[4], argv[5]);
  else if (argc == 3 && g_str_equal (argv[1], "soup"))
    launch = g_strdup_printf ("souphttpsrc location=%s blocksize=65536 ! "
        "fakesink name=sink sync=false", argv[2]);
  else {
    g_printerr ("usage: kvambench kvamsrc ENDPOINT STREAM START END\n"
        "       kvambench soup URL\n");
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
      peak_rss_kb (), (first_buffer - t0) / 1e6, bytes);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  return 0;
}
