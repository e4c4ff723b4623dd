/* kvamsrc: credentials from a profile's credential_process
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the command as the AWS CLI does: split into words, no shell (one
 * only when the value uses pipes, redirections or variables), and reads
 * its JSON from stdout. Bounded in time and size; cancellable. A failure
 * says the exit status and stderr's last line, never stdout (it would hold
 * the keys). The command runs in a process group of its own: a timeout or
 * a cancel kills the group, so a shell's children die with it and the
 * wait ends at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamawserror.h"
#include "kvamcredentialspriv.h"
#include "kvamsecret.h"
#include "kvamjson.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

#define MAX_OUTPUT (64 * 1024)
#define MIN_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define MAX_STDERR_LINE 200

typedef struct
{
  GSubprocess *proc;
  pid_t group;                  /* the command's process group */
  gint exited;                  /* atomic: reaped, @group may be reused */
  GCancellable *cancel;         /* ours: timeout, too much output, unlock() */
  gint pending;                 /* reads and the wait not finished */
  gboolean timed_out;
  gboolean too_big;
} Run;

typedef struct
{
  Run *run;
  GInputStream *in;
  GByteArray *buf;
} Reader;

static void read_next (Reader * r);

/* From any thread (a cancel comes from unlock()'s). */
static void
stop_process (Run * run)
{
  g_cancellable_cancel (run->cancel);
  if (run->group > 0 && !g_atomic_int_get (&run->exited))
    kill (-run->group, SIGKILL);
}

static void
read_done (GObject * src, GAsyncResult * res, gpointer data)
{
  Reader *r = data;
  g_autoptr (GBytes) b = g_input_stream_read_bytes_finish (r->in, res, NULL);

  if (!b || g_bytes_get_size (b) == 0) {
    r->run->pending--;
    g_free (r);
    return;
  }
  g_byte_array_append (r->buf, g_bytes_get_data (b, NULL),
      g_bytes_get_size (b));
  if (r->buf->len > MAX_OUTPUT) {
    r->run->too_big = TRUE;
    stop_process (r->run);
    r->run->pending--;
    g_free (r);
    return;
  }
  read_next (r);
}

static void
read_next (Reader * r)
{
  g_input_stream_read_bytes_async (r->in, 16384, G_PRIORITY_DEFAULT,
      r->run->cancel, read_done, r);
}

static void
start_reading (Run * run, GInputStream * in, GByteArray * buf)
{
  Reader *r = g_new0 (Reader, 1);

  r->run = run;
  r->in = in;
  r->buf = buf;
  run->pending++;
  read_next (r);
}

static void
wait_done (GObject * src, GAsyncResult * res, gpointer data)
{
  Run *run = data;

  g_subprocess_wait_finish (G_SUBPROCESS (src), res, NULL);
  /* a killed leader may leave its group: children holding the pipes */
  if (g_cancellable_is_cancelled (run->cancel) && run->group > 0)
    kill (-run->group, SIGKILL);
  g_atomic_int_set (&run->exited, 1);
  run->pending--;
}

static gboolean
timed_out (gpointer data)
{
  Run *run = data;

  run->timed_out = TRUE;
  stop_process (run);
  return G_SOURCE_REMOVE;
}

static void
cancelled (GCancellable * c, Run * run)
{
  stop_process (run);
}

/* Runs @proc to its end on a main context of this thread's own. */
static void
collect (KvamCredsContext * ctx, Run * run, GByteArray * out, GByteArray * err)
{
  GMainContext *mc = g_main_context_new ();
  GSource *timer = g_timeout_source_new (MAX (ctx->timeout_us,
          MIN_TIMEOUT_US) / 1000);
  gulong handler = 0;

  g_main_context_push_thread_default (mc);
  g_source_set_callback (timer, timed_out, run, NULL);
  g_source_attach (timer, mc);
  if (ctx->cancellable)
    handler = g_cancellable_connect (ctx->cancellable, G_CALLBACK (cancelled),
        run, NULL);
  start_reading (run, g_subprocess_get_stdout_pipe (run->proc), out);
  start_reading (run, g_subprocess_get_stderr_pipe (run->proc), err);
  run->pending++;
  g_subprocess_wait_async (run->proc, NULL, wait_done, run);
  while (run->pending > 0)
    g_main_context_iteration (mc, TRUE);
  if (handler)
    g_cancellable_disconnect (ctx->cancellable, handler);
  g_source_destroy (timer);
  g_source_unref (timer);
  g_main_context_pop_thread_default (mc);
  g_main_context_unref (mc);
}

static void
own_group (gpointer data)
{
  setpgid (0, 0);
}

