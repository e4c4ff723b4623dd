/* kvs-emulator: command line
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemulator.h"
#include "kvamtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib-unix.h>
#include <gst/gst.h>

static gint port = 0;
static gchar *listen_address = NULL;
static gchar *access_key = NULL, *secret_key = NULL, *session_token = NULL;
static gchar *region = NULL;
static gchar **synthetic = NULL, **captures = NULL, **matroska = NULL;
static gchar *start_time = NULL;
static gchar *tag_style = NULL;
static gchar *tls_cert = NULL, *tls_key = NULL;
static gboolean no_rate_limit = FALSE, ordered = FALSE;
static gchar *bandwidth = NULL;
static gint chunk_size = 0;
static gboolean gather_chunks = FALSE;
static gint latency = 0, throttle_every = 0, fail_every = 0;
static gint malformed_every = 0;
static gint clock_offset = 0;
static gint stale_endpoints = 0;
static gint cut_every = 0;
static gchar **cuts = NULL, **stalls = NULL, **fragment_errors = NULL;
static gchar *request_log = NULL;
static gboolean live = FALSE;
static gchar *late_list = NULL;
static gint short_pages = -1;
static gchar **truncations = NULL;
static gchar **pauses = NULL;
static gint sts_duration = 0;
static gchar **sso_tokens = NULL;
static gchar **sso_refresh_tokens = NULL;

static GOptionEntry entries[] = {
  {"port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Port to listen on; 0 picks one, printed as 'PORT <n>' (default 0)", "N"},
  {"listen", 0, 0, G_OPTION_ARG_STRING, &listen_address,
      "Address to bind (default 127.0.0.1)", "ADDR"},
  {"access-key", 0, 0, G_OPTION_ARG_STRING, &access_key,
        "Access key ID accepted (default " KVS_EMULATOR_DEFAULT_ACCESS_KEY ")",
      "ID"},
  {"secret-key", 0, 0, G_OPTION_ARG_STRING, &secret_key,
        "Secret key accepted (default: the AWS documentation's example key)",
      "KEY"},
  {"session-token", 0, 0, G_OPTION_ARG_STRING, &session_token,
      "Session token required with the key (default: none)", "TOKEN"},
  {"region", 0, 0, G_OPTION_ARG_STRING, &region,
      "Region requests must be signed for (default "
        KVS_EMULATOR_DEFAULT_REGION ")", "REGION"},
  {"synthetic", 0, 0, G_OPTION_ARG_STRING_ARRAY, &synthetic,
        "Stream of COUNT generated fragments of SECONDS (default 2) at WxH "
        "(default 320x240), with AAC sound when ':av' ends it (':av-overlap': "
        "each fragment's sound begins with the last 64 ms of the one before); "
        "repeat a NAME " "to append (a resolution change)",
      "NAME:COUNT[:SECONDS[:WxH]][:av|:av-overlap]"},
  {"capture", 0, 0, G_OPTION_ARG_STRING_ARRAY, &captures,
        "Stream from a GetMedia capture file, split into its fragments",
      "NAME:FILE"},
  {"matroska", 0, 0, G_OPTION_ARG_STRING_ARRAY, &matroska,
        "Stream from any Matroska file, cut at keyframes into fragments of "
        "about SECONDS (default 2)",
      "NAME:FILE[:SECONDS]"},
  {"start-time", 0, 0, G_OPTION_ARG_STRING, &start_time,
        "Producer time of the first fragment of --synthetic/--matroska "
        "streams, ISO 8601 or epoch seconds (default: so the stream ends now; "
        "with --live, now)",
      "TIME"},
  {"tag-names", 0, 0, G_OPTION_ARG_STRING, &tag_style,
        "'real' (AWS_KINESISVIDEO_SERVER_TIMESTAMP, _ERROR_CODE; default) or "
        "'documented' (_SERVER_SIDE_TIMESTAMP, _EXCEPTION_ERROR_CODE)",
      "STYLE"},
  {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      "Serve HTTPS with this PEM certificate", "FILE"},
  {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "PEM private key for --tls-cert (default: in the certificate file)",
      "FILE"},
  {"no-rate-limit", 0, 0, G_OPTION_ARG_NONE, &no_rate_limit,
      "Turn off the 5 calls/second per stream and API limit", NULL},
  {"bandwidth", 0, 0, G_OPTION_ARG_STRING, &bandwidth,
        "Cap each media response at BYTES per second; 'aws' is 25 MB/s "
        "(default: no cap)",
      "BYTES|aws"},
  {"chunk-size", 0, 0, G_OPTION_ARG_INT, &chunk_size,
      "Send media bodies in HTTP chunks of BYTES (default: 65536)", "BYTES"},
  {"gather-chunks", 0, 0, G_OPTION_ARG_NONE, &gather_chunks,
      "Send each chunk of an uncapped, fault-free media body in one write "
        "and close the connection after it (default: libsoup's three writes "
        "a chunk, kept alive)", NULL},
  {"latency", 0, 0, G_OPTION_ARG_INT, &latency,
      "Delay every request by MS milliseconds", "MS"},
  {"throttle-every", 0, 0, G_OPTION_ARG_INT, &throttle_every,
      "Answer every Nth call with ClientLimitExceededException", "N"},
  {"fail-every", 0, 0, G_OPTION_ARG_INT, &fail_every,
      "Answer every Nth call with HTTP 500 InternalFailure", "N"},
  {"malformed-json-every", 0, 0, G_OPTION_ARG_INT, &malformed_every,
      "Cut every Nth JSON response body in half", "N"},
  {"clock-offset", 0, 0, G_OPTION_ARG_INT, &clock_offset,
        "Run the service's clock (and its Date headers) SECONDS ahead "
        "(negative: behind), so clients see clock-skew errors",
      "SECONDS"},
  {"stale-endpoints", 0, 0, G_OPTION_ARG_INT, &stale_endpoints,
        "Answer the first N GetDataEndpoint calls with a port where nothing "
        "listens",
      "N"},
  {"cut", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cuts,
        "Close the connection of the Nth GetMediaForFragmentList response "
        "after BYTES of body",
      "N:BYTES"},
  {"cut-every", 0, 0, G_OPTION_ARG_INT, &cut_every,
        "Close every Nth GetMediaForFragmentList response at a random byte "
        "of its first 256 KiB",
      "N"},
  {"stall", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stalls,
        "Stop sending the Nth GetMediaForFragmentList response after BYTES, "
        "keeping the connection open",
      "N:BYTES"},
  {"fragment-error", 0, 0, G_OPTION_ARG_STRING_ARRAY, &fragment_errors,
        "Return fragment INDEX (0-based) of NAME as an in-band error TIMES "
        "times (CODE default FRAGMENT_NOT_FOUND)",
      "NAME:INDEX:TIMES[:CODE]"},
  {"live", 0, 0, G_OPTION_ARG_NONE, &live,
        "Grow the streams: a fragment is listed and served only once its "
        "server time has passed, so a stream runs from --start-time (which "
        "may lie in the past) into the future",
      NULL},
  {"pause", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pauses,
        "Pause ingestion of NAME for SECONDS before its fragment INDEX "
        "(0-based): a gap in its timeline",
      "NAME:INDEX:SECONDS"},
  {"late-list", 0, 0, G_OPTION_ARG_STRING, &late_list,
        "List every Nth fragment MS milliseconds after its server time, "
        "after the ones that follow it (the service's eventual consistency)",
      "N:MS"},
  {"short-pages", 0, 0, G_OPTION_ARG_INT, &short_pages,
        "Answer ListFragments pages of a random 0 to N entries (at most "
        "MaxResults; empty ones with a NextToken too), as the API allows; 0: "
        "full pages (default: $KVS_EMULATOR_SHORT_PAGES, else 0)",
      "N"},
  {"truncate", 0, 0, G_OPTION_ARG_STRING_ARRAY, &truncations,
        "Store fragment INDEX (0-based) of NAME cut after FRACTION (0-1) of "
        "its document, listed with the size it kept, or with its whole size "
        "when ':listed-whole' ends it (the next document follows at once)",
      "NAME:INDEX:FRACTION[:listed-whole]"},
  {"ordered", 0, 0, G_OPTION_ARG_NONE, &ordered,
      "List fragments in order (debugging; the service does not)", NULL},
  {"sts-duration", 0, 0, G_OPTION_ARG_INT, &sts_duration,
      "Keys issued by AssumeRole, AssumeRoleWithWebIdentity and the SSO "
        "portal expire after SECONDS (default: as asked, 1 h)", "SECONDS"},
  {"sso-token", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sso_tokens,
      "A bearer token the SSO portal accepts (repeatable)", "TOKEN"},
  {"sso-refresh-token", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sso_refresh_tokens,
      "A refresh token SSO OIDC's CreateToken (POST /token) accepts once "
        "(repeatable)", "TOKEN"},
  {"request-log", 0, 0, G_OPTION_ARG_FILENAME, &request_log,
      "Write a JSON line per request to FILE (emptied at start)", "FILE"},
  {NULL}
};

static gboolean
add_streams (KvsEmulator * emu, GError ** error)
{
  guint i;

  for (i = 0; synthetic && synthetic[i]; i++) {
    g_auto (GStrv) f = g_strsplit (synthetic[i], ":", 5);
    guint w = 320, h = 240, n = g_strv_length (f);
    KvsSyntheticFlags flags = 0;
    if (n > 2 && (g_str_equal (f[n - 1], "av") ||
            g_str_equal (f[n - 1], "av-overlap"))) {
      flags |= KVS_SYNTHETIC_AUDIO;
      if (g_str_equal (f[n - 1], "av-overlap"))
        flags |= KVS_SYNTHETIC_AUDIO_OVERLAP;
      g_clear_pointer (&f[--n], g_free);
    }
    if (n < 2 || n > 4) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--synthetic %s: expected NAME:COUNT[:SECONDS[:WxH]][:av|:av-overlap]",
          synthetic[i]);
      return FALSE;
    }
    if (n == 4 && sscanf (f[3], "%ux%u", &w, &h) != 2) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--synthetic %s: size must be WxH", synthetic[i]);
      return FALSE;
    }
    if (!kvs_emulator_add_synthetic_full (emu, f[0], atoi (f[1]),
            n > 2 ? atoi (f[2]) : 2, w, h, flags, error))
      return FALSE;
  }
  for (i = 0; captures && captures[i]; i++) {
    g_auto (GStrv) f = g_strsplit (captures[i], ":", 2);
    if (g_strv_length (f) != 2 ||
        !kvs_emulator_add_capture (emu, f[0], f[1], error)) {
      if (error && !*error)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "--capture %s: expected NAME:FILE", captures[i]);
      return FALSE;
    }
  }
  for (i = 0; matroska && matroska[i]; i++) {
    g_auto (GStrv) f = g_strsplit (matroska[i], ":", 3);
    if (g_strv_length (f) < 2 || !kvs_emulator_add_matroska (emu, f[0], f[1],
            f[2] ? atoi (f[2]) : 2, error)) {
      if (error && !*error)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "--matroska %s: expected NAME:FILE[:SECONDS]", matroska[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* --cut and --stall: N:BYTES each */
