/* kvam-export: a time range of a Kinesis Video stream into an MP4 or
 * Matroska file, without re-encoding
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   kvam-export --stream NAME --start T --end T -o clip.mp4
 *       [--region R] [--profile P] [--endpoint-uri U]
 *       [--fragment-selector-type server|producer] [--shard I/N]
 *       [--max-concurrent-requests N]
 *
 * kvamsrc ! matroskademux, then each H.264/H.265 video and AAC audio track
 * through its parser into mp4mux (.mp4) or matroskamux (.mkv). Progress
 * from kvamsrc's stats goes to stderr: one updating line on a terminal,
 * plain lines every 5 s otherwise. Ctrl-C ends the file properly (EOS);
 * a second Ctrl-C stops at once. Exit status 0, or 1 with the element's
 * error text.
 *
 * --shard I/N exports the I-th (0-based) of N equal parts of the range in
 * time. A fragment belongs to the part its start time falls in, so N
 * workers together export every fragment exactly once (docs/scale-out.md).
 */
#include <gst/gst.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvamtime.h"

typedef struct
{
  GstElement *pipeline, *src, *mux;
  GMainLoop *loop;
  gboolean interrupted;
  gint status;
  gboolean tty;
  gint64 started, last_report;
} Export;

static gchar *opt_stream, *opt_start, *opt_end, *opt_output, *opt_region;
static gchar *opt_profile, *opt_endpoint, *opt_selector, *opt_shard;
static gint opt_concurrent;

static GOptionEntry entries[] = {
  {"stream", 's', 0, G_OPTION_ARG_STRING, &opt_stream, "Stream name",
      "NAME"},
  {"start", 0, 0, G_OPTION_ARG_STRING, &opt_start,
      "Start of the range: ISO 8601, epoch seconds, or -15m style", "T"},
  {"end", 0, 0, G_OPTION_ARG_STRING, &opt_end, "End of the range (inclusive)",
      "T"},
  {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
      "Output file: .mp4 or .mkv", "FILE"},
  {"region", 0, 0, G_OPTION_ARG_STRING, &opt_region, "AWS region", "R"},
  {"profile", 0, 0, G_OPTION_ARG_STRING, &opt_profile, "AWS profile", "P"},
  {"endpoint-uri", 0, 0, G_OPTION_ARG_STRING, &opt_endpoint,
      "Kinesis Video control-plane URL (a local kvs-emulator, say)", "U"},
  {"fragment-selector-type", 0, 0, G_OPTION_ARG_STRING, &opt_selector,
      "server (default) or producer timestamps", "TYPE"},
  {"shard", 0, 0, G_OPTION_ARG_STRING, &opt_shard,
      "Export only part I (0-based) of N equal parts of the range", "I/N"},
  {"max-concurrent-requests", 0, 0, G_OPTION_ARG_INT, &opt_concurrent,
        "Media responses at once (1-5; default: kvamsrc's, 4). Workers on "
        "one stream should stay at 5 together",
      "N"},
  {NULL}
};

/* ---- the range of a shard -------------------------------------------- */

/* Part @i of @n of [start, end], as epoch seconds with milliseconds: parts
 * meet without overlap at the service's 1 ms resolution. */
static gboolean
shard_range (const gchar * shard, gchar ** start, gchar ** end)
{
  GstClockTime now = g_get_real_time () * GST_USECOND, s, e, a, b;
  g_autofree gchar *why = NULL;
  guint i, n;
  GstClockTime len;

  if (sscanf (shard, "%u/%u", &i, &n) != 2 || n == 0 || i >= n) {
    g_printerr ("kvam-export: --shard %s: expected I/N with 0 <= I < N\n",
        shard);
    return FALSE;
  }
  if (!kvam_time_parse_relative (*start, now, &s, &why)) {
    g_printerr ("kvam-export: --start %s: %s\n", *start, GST_STR_NULL (why));
    return FALSE;
  }
  if (!kvam_time_parse_relative (*end, now, &e, &why)) {
    g_printerr ("kvam-export: --end %s: %s\n", *end, GST_STR_NULL (why));
    return FALSE;
  }
  if (e < s) {
    g_printerr ("kvam-export: --end %s is before --start %s\n", *end, *start);
    return FALSE;
  }
  /* in whole milliseconds, so that every worker cuts at the same ms */
  s = s / GST_MSECOND;
  e = e / GST_MSECOND;
  len = e - s + 1;
  a = s + len * i / n;
  b = s + len * (i + 1) / n - 1;
  g_free (*start);
  g_free (*end);
  *start = g_strdup_printf ("%" G_GUINT64_FORMAT ".%03u", a / 1000,
      (guint) (a % 1000));
  *end = g_strdup_printf ("%" G_GUINT64_FORMAT ".%03u", b / 1000,
      (guint) (b % 1000));
  return TRUE;
}

