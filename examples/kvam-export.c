/* kvam-export: a time range of a Kinesis Video stream into an MP4 or
 * Matroska file, without re-encoding
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   kvam-export --stream NAME --start T --end T -o clip.mp4
 *       [--region R] [--profile P] [--endpoint-uri U]
 *       [--fragment-selector-type server|producer] [--shard I/N]
 *       [--max-concurrent-requests N] [--version]
 *
 * kvamsrc ! matroskademux, then each H.264/H.265 video and AAC audio track
 * through its parser into mp4mux (.mp4) or matroskamux (.mkv). Progress
 * from kvamsrc's stats goes to stderr: one updating line on a terminal,
 * plain lines every 5 s otherwise, by media time over the range. The file
 * carries the recording's date (the range's first producer time: an MP4's
 * creation times are rewritten, kvammp4date.c; matroskamux is given it as
 * creation-time) and
 * is written as FILE.part and renamed when it is complete; nothing is left
 * on failure. Ctrl-C (SIGINT) or SIGTERM ends the file properly (EOS), a
 * second one stops at once (no file).
 *
 * Exit status: 0 written (also a shard whose part of the range holds no
 * fragment: a recording gap, noted, no file); 1 an error (the element's
 * text); 2 bad arguments; 130 (SIGINT) or 143 (SIGTERM) interrupted, the
 * file playable up to where it stopped.
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
#include <errno.h>
#include <glib/gstdio.h>

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "kvamtime.h"
#include "kvammp4date.h"

#define EXIT_USAGE 2

typedef struct
{
  GstElement *pipeline, *src, *mux;
  GMainLoop *loop;
  gint interrupted;             /* the signal that asked to stop, 0 */
  gint status;
  gboolean empty;               /* the range holds no fragment */
  gboolean tty;
  gint64 started, last_report;
  GstClockTime range_start, range_end;  /* epoch ns */
  gchar *part;                  /* what filesink writes, renamed at the end */
  GstDateTime *recorded;        /* the first datetime tag: DateUTC */
} Export;

static gchar *opt_stream, *opt_start, *opt_end, *opt_output, *opt_region;
static gchar *opt_profile, *opt_endpoint, *opt_selector, *opt_shard;
static gint opt_concurrent;
static gboolean opt_version;

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
  {"version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
      "Print kvamsrc's version and exit", NULL},
  {NULL}
};

/* ---- the range ----------------------------------------------------------- */

/* --start and --end as epoch ns, relative ones from now. */
static gboolean
resolve_range (const gchar * start, const gchar * end, GstClockTime * s,
    GstClockTime * e)
{
  GstClockTime now = g_get_real_time () * GST_USECOND;
  g_autofree gchar *why = NULL;

  if (!kvam_time_parse_relative (start, now, s, &why)) {
    g_printerr ("kvam-export: --start %s: %s\n", start, GST_STR_NULL (why));
    return FALSE;
  }
  if (!kvam_time_parse_relative (end, now, e, &why)) {
    g_printerr ("kvam-export: --end %s: %s\n", end, GST_STR_NULL (why));
    return FALSE;
  }
  if (*e < *s) {
    g_printerr ("kvam-export: --end %s is before --start %s\n", end, start);
    return FALSE;
  }
  return TRUE;
}

/* Part @i of @n of [*s, *e], at millisecond resolution (the service's):
 * parts meet without overlap, and every worker cuts at the same ms. */
static gboolean
shard_range (const gchar * shard, GstClockTime * s, GstClockTime * e)
{
  guint64 a, b, len;
  guint i, n;

  if (sscanf (shard, "%u/%u", &i, &n) != 2 || n == 0 || i >= n) {
    g_printerr ("kvam-export: --shard %s: expected I/N with 0 <= I < N\n",
        shard);
    return FALSE;
  }
  a = *s / GST_MSECOND;
  len = *e / GST_MSECOND - a + 1;
  b = a + len * (i + 1) / n - 1;
  a = a + len * i / n;
  *s = a * GST_MSECOND;
  *e = b * GST_MSECOND;
  return TRUE;
}

/* epoch ns as epoch seconds with milliseconds, for kvamsrc */
static gchar *
epoch_text (GstClockTime t)
{
  guint64 ms = t / GST_MSECOND;

  return g_strdup_printf ("%" G_GUINT64_FORMAT ".%03u", ms / 1000,
      (guint) (ms % 1000));
}

/* ---- the pipeline ------------------------------------------------------ */

static gboolean output_is_mp4 (void);

/* The first datetime tag (kvamsrc's DateUTC, read by matroskademux; the
 * muxer takes tag events, so no sink posts them on the bus). */