static gboolean
add_cuts (KvsEmulator * emu, gchar ** specs, const gchar * option,
    void (*add) (KvsEmulator *, guint, guint64), GError ** error)
{
  guint i;

  for (i = 0; specs && specs[i]; i++) {
    guint n;
    guint64 b;
    if (sscanf (specs[i], "%u:%" G_GUINT64_FORMAT, &n, &b) != 2) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "%s %s: expected N:BYTES", option, specs[i]);
      return FALSE;
    }
    add (emu, n, b);
  }
  return TRUE;
}

/* --live, --pause, --late-list */
static gboolean
apply_live (KvsEmulator * emu, GError ** error)
{
  guint i, every, ms;

  kvs_emulator_set_live (emu, live);
  if (late_list) {
    if (sscanf (late_list, "%u:%u", &every, &ms) != 2) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--late-list %s: expected N:MS", late_list);
      return FALSE;
    }
    kvs_emulator_set_late_listing (emu, every, ms);
  }
  for (i = 0; pauses && pauses[i]; i++) {
    g_auto (GStrv) f = g_strsplit (pauses[i], ":", 3);
    if (g_strv_length (f) != 3 || !kvs_emulator_add_pause (emu, f[0],
            atoi (f[1]), atoi (f[2]))) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--pause %s: expected NAME:INDEX:SECONDS of a stream's fragment",
          pauses[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
apply_faults (KvsEmulator * emu, GError ** error)
{
  guint i;

  kvs_emulator_set_rate_limit (emu, !no_rate_limit);
  kvs_emulator_set_ordered (emu, ordered);
  kvs_emulator_set_sts_duration (emu, MAX (sts_duration, 0));
  for (i = 0; sso_tokens && sso_tokens[i]; i++)
    kvs_emulator_add_sso_token (emu, sso_tokens[i]);
  for (i = 0; sso_refresh_tokens && sso_refresh_tokens[i]; i++)
    kvs_emulator_add_sso_refresh_token (emu, sso_refresh_tokens[i]);
  kvs_emulator_set_latency (emu, MAX (latency, 0));
  kvs_emulator_set_throttle_every (emu, MAX (throttle_every, 0));
  kvs_emulator_set_fail_every (emu, MAX (fail_every, 0));
  kvs_emulator_set_malformed_json_every (emu, MAX (malformed_every, 0));
  kvs_emulator_set_clock_offset (emu, clock_offset);
  kvs_emulator_set_stale_endpoints (emu, MAX (stale_endpoints, 0));
  kvs_emulator_set_cut_every (emu, MAX (cut_every, 0));
  kvs_emulator_set_chunk_size (emu, CLAMP (chunk_size, 0, 64 << 20));
  kvs_emulator_set_gather_chunks (emu, gather_chunks);
  if (bandwidth)
    kvs_emulator_set_bandwidth (emu, g_str_equal (bandwidth, "aws") ?
        25 * 1000 * 1000 : g_ascii_strtoull (bandwidth, NULL, 10));
  if (!add_cuts (emu, cuts, "--cut", kvs_emulator_add_cut, error) ||
      !add_cuts (emu, stalls, "--stall", kvs_emulator_add_stall, error))
    return FALSE;
  if (short_pages >= 0)
    kvs_emulator_set_short_pages (emu, short_pages);
  for (i = 0; truncations && truncations[i]; i++) {
    g_auto (GStrv) f = g_strsplit (truncations[i], ":", 4);
    guint n = g_strv_length (f);
    if (n < 3 || (n == 4 && !g_str_equal (f[3], "listed-whole"))) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--truncate %s: expected NAME:INDEX:FRACTION[:listed-whole]",
          truncations[i]);
      return FALSE;
    }
    kvs_emulator_truncate_fragment_at (emu, f[0], atoi (f[1]),
        g_ascii_strtod (f[2], NULL), n == 4);
  }
  for (i = 0; fragment_errors && fragment_errors[i]; i++) {
    g_auto (GStrv) f = g_strsplit (fragment_errors[i], ":", 4);
    if (g_strv_length (f) < 3) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--fragment-error %s: expected NAME:INDEX:TIMES[:CODE]",
          fragment_errors[i]);
      return FALSE;
    }
    kvs_emulator_add_fragment_error (emu, f[0], atoi (f[1]), atoi (f[2]), f[3]);
  }
  return TRUE;
}

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- a local Kinesis "
      "Video Streams archived-media service");
  g_autoptr (KvsEmulator) emu = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  GError *err = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    goto fail;

  emu = kvs_emulator_new ();
  if (region)
    kvs_emulator_set_region (emu, region);
  if (access_key || secret_key || session_token)
    kvs_emulator_add_credentials (emu,
        access_key ? access_key : KVS_EMULATOR_DEFAULT_ACCESS_KEY,
        secret_key ? secret_key : KVS_EMULATOR_DEFAULT_SECRET_KEY,
        session_token);
  if (tag_style && !g_str_equal (tag_style, "real") &&
      !g_str_equal (tag_style, "documented")) {
    g_set_error (&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--tag-names must be 'real' or 'documented'");
    goto fail;
  }
  kvs_emulator_set_tag_style (emu, g_strcmp0 (tag_style, "documented") ?
      KVS_TAGS_REAL : KVS_TAGS_DOCUMENTED);
  if (start_time) {
    GstClockTime t;
    if (!kvam_time_parse (start_time, &t)) {
      g_set_error (&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
          "--start-time %s: expected ISO 8601 or epoch seconds", start_time);
      goto fail;
    }
    kvs_emulator_set_stream_start (emu, t / GST_MSECOND);
  }
  if (request_log)
    kvs_emulator_set_log_file (emu, request_log);
  /* live first: it moves where the streams start */
  kvs_emulator_set_live (emu, live);
  if (!add_streams (emu, &err) || !apply_live (emu, &err) ||
      !apply_faults (emu, &err))
    goto fail;
  if (port < 0 || port > 65535) {
    g_set_error (&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--port must be 0 to 65535");
    goto fail;
  }
  if (!kvs_emulator_start (emu, listen_address, port, tls_cert, tls_key, &err))
    goto fail;

  g_print ("PORT %u\n", kvs_emulator_get_port (emu));
  fflush (stdout);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  return 0;

fail:
  g_printerr ("kvs-emulator: %s\n", err->message);
  g_error_free (err);
  return 1;
}