/* ---- the pipeline ------------------------------------------------------ */

/* matroskademux's pads come once it has read the tracks: each through its
 * parser into a new pad of the muxer. Other tracks are left unlinked. */
static void
on_pad_added (GstElement * demux, GstPad * pad, Export * ex)
{
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const gchar *type = caps ? gst_structure_get_name
      (gst_caps_get_structure (caps, 0)) : "";
  const gchar *parser = NULL, *template = NULL;
  GstElement *queue, *parse;
  GstPad *sinkpad, *muxpad, *srcpad;

  if (g_str_equal (type, "video/x-h264")) {
    parser = "h264parse";
    template = "video_%u";
  } else if (g_str_equal (type, "video/x-h265")) {
    parser = "h265parse";
    template = "video_%u";
  } else if (g_str_equal (type, "audio/mpeg")) {
    parser = "aacparse";
    template = "audio_%u";
  } else {
    g_printerr ("kvam-export: track of type %s left out\n", type);
    return;
  }
  queue = gst_element_factory_make ("queue", NULL);
  parse = gst_element_factory_make (parser, NULL);
  if (!parse) {
    g_printerr ("kvam-export: %s is not installed\n", parser);
    return;
  }
  gst_bin_add_many (GST_BIN (ex->pipeline), queue, parse, NULL);
  gst_element_link (queue, parse);
  muxpad = gst_element_request_pad_simple (ex->mux, template);
  srcpad = gst_element_get_static_pad (parse, "src");
  sinkpad = gst_element_get_static_pad (queue, "sink");
  if (gst_pad_link (srcpad, muxpad) != GST_PAD_LINK_OK ||
      gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("kvam-export: could not link the %s track\n", type);
  gst_element_sync_state_with_parent (parse);
  gst_element_sync_state_with_parent (queue);
  gst_object_unref (srcpad);
  gst_object_unref (sinkpad);
  gst_object_unref (muxpad);
}

static gboolean
build_pipeline (Export * ex, const gchar * start, const gchar * end)
{
  const gchar *mux = g_str_has_suffix (opt_output, ".mp4") ? "mp4mux" :
      "matroskamux";
  GstElement *demux, *sink;

  ex->pipeline = gst_pipeline_new ("kvam-export");
  ex->src = gst_element_factory_make ("kvamsrc", NULL);
  demux = gst_element_factory_make ("matroskademux", NULL);
  ex->mux = gst_element_factory_make (mux, NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (!ex->src || !demux || !ex->mux || !sink) {
    g_printerr ("kvam-export: missing elements (kvamsrc, matroskademux, %s, "
        "filesink): is GST_PLUGIN_PATH set and gstreamer1.0-plugins-good "
        "installed?\n", mux);
    return FALSE;
  }
  g_object_set (ex->src, "stream-name", opt_stream, "start-time", start,
      "end-time", end, NULL);
  if (opt_region)
    g_object_set (ex->src, "region", opt_region, NULL);
  if (opt_profile)
    g_object_set (ex->src, "profile", opt_profile, NULL);
  if (opt_endpoint)
    g_object_set (ex->src, "endpoint-uri", opt_endpoint, NULL);
  if (opt_concurrent > 0)
    g_object_set (ex->src, "max-concurrent-requests",
        (guint) CLAMP (opt_concurrent, 1, 5), NULL);
  if (opt_selector)
    gst_util_set_object_arg (G_OBJECT (ex->src), "fragment-selector-type",
        opt_selector);
  g_object_set (sink, "location", opt_output, NULL);
  gst_bin_add_many (GST_BIN (ex->pipeline), ex->src, demux, ex->mux, sink,
      NULL);
  gst_element_link (ex->src, demux);
  gst_element_link (ex->mux, sink);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), ex);
  return TRUE;
}

/* ---- progress, signals, the bus ---------------------------------------- */