static GstPadProbeReturn
on_demuxed_event (GstPad * pad, GstPadProbeInfo * info, Export * ex)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstTagList *tags = NULL;
  GstDateTime *dt = NULL;

  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  gst_event_parse_tag (event, &tags);
  if (!gst_tag_list_get_date_time (tags, GST_TAG_DATE_TIME, &dt))
    return GST_PAD_PROBE_OK;
  if (!g_atomic_pointer_compare_and_exchange (&ex->recorded, NULL, dt)) {
    gst_date_time_unref (dt);
  } else if (!output_is_mp4 ()) {
    /* before any buffer, so before matroskamux writes its header; else
     * its DateUTC would be the mux time */
    g_autoptr (GDateTime) when = gst_date_time_to_g_date_time (dt);
    if (when)
      g_object_set (ex->mux, "creation-time", when, NULL);
  }
  return GST_PAD_PROBE_OK;
}

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
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      (GstPadProbeCallback) on_demuxed_event, ex, NULL);
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
output_is_mp4 (void)
{
  g_autofree gchar *lower = g_ascii_strdown (opt_output, -1);

  return g_str_has_suffix (lower, ".mp4");
}

static gboolean
build_pipeline (Export * ex, const gchar * start, const gchar * end)
{
  const gchar *mux = output_is_mp4 ()? "mp4mux" : "matroskamux";
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
  g_object_set (sink, "location", ex->part, NULL);
  gst_bin_add_many (GST_BIN (ex->pipeline), ex->src, demux, ex->mux, sink,
      NULL);
  gst_element_link (ex->src, demux);
  gst_element_link (ex->mux, sink);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), ex);
  return TRUE;
}

/* ---- progress, signals, the bus ---------------------------------------- */

/* Progress by media time over the range (known from the start), so that
 * percent and ETA are right from the first line; fragments as counted. */
