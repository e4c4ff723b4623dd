/* kvamsrc: transport properties: ssl-ca-file, ssl-strict, AWS_CA_BUNDLE,
 * proxy (through a CONNECT proxy written here), user-agent; against
 * kvs-emulator over HTTPS with a certificate made for the test
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"
#include "kvamtransport.h"
#include "kvsemulator.h"

#define PROXY_USER "kvam-user"
#define PROXY_PASS "proxy-pass-s3cret"

static gchar *dir, *cert, *key;
static KvsEmulator *emu;
static gchar *url;

static const gchar *const range[] = { "stream-name", "cam", "start-time",
  "1764000000", "end-time", "1764000010", "retry-attempts", "3", NULL
};

/* A certificate for 127.0.0.1, its own issuer; FALSE (reason printed)
 * when openssl(1) cannot make one. */
static gboolean
make_certificate (void)
{
  g_autofree gchar *cmd = NULL;
  gint status = -1;

  dir = g_dir_make_tmp ("kvam-transport-XXXXXX", NULL);
  cert = g_build_filename (dir, "cert.pem", NULL);
  key = g_build_filename (dir, "key.pem", NULL);
  cmd = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes -keyout "
      "%s -out %s -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1", key, cert);
  return g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) &&
      status == 0;
}

static void
start_emulator (gboolean tls)
{
  GError *err = NULL;

  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, 1764000000000);
  fail_unless (kvs_emulator_add_synthetic (emu, "cam", 3, 1, 64, 48, &err));
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, tls ? cert : NULL,
          tls ? key : NULL, &err), "%s", err ? err->message : "");
  url = kvs_emulator_get_url (emu);
}

static void
setup (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
  g_setenv ("AWS_CA_BUNDLE", "", TRUE);
  g_unsetenv ("AWS_SDK_UA_APP_ID");
  kvam_test_log_capture_start ();
}

static void
assert_no_secrets (const gchar * log)
{
  g_autofree gchar *basic = g_base64_encode ((const guchar *) PROXY_USER ":"
      PROXY_PASS, strlen (PROXY_USER ":" PROXY_PASS));

  fail_if (strstr (log, PROXY_PASS), "the proxy password reached the log");
  fail_if (strstr (log, basic), "the Proxy-Authorization value reached the "
      "log");
  fail_if (strstr (log, KVS_EMULATOR_DEFAULT_SECRET_KEY));
}

static void
teardown (void)
{
  g_autofree gchar *log = kvam_test_log_capture_stop ();

  assert_no_secrets (log);
  g_clear_pointer (&emu, kvs_emulator_free);
  g_clear_pointer (&url, g_free);
  if (dir) {
    g_unlink (cert);
    g_unlink (key);
    g_rmdir (dir);
  }
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&cert, g_free);
  g_clear_pointer (&key, g_free);
}

#ifdef __SANITIZE_ADDRESS__
/* as in kvamhostile: LeakSanitizer's tracer has crashed at exit with TLS
 * handshake threads about; the plain build runs these */
#define SKIP_TLS_UNDER_ASAN(name) G_STMT_START { \
  g_print ("SKIP %s under AddressSanitizer: its leak check has crashed at " \
      "exit with TLS threads running\n", name); return; } G_STMT_END
#else
#define SKIP_TLS_UNDER_ASAN(name)
#endif

#define NEED_CERTIFICATE(name) G_STMT_START { \
  SKIP_TLS_UNDER_ASAN (name); \
  if (!make_certificate ()) { \
    g_print ("SKIP %s: openssl(1) could not make a certificate\n", name); \
    return; } \
  start_emulator (TRUE); } G_STMT_END

/* props of @range, then @extra */
static KvamPlayResult *
play (const gchar * const *extra)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  guint i;

  for (i = 0; range[i]; i++)
    g_ptr_array_add (all, (gpointer) range[i]);
  for (i = 0; extra && extra[i]; i++)
    g_ptr_array_add (all, (gpointer) extra[i]);
  g_ptr_array_add (all, NULL);
  return kvam_test_play_at (url, "fakesink name=sink", FALSE, 30,
      (const gchar * const *) all->pdata, NULL, NULL);
}