static void
report (Export * ex, gboolean last)
{
  GstStructure *st = NULL;
  guint listed = 0, delivered = 0;
  guint64 bytes = 0;
  gdouble secs = (g_get_monotonic_time () - ex->started) / 1e6;
  gdouble rate, eta = -1;

  g_object_get (ex->src, "stats", &st, NULL);
  gst_structure_get_uint (st, "fragments-listed", &listed);
  gst_structure_get_uint (st, "fragments-delivered", &delivered);
  gst_structure_get_uint64 (st, "bytes", &bytes);
  gst_structure_free (st);
  rate = secs > 0 ? bytes / secs / 1e6 : 0;
  if (delivered > 0 && listed > delivered)
    eta = secs * (listed - delivered) / delivered;
  fprintf (stderr, "%s%u/%u fragments (%.0f%%), %.1f MB, %.1f MB/s",
      ex->tty ? "\r" : "", delivered, listed,
      listed ? 100.0 * delivered / listed : 0.0, bytes / 1e6, rate);
  if (eta >= 0 && !last)
    fprintf (stderr, ", ETA %.0f s", eta);
  fprintf (stderr, ex->tty && !last ? "   " : "\n");
}

static gboolean
on_tick (Export * ex)
{
  gint64 now = g_get_monotonic_time ();

  if (ex->tty || now - ex->last_report >= 5 * G_USEC_PER_SEC) {
    ex->last_report = now;
    report (ex, FALSE);
  }
  return G_SOURCE_CONTINUE;
}

/* First Ctrl-C: EOS, so the muxer writes a playable file; second: quit. */
static gboolean
on_interrupt (Export * ex)
{
  if (ex->interrupted) {
    ex->status = 1;
    g_main_loop_quit (ex->loop);
    return G_SOURCE_REMOVE;
  }
  ex->interrupted = TRUE;
  g_printerr ("\nkvam-export: interrupted, finishing %s (Ctrl-C again to "
      "stop at once)\n", opt_output);
  gst_element_send_event (ex->pipeline, gst_event_new_eos ());
  return G_SOURCE_CONTINUE;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, Export * ex)
{
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dbg = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (ex->loop);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("%skvam-export: %s\n", ex->tty ? "\n" : "", err->message);
      ex->status = 1;
      g_main_loop_quit (ex->loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &dbg);
      g_printerr ("%skvam-export: warning: %s\n", ex->tty ? "\n" : "",
          err->message);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- export a time "
      "range of a Kinesis Video stream to MP4 or Matroska");
  g_autofree gchar *start = NULL, *end = NULL;
  Export ex = { 0 };
  GError *err = NULL;
  GstBus *bus;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("kvam-export: %s\n", err->message);
    return 2;
  }
  if (!opt_stream || !opt_start || !opt_end || !opt_output ||
      !(g_str_has_suffix (opt_output, ".mp4") ||
          g_str_has_suffix (opt_output, ".mkv"))) {
    g_printerr ("kvam-export: needs --stream, --start, --end and -o "
        "FILE.mp4 or FILE.mkv (--help for more)\n");
    return 2;
  }
  start = g_strdup (opt_start);
  end = g_strdup (opt_end);
  if (opt_shard && !shard_range (opt_shard, &start, &end))
    return 2;
  if (!build_pipeline (&ex, start, end))
    return 1;

  ex.tty = isatty (fileno (stderr));
  ex.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (ex.pipeline);
  gst_bus_add_watch (bus, (GstBusFunc) on_message, &ex);
  g_unix_signal_add (SIGINT, (GSourceFunc) on_interrupt, &ex);
  g_timeout_add (500, (GSourceFunc) on_tick, &ex);
  ex.started = ex.last_report = g_get_monotonic_time ();
  if (opt_shard)
    g_printerr ("kvam-export: shard %s: %s to %s\n", opt_shard, start, end);
  if (gst_element_set_state (ex.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* kvamsrc posted why (bad settings, no credentials) */
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_SECOND,
        GST_MESSAGE_ERROR);
    if (m) {
      on_message (bus, m, &ex);
      gst_message_unref (m);
    }
    ex.status = 1;
  } else {
    g_main_loop_run (ex.loop);
  }
  if (ex.status == 0)
    report (&ex, TRUE);
  gst_element_set_state (ex.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (ex.pipeline);
  g_main_loop_unref (ex.loop);
  if (ex.status == 0)
    g_printerr ("kvam-export: wrote %s\n", opt_output);
  return ex.status;
}