static GSubprocess *
spawn (gchar ** argv, GError ** error)
{
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new
      (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

  g_subprocess_launcher_set_child_setup (l, own_group, NULL, NULL);
  return g_subprocess_launcher_spawnv (l, (const gchar * const *) argv, error);
}

static gchar **
command_argv (const gchar * command, GError ** error)
{
  gchar **argv = NULL;

  if (strpbrk (command, "|&;<>()$`\n")) {
    argv = g_new0 (gchar *, 4);
    argv[0] = g_strdup ("/bin/sh");
    argv[1] = g_strdup ("-c");
    argv[2] = g_strdup (command);
    return argv;
  }
  if (!g_shell_parse_argv (command, NULL, &argv, error))
    return NULL;
  return argv;
}

static gchar *
last_line (GByteArray * err)
{
  g_autofree gchar *text = err->len ? g_strndup ((const gchar *) err->data,
      err->len) : g_strdup ("");
  g_auto (GStrv) lines = g_strsplit (g_strstrip (text), "\n", -1);
  guint n = g_strv_length (lines);
  gchar *line;

  if (n == 0 || !*lines[n - 1])
    return g_strdup ("(nothing on stderr)");
  line = g_utf8_make_valid (g_strstrip (lines[n - 1]), -1);
  if (g_utf8_strlen (line, -1) > MAX_STDERR_LINE)
    *g_utf8_offset_to_pointer (line, MAX_STDERR_LINE) = '\0';
  return line;
}

/* What stdout held, word by word: the keys, printed even by a command
 * that then failed, may be echoed on stderr. Words of 8 characters or
 * more (an AccessKeyId has 20, a secret 40). */
static GPtrArray *
printed_words (GByteArray * out)
{
  g_autofree gchar *text = out->len ? g_strndup ((const gchar *) out->data,
      out->len) : g_strdup ("");
  g_auto (GStrv) words = g_strsplit_set (text, " \t\r\n\"',:;{}[]=", -1);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify)
      kvam_secret_free);
  guint i;

  for (i = 0; words[i]; i++)
    if (strlen (words[i]) >= 8)
      g_ptr_array_add (found, g_strdup (words[i]));
  kvam_secret_wipe (text);
  for (i = 0; words[i]; i++)
    kvam_secret_wipe (words[i]);
  return found;
}

/* stderr's last line, without a secret known or printed on stdout */
static gchar *
scrubbed_line (KvamCredsContext * ctx, GByteArray * err, GByteArray * out)
{
  g_autofree gchar *line = last_line (err);
  g_autoptr (GPtrArray) printed = printed_words (out);
  guint i;
  gchar *clean;

  for (i = 0; ctx->secrets && ctx->secrets[i]; i++)
    g_ptr_array_add (printed, g_strdup (ctx->secrets[i]));
  g_ptr_array_add (printed, NULL);
  clean = kvam_scrub_secrets (line, (const gchar * const *) printed->pdata);
  kvam_secret_wipe (line);
  return clean;
}

KvamCredentials *
kvam_process_read_output (const guint8 * data, gsize size,
    const gchar * source, GError ** error)
{
  g_autoptr (JsonNode) root = kvam_json_parse_object ((const gchar *) data,
      size, NULL);
  JsonObject *o = root ? json_node_get_object (root) : NULL;
  const gchar *id = NULL, *secret = NULL, *token = NULL, *expiration = NULL;
  gint64 expires_at = 0;

  if (o) {
    id = kvam_json_get_string (o, "AccessKeyId");
    secret = kvam_json_get_string (o, "SecretAccessKey");
    token = kvam_json_get_string (o, "SessionToken");
    expiration = kvam_json_get_string (o, "Expiration");
  }
  /* what was printed is never quoted: it is the keys */
  if (!o || kvam_json_get_int (o, "Version", 0) != 1) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s printed no JSON object with "
        "\"Version\": 1", source);
    return NULL;
  }
  if (!id || !*id || !secret || !*secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s printed no AccessKeyId or "
        "SecretAccessKey", source);
    return NULL;
  }
  if (expiration && !kvam_time_parse_iso8601 (expiration, &expires_at)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s: Expiration is not an ISO 8601 "
        "time", source);
    return NULL;
  }
  return kvam_credentials_new (id, secret, token, expires_at, source);
}

static gboolean
check_exit (KvamCredsContext * ctx, Run * run, GByteArray * err,
    GByteArray * out, const gchar * source, GError ** error)
{
  g_autofree gchar *line = NULL;

  if (run->timed_out || run->too_big) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s %s", source, run->timed_out ? "did not finish in time" :
        "printed more than 64 KiB");
    return FALSE;
  }
  if (g_cancellable_is_cancelled (run->cancel)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    return FALSE;
  }
  if (g_subprocess_get_if_exited (run->proc) &&
      g_subprocess_get_exit_status (run->proc) == 0)
    return TRUE;
  line = scrubbed_line (ctx, err, out);
  if (g_subprocess_get_if_exited (run->proc))
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s exited with status %d: %s", source,
        g_subprocess_get_exit_status (run->proc), line);
  else
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s was killed by signal %d: %s", source,
        g_subprocess_get_term_sig (run->proc), line);
  return FALSE;
}

KvamCredentials *
kvam_creds_from_process (KvamCredsContext * ctx, const gchar * command,
    const gchar * profile, GError ** error)
{
  g_autofree gchar *source = g_strdup_printf ("profile %s "
      "(credential_process)", profile);
  g_auto (GStrv) argv = NULL;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) err = g_byte_array_new ();
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Run run = { NULL, 0, 0, cancel, 0, FALSE, FALSE };
  KvamCredentials *creds = NULL;
  const gchar *id;
  GError *e = NULL;

  argv = command_argv (command, &e);
  if (argv)
    run.proc = spawn (argv, &e);
  if (!run.proc) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR, KVAM_CREDENTIALS_ERROR_FETCH,
        "%s could not run: %s", source, e->message);
    g_error_free (e);
    return NULL;
  }
  /* NULL once it has exited (and been reaped) already: nothing to kill */
  id = g_subprocess_get_identifier (run.proc);
  run.group = id ? atoi (id) : 0;
  GST_DEBUG ("%s: running %s", source, argv[0]);
  collect (ctx, &run, out, err);
  if (check_exit (ctx, &run, err, out, source, error))
    creds = kvam_process_read_output (out->data, out->len, source, error);
  if (out->len)                 /* the keys it printed */
    memset (out->data, 0, out->len);
  g_object_unref (run.proc);
  return creds;
}