static void
assert_played (KvamPlayResult * r)
{
  gchar *dbg = NULL;
  GError *e = NULL;

  if (r->error)
    gst_message_parse_error (r->error, &e, &dbg);
  fail_unless (r->eos, "no EOS: %s", e ? e->message : "timeout");
  fail_unless_equals_int (r->fragments->len, 3);
}

/* ---- TLS ----------------------------------------------------------------- */

/* How often the CA bundle was read since the log capture began (it then
 * begins again). */
static guint
count_bundle_reads (void)
{
  g_autofree gchar *log = kvam_test_log_capture_stop ();
  const gchar *p = log;
  guint n = 0;

  assert_no_secrets (log);
  while ((p = strstr (p, "reading the CA bundle"))) {
    n++;
    p++;
  }
  kvam_test_log_capture_start ();
  return n;
}

GST_START_TEST (test_untrusted_certificate_is_an_error)
{
  g_autoptr (KvamPlayResult) r = NULL;

  NEED_CERTIFICATE ("test_untrusted_certificate_is_an_error");
  r = play (NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "certificate of 127.0.0.1 is not trusted "
      "(signed by an unknown authority)");
  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "ssl-ca-file");
  /* not retried: a certificate does not become trusted by waiting */
  fail_unless (r->seconds < 2.0, "%.1f s", r->seconds);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL, "*"), 0);
}

GST_END_TEST;

GST_START_TEST (test_ssl_ca_file_trusts)
{
  const gchar *extra[] = { "ssl-ca-file", NULL, NULL };
  g_autoptr (KvamPlayResult) r = NULL;

  NEED_CERTIFICATE ("test_ssl_ca_file_trusts");
  extra[1] = cert;
  r = play (extra);
  assert_played (r);
  fail_unless_equals_int (r->warnings->len, 0);
}

GST_END_TEST;

GST_START_TEST (test_aws_ca_bundle_trusts)
{
  g_autoptr (KvamPlayResult) r = NULL;

  NEED_CERTIFICATE ("test_aws_ca_bundle_trusts");
  g_setenv ("AWS_CA_BUNDLE", cert, TRUE);
  r = play (NULL);
  g_setenv ("AWS_CA_BUNDLE", "", TRUE);
  assert_played (r);
  /* read once, however many connections and threads used it */
  fail_unless_equals_int (count_bundle_reads (), 1);
}

GST_END_TEST;

/* A bundle that cannot be used is an error naming it, never the system's
 * store: /dev/zero (read until memory ran out), /proc/self/pagemap (a
 * "regular file" of size 0 that reads for gigabytes), a file without a
 * certificate. Each is read bounded, in well under a second. */
GST_START_TEST (test_unusable_ca_bundle_trusts_nothing)
{
  g_autofree gchar *junk = NULL;
  const gchar *bundles[] = { "/dev/zero", "/proc/self/pagemap", NULL, NULL };
  const gchar *says[] = { "/dev/zero: not a regular file",
    "/proc/self/pagemap: not a regular file", "no PEM certificate"
  };
  guint i;

  NEED_CERTIFICATE ("test_unusable_ca_bundle_trusts_nothing");
  SKIP_TLS_UNDER_ASAN ("test_unusable_ca_bundle_trusts_nothing");
  junk = g_build_filename (dir, "junk.pem", NULL);
  fail_unless (g_file_set_contents (junk, "not a certificate\n", -1, NULL));
  bundles[2] = junk;
  for (i = 0; bundles[i]; i++) {
    const gchar *extra[] = { "ssl-ca-file", bundles[i], NULL };
    g_autoptr (KvamPlayResult) r = NULL;

    /* from the property or from the environment, in turn */
    if (i % 2)
      g_setenv ("AWS_CA_BUNDLE", bundles[i], TRUE);
    r = play (i % 2 ? NULL : extra);
    g_setenv ("AWS_CA_BUNDLE", "", TRUE);
    g_print ("CA bundle %s: error in %.2f s\n", bundles[i], r->seconds);
    kvam_test_assert_error (r, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_OPEN_READ, "the CA bundle cannot be used");
    kvam_test_assert_error (r, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_OPEN_READ, says[i]);
    fail_unless (r->seconds < 5.0, "%.1f s", r->seconds);
    fail_unless_equals_int (kvs_emulator_count (emu, NULL, "*"), 0);
  }
  g_unlink (junk);
}