static void
report (Export * ex, gboolean last)
{
  GstStructure *st = NULL;
  guint delivered = 0;
  guint64 bytes = 0, at = 0;
  gdouble secs = (g_get_monotonic_time () - ex->started) / 1e6;
  gdouble rate, done = 0, eta = -1;
  GstClockTime span = ex->range_end - ex->range_start;

  g_object_get (ex->src, "stats", &st, NULL);
  gst_structure_get_uint (st, "fragments-delivered", &delivered);
  gst_structure_get_uint64 (st, "bytes", &bytes);
  gst_structure_get_uint64 (st, "current-producer-time", &at);
  gst_structure_free (st);
  rate = secs > 0 ? bytes / secs / 1e6 : 0;
  if (at > ex->range_start && span > 0)
    done = MIN (1.0, (gdouble) (at - ex->range_start) / span);
  if (last && ex->status == 0 && !ex->interrupted)
    done = 1.0;
  if (done > 0 && done < 1)
    eta = secs * (1 - done) / done;
  fprintf (stderr, "%s%.0f%% of the range, %u fragments, %.1f MB, "
      "%.1f MB/s", ex->tty ? "\r" : "", 100 * done, delivered, bytes / 1e6,
      rate);
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

/* The first SIGINT or SIGTERM: EOS, so that the muxer writes a playable
 * file; a second: quit at once. */
static gboolean
interrupt (Export * ex, gint signum)
{
  if (ex->interrupted) {
    ex->status = 1;
    g_main_loop_quit (ex->loop);
    return G_SOURCE_REMOVE;
  }
  ex->interrupted = signum;
  g_printerr ("\nkvam-export: interrupted, finishing %s (again to stop at "
      "once)\n", opt_output);
  gst_element_send_event (ex->pipeline, gst_event_new_eos ());
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (Export * ex)
{
  return interrupt (ex, SIGINT);
}

static gboolean
on_sigterm (Export * ex)
{
  return interrupt (ex, SIGTERM);
}

/* kvamsrc's "no fragments" error after the stream was listed: the range
 * is a recording gap, not a failure (a stream not found is never listed) */
static gboolean
is_empty_range (Export * ex, const GError * err)
{
  GstStructure *st = NULL;
  guint listed = 0, lists = 0;

  if (!g_error_matches (err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND))
    return FALSE;
  g_object_get (ex->src, "stats", &st, NULL);
  gst_structure_get_uint (st, "fragments-listed", &listed);
  gst_structure_get_uint (st, "requests-list-fragments", &lists);
  gst_structure_free (st);
  return listed == 0 && lists > 0;
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
      ex->empty = opt_shard && is_empty_range (ex, err);
      g_printerr ("%skvam-export: %s%s\n", ex->tty ? "\n" : "",
          ex->empty ? "nothing to export: " : "", err->message);
      ex->status = ex->empty ? 0 : 1;
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

/* What is missing or wrong in the arguments, or NULL. */
static gchar *
usage_problem (void)
{
  g_autoptr (GString) missing = g_string_new (NULL);

  if (!opt_stream)
    g_string_append (missing, " --stream");
  if (!opt_start)
    g_string_append (missing, " --start");
  if (!opt_end)
    g_string_append (missing, " --end");
  if (!opt_output)
    g_string_append (missing, " -o FILE");
  if (missing->len)
    return g_strdup_printf ("missing%s (--help for more)", missing->str);
  if (!output_is_mp4 () && !g_str_has_suffix (opt_output, ".mkv") &&
      !g_str_has_suffix (opt_output, ".MKV"))
    return g_strdup_printf ("-o %s: the output must end in .mp4 or .mkv",
        opt_output);
  return NULL;
}

/* FILE.part into FILE: the name is taken by whole files only. */
static void
finish_output (Export * ex)
{
  g_autoptr (GError) err = NULL;

  /* a file with the mux time is still a whole file: a warning */
  if (ex->status == 0 && !ex->empty && output_is_mp4 () && ex->recorded &&
      !kvam_mp4_set_creation_time (ex->part, ex->recorded, &err))
    g_printerr ("kvam-export: warning: the recording time is not in the "
        "file: %s\n", err->message);
  if (ex->status == 0 && !ex->empty && g_rename (ex->part, opt_output) != 0) {
    g_printerr ("kvam-export: could not rename %s to %s: %s\n", ex->part,
        opt_output, g_strerror (errno));
    ex->status = 1;
  }
  if (ex->status != 0 || ex->empty)
    g_unlink (ex->part);
}

static void
run (Export * ex, GstBus * bus)
{
  gst_bus_add_watch (bus, (GstBusFunc) on_message, ex);
  g_unix_signal_add (SIGINT, (GSourceFunc) on_sigint, ex);
  g_unix_signal_add (SIGTERM, (GSourceFunc) on_sigterm, ex);
  g_timeout_add (500, (GSourceFunc) on_tick, ex);
  ex->started = ex->last_report = g_get_monotonic_time ();
  if (gst_element_set_state (ex->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* kvamsrc posted why (bad settings, no credentials) */
    GstMessage *m = gst_bus_timed_pop_filtered (bus, GST_SECOND,
        GST_MESSAGE_ERROR);
    if (m) {
      on_message (bus, m, ex);
      gst_message_unref (m);
    }
    ex->status = 1;
  } else {
    g_main_loop_run (ex->loop);
  }
  if (ex->status == 0 && !ex->empty)
    report (ex, TRUE);
  gst_element_set_state (ex->pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- export a time "
      "range of a Kinesis Video stream to MP4 or Matroska");
  g_autofree gchar *start = NULL, *end = NULL, *problem = NULL;
  g_autofree gchar *from = NULL, *to = NULL;
  Export ex = { 0 };
  GError *err = NULL;
  GstBus *bus;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("kvam-export: %s\n", err->message);
    return EXIT_USAGE;
  }
  if (opt_version) {
    g_print ("kvam-export (kvamsrc) %s\n", VERSION);
    return 0;
  }
  if ((problem = usage_problem ())) {
    g_printerr ("kvam-export: %s\n", problem);
    return EXIT_USAGE;
  }
  if (!resolve_range (opt_start, opt_end, &ex.range_start, &ex.range_end) ||
      (opt_shard && !shard_range (opt_shard, &ex.range_start, &ex.range_end)))
    return EXIT_USAGE;
  /* a whole range goes to kvamsrc as written; a shard as its part */
  start = opt_shard ? epoch_text (ex.range_start) : g_strdup (opt_start);
  end = opt_shard ? epoch_text (ex.range_end) : g_strdup (opt_end);
  ex.part = g_strconcat (opt_output, ".part", NULL);
  if (!build_pipeline (&ex, start, end))
    return 1;
  from = kvam_time_to_iso8601 (ex.range_start);
  to = kvam_time_to_iso8601 (ex.range_end);
  if (opt_shard)
    g_printerr ("kvam-export: shard %s: %s to %s\n", opt_shard, from, to);

  ex.tty = isatty (fileno (stderr));
  ex.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (ex.pipeline);
  run (&ex, bus);
  finish_output (&ex);
  gst_object_unref (bus);
  gst_object_unref (ex.pipeline);
  g_main_loop_unref (ex.loop);
  g_free (ex.part);
  g_clear_pointer (&ex.recorded, gst_date_time_unref);
  if (ex.empty) {
    g_printerr ("kvam-export: shard %s holds no fragment (%s to %s): no "
        "file written\n", opt_shard, from, to);
    return 0;
  }
  if (ex.status != 0)
    return ex.status;
  g_printerr ("kvam-export: wrote %s%s\n", opt_output, ex.interrupted ?
      " (interrupted: up to where it stopped)" : "");
  return ex.interrupted ? 128 + ex.interrupted : 0;
}