GST_END_TEST;

/* The control plane named as HTTPS:// (any case, from the property or
 * AWS_ENDPOINT_URL) is https for every check: an http:// data endpoint in
 * its answer is refused, and nothing is sent to it in clear. */
GST_START_TEST (test_mixed_case_https_refuses_http_data)
{
  g_autoptr (KvsEmulator) plain = NULL;
  g_autofree gchar *plain_url = NULL, *upper = NULL;
  const gchar *extra[] = { "ssl-ca-file", NULL, "endpoint-uri", NULL, NULL };
  GError *err = NULL;
  guint i;

  NEED_CERTIFICATE ("test_mixed_case_https_refuses_http_data");
  plain = kvs_emulator_new ();
  fail_unless (kvs_emulator_start (plain, "127.0.0.1", 0, NULL, NULL, &err));
  plain_url = kvs_emulator_get_url (plain);
  kvs_emulator_set_data_endpoint (emu, plain_url);
  upper = g_strconcat ("HTTPS", url + strlen ("https"), NULL);
  extra[1] = cert;
  for (i = 0; i < 2; i++) {
    g_autoptr (KvamPlayResult) r = NULL;
    const gchar *const props[] = { "stream-name", "cam", "start-time",
      "1764000000", "end-time", "1764000010", "ssl-ca-file", cert, NULL
    };

    if (i == 0) {
      extra[3] = upper;
      r = play (extra);
    } else {
      g_setenv ("AWS_ENDPOINT_URL", upper, TRUE);
      r = kvam_test_play_at (NULL, "fakesink name=sink", FALSE, 30, props,
          NULL, NULL);
      g_unsetenv ("AWS_ENDPOINT_URL");
    }
    fail_if (r->eos, "played with an http data endpoint");
    kvam_test_assert_error (r, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS, "InsecureDataEndpoint");
  }
  fail_unless_equals_int (kvs_emulator_count (plain, NULL, "*"), 0);
}

GST_END_TEST;

/* An http endpoint never needs the bundle: it is not read (it cost 30 ms
 * and 5 MB before the first buffer when it was read up front), so a
 * broken one is not even reported. */
GST_START_TEST (test_ca_bundle_not_read_for_http)
{
  g_autofree gchar *tmp = g_dir_make_tmp ("kvam-ca-XXXXXX", NULL);
  g_autofree gchar *junk = g_build_filename (tmp, "junk.pem", NULL);
  g_autoptr (KvamPlayResult) r = NULL;

  fail_unless (g_file_set_contents (junk, "not a certificate\n", -1, NULL));
  g_setenv ("AWS_CA_BUNDLE", junk, TRUE);
  start_emulator (FALSE);
  r = play (NULL);
  g_setenv ("AWS_CA_BUNDLE", "", TRUE);
  assert_played (r);
  fail_unless_equals_int (r->warnings->len, 0);
  fail_unless_equals_int (count_bundle_reads (), 0);
  g_unlink (junk);
  g_rmdir (tmp);
}

GST_END_TEST;

GST_START_TEST (test_ssl_strict_false_warns)
{
  const gchar *extra[] = { "ssl-strict", "false", NULL };
  g_autoptr (KvamPlayResult) r = NULL;
  const GstStructure *details = NULL;
  GError *e = NULL;

  NEED_CERTIFICATE ("test_ssl_strict_false_warns");
  r = play (extra);
  assert_played (r);
  /* one warning for the host, however many connections */
  fail_unless_equals_int (r->warnings->len, 1);
  gst_message_parse_warning (r->warnings->pdata[0], &e, NULL);
  fail_unless (strstr (e->message, "127.0.0.1 is not trusted") != NULL,
      "%s", e->message);
  fail_unless (strstr (e->message, "ssl-strict is false") != NULL);
  g_error_free (e);
  /* from the one poster: the stream in the details, like every warning */
  gst_message_parse_warning_details (r->warnings->pdata[0], &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "stream"),
      "cam");
}

GST_END_TEST;

/* ---- a CONNECT proxy ------------------------------------------------------ */

typedef struct
{
  GSocketListener *listener;
  GCancellable *stop;
  GThread *acceptor;
  guint port;
  gint connects;                /* tunnels opened */
  gint refused;                 /* 407 answers */
  gchar *target;                /* the last CONNECT's authority */
  gboolean need_auth;
} Proxy;

typedef struct
{
  GInputStream *in;
  GOutputStream *out;
} Pipe;

static gpointer
copy_thread (gpointer data)
{
  Pipe *p = data;

  g_output_stream_splice (p->out, p->in, G_OUTPUT_STREAM_SPLICE_NONE, NULL,
      NULL);
  g_output_stream_close (p->out, NULL, NULL);
  return NULL;
}

/* The request head, up to the empty line, or NULL. */
static gchar *
read_head (GInputStream * in)
{
  GString *s = g_string_new (NULL);
  gchar c;

  while (s->len < 8192 && g_input_stream_read (in, &c, 1, NULL, NULL) == 1) {
    g_string_append_c (s, c);
    if (g_str_has_suffix (s->str, "\r\n\r\n"))
      return g_string_free (s, FALSE);
  }
  g_string_free (s, TRUE);
  return NULL;
}

static gboolean
authorized (const gchar * head)
{
  g_autofree gchar *basic = g_base64_encode ((const guchar *) PROXY_USER ":"
      PROXY_PASS, strlen (PROXY_USER ":" PROXY_PASS));
  g_autofree gchar *want = g_strdup_printf ("Proxy-Authorization: Basic %s\r\n",
      basic);

  return strstr (head, want) != NULL;
}

static void
write_text (GOutputStream * out, const gchar * text)
{
  g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL);
}

/* One client connection: CONNECT host:port, then bytes both ways. */
static void
proxy_serve (Proxy * proxy, GSocketConnection * conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) up = NULL;
  g_autofree gchar *head = NULL;
  gchar target[256];
  Pipe down_pipe, up_pipe;
  GThread *t;

  while ((head = read_head (in))) {
    if (sscanf (head, "CONNECT %255s HTTP/1.1", target) != 1) {
      write_text (out, "HTTP/1.1 405 Method Not Allowed\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    if (proxy->need_auth && !authorized (head)) {
      g_atomic_int_inc (&proxy->refused);
      write_text (out, "HTTP/1.1 407 Proxy Authentication Required\r\n"
          "Proxy-Authenticate: Basic realm=\"kvam\"\r\n"
          "Content-Length: 0\r\n\r\n");
      g_clear_pointer (&head, g_free);
      continue;
    }
    break;
  }
  if (!head)
    return;
  up = g_socket_client_connect_to_host (client, target, 0, NULL, NULL);
  if (!up) {
    write_text (out, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  g_free (proxy->target);
  proxy->target = g_strdup (target);
  g_atomic_int_inc (&proxy->connects);
  write_text (out, "HTTP/1.1 200 Connection established\r\n\r\n");
  up_pipe.in = in;
  up_pipe.out = g_io_stream_get_output_stream (G_IO_STREAM (up));
  down_pipe.in = g_io_stream_get_input_stream (G_IO_STREAM (up));
  down_pipe.out = out;
  t = g_thread_new ("proxy-up", copy_thread, &up_pipe);
  copy_thread (&down_pipe);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_thread_join (t);
}

typedef struct
{
  Proxy *proxy;
  GSocketConnection *conn;
} Serve;

static gpointer
serve_thread (gpointer data)
{
  Serve *sv = data;

  proxy_serve (sv->proxy, sv->conn);
  g_object_unref (sv->conn);
  g_free (sv);
  return NULL;
}

/* Blocking accepts on a thread of its own: the test's thread is busy
 * playing. Connection threads are left to end with their sockets. */
static gpointer
accept_thread (gpointer data)
{
  Proxy *p = data;
  GSocketConnection *conn;

  while ((conn = g_socket_listener_accept (p->listener, NULL, p->stop, NULL))) {
    Serve *sv = g_new0 (Serve, 1);
    sv->proxy = p;
    sv->conn = conn;
    g_thread_unref (g_thread_new ("proxy-conn", serve_thread, sv));
  }
  return NULL;
}

static Proxy *
proxy_start (gboolean need_auth)
{
  Proxy *p = g_new0 (Proxy, 1);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback
      (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  p->need_auth = need_auth;
  p->listener = g_socket_listener_new ();
  p->stop = g_cancellable_new ();
  fail_unless (g_socket_listener_add_address (p->listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  p->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  p->acceptor = g_thread_new ("proxy-accept", accept_thread, p);
  return p;
}

static void
proxy_free (Proxy * p)
{
  g_cancellable_cancel (p->stop);
  g_thread_join (p->acceptor);
  g_socket_listener_close (p->listener);
  g_object_unref (p->listener);
  g_object_unref (p->stop);
  g_free (p->target);
  g_free (p);
}

/* Every request goes through the proxy named by the property, whatever
 * NO_PROXY says (the tests set NO_PROXY=*), with proxy-id/proxy-pw
 * answering its 407. */
GST_START_TEST (test_proxy_property_with_auth)
{
  const gchar *extra[] = { "ssl-ca-file", NULL, "proxy", NULL, "proxy-id",
    PROXY_USER, "proxy-pw", PROXY_PASS, NULL
  };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *proxy_url = NULL, *want = NULL;
  Proxy *p;

  NEED_CERTIFICATE ("test_proxy_property_with_auth");
  p = proxy_start (TRUE);
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", p->port);
  extra[1] = cert;
  extra[3] = proxy_url;
  r = play (extra);
  assert_played (r);
  want = g_strdup_printf ("127.0.0.1:%u", kvs_emulator_get_port (emu));
  fail_unless (g_atomic_int_get (&p->connects) >= 1);
  fail_unless_equals_string (p->target, want);
  /* every request the emulator saw came through a tunnel */
  fail_unless (kvs_emulator_count (emu, "ListFragments", NULL) >= 1);
  fail_unless (kvs_emulator_count (emu, "GetMediaForFragmentList", NULL) >= 1);
  proxy_free (p);
}

GST_END_TEST;

/* Without proxy-id the proxy's 407 is an error that says so, and the
 * password of another run never shows. */
GST_START_TEST (test_proxy_auth_refused)
{
  const gchar *extra[] = { "ssl-ca-file", NULL, "proxy", NULL, NULL };
  g_autoptr (KvamPlayResult) r = NULL;
  g_autofree gchar *proxy_url = NULL;
  Proxy *p;

  NEED_CERTIFICATE ("test_proxy_auth_refused");
  p = proxy_start (TRUE);
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", p->port);
  extra[1] = cert;
  extra[3] = proxy_url;
  r = play (extra);
  fail_unless (r->error != NULL);
  kvam_test_assert_error (r, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, "set proxy-id and proxy-pw");
  fail_unless (g_atomic_int_get (&p->refused) >= 1);
  fail_unless_equals_int (g_atomic_int_get (&p->connects), 0);
  fail_unless_equals_int (kvs_emulator_count (emu, NULL, "*"), 0);
  proxy_free (p);
}

GST_END_TEST;

/* ---- user agent and properties ------------------------------------------- */

GST_START_TEST (test_user_agent)
{
  const gchar *custom[] = { "user-agent", "my-exporter/2.1", NULL };
  g_autoptr (KvamPlayResult) r1 = NULL, r2 = NULL, r3 = NULL;
  g_autofree gchar *ua1 = NULL, *ua2 = NULL, *ua3 = NULL, *prefix = NULL;
  guint major, minor, micro, nano;

  start_emulator (FALSE);
  gst_version (&major, &minor, &micro, &nano);
  prefix = g_strdup_printf ("kvamsrc/%s GStreamer/%u.%u.%u", VERSION, major,
      minor, micro);
  r1 = play (NULL);
  assert_played (r1);
  ua1 = kvs_emulator_get_last_user_agent (emu);
  fail_unless_equals_string (ua1, prefix);

  g_setenv ("AWS_SDK_UA_APP_ID", "fleet-archiver", TRUE);
  r2 = play (NULL);
  g_unsetenv ("AWS_SDK_UA_APP_ID");
  assert_played (r2);
  ua2 = kvs_emulator_get_last_user_agent (emu);
  fail_unless (g_str_has_prefix (ua2, prefix), "%s", ua2);
  fail_unless (g_str_has_suffix (ua2, " app/fleet-archiver"), "%s", ua2);

  r3 = play (custom);
  assert_played (r3);
  ua3 = kvs_emulator_get_last_user_agent (emu);
  fail_unless_equals_string (ua3, "my-exporter/2.1");
}

GST_END_TEST;

GST_START_TEST (test_transport_properties)
{
  GstElement *src = gst_element_factory_make ("kvamsrc", NULL);
  g_autofree gchar *ua = NULL, *proxy = NULL, *pw = NULL, *uri = NULL;
  gboolean strict;
  GError *err = NULL;

  g_object_get (src, "user-agent", &ua, "ssl-strict", &strict, NULL);
  fail_unless (g_str_has_prefix (ua, "kvamsrc/" VERSION " GStreamer/"));
  fail_unless (strict);
  /* a password in the proxy URL never reads back */
  g_object_set (src, "proxy", "http://bob:hunter2@127.0.0.1:3128",
      "proxy-pw", PROXY_PASS, "ssl-strict", FALSE, "stream-name", "cam", NULL);
  g_object_get (src, "proxy", &proxy, "proxy-pw", &pw, NULL);
  fail_if (strstr (proxy, "hunter2"), "%s", proxy);
  fail_unless (strstr (proxy, "127.0.0.1:3128") != NULL);
  fail_unless (pw == NULL);
  /* the URI carries none of the transport's trust: a URI could not set it
   * back (test_uri_cannot_lower_trust), and never proxy-pw */
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_if (strstr (uri, "ssl-strict") || strstr (uri, "proxy"), "%s", uri);
  fail_if (strstr (uri, PROXY_PASS) || strstr (uri, "hunter2"), "%s", uri);
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kvs://cam?proxy-pw=x", &err));
  g_clear_error (&err);
  gst_object_unref (src);
}

GST_END_TEST;

static Suite *
kvamtransport_suite (void)
{
  Suite *s = suite_create ("kvamtransport");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_untrusted_certificate_is_an_error);
  tcase_add_test (tc, test_ssl_ca_file_trusts);
  tcase_add_test (tc, test_aws_ca_bundle_trusts);
  tcase_add_test (tc, test_ca_bundle_not_read_for_http);
  tcase_add_test (tc, test_unusable_ca_bundle_trusts_nothing);
  tcase_add_test (tc, test_mixed_case_https_refuses_http_data);
  tcase_add_test (tc, test_ssl_strict_false_warns);
  tcase_add_test (tc, test_proxy_property_with_auth);
  tcase_add_test (tc, test_proxy_auth_refused);
  tcase_add_test (tc, test_user_agent);
  tcase_add_test (tc, test_transport_properties);
  return s;
}

GST_CHECK_MAIN (kvamtransport);
