/* kvs-emulator tests' fixture (kvsemulator, kvsemulatormedia): an
 * emulator on 127.0.0.1 with one synthetic stream, a client, and requests
 * signed by hand (no pacing, no retries, any key and clock)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsemufixture.h"

#include <string.h>

KvsEmulator *emu;
gchar *url;
KvamCredentialsProvider *creds;

void
kvs_test_setup (void)
{
  KvamCredentialsConfig cc = { KVS_EMULATOR_DEFAULT_ACCESS_KEY,
    KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL, NULL, 2000, NULL, NULL
  };
  GError *err = NULL;

  emu = kvs_emulator_new ();
  kvs_emulator_set_stream_start (emu, START_MS);
  fail_unless (kvs_emulator_add_synthetic (emu, STREAM, N_FRAGMENTS, 1, 160,
          120, &err), "%s", err ? err->message : "");
  fail_unless (kvs_emulator_start (emu, "127.0.0.1", 0, NULL, NULL, &err));
  url = kvs_emulator_get_url (emu);
  creds = kvam_credentials_provider_new (&cc);
}

void
kvs_test_teardown (void)
{
  kvs_emulator_free (emu);
  kvam_credentials_provider_free (creds);
  g_free (url);
}

KvamClient *
new_client (const gchar * stream, guint retries)
{
  KvamClientConfig c = { KVS_EMULATOR_DEFAULT_REGION, url, stream, NULL,
    2000, retries, creds, NULL, NULL, NULL, NULL
  };

  return kvam_client_new (&c);
}

/* ---- raw requests: no pacing, no retries, any key and clock ------------- */

void
raw_clear (Raw * r)
{
  g_free (r->type);
  g_clear_pointer (&r->body, g_bytes_unref);
}

void
raw_call_signed (const gchar * path, const gchar * body, const gchar * ak,
    const gchar * sk, const gchar * token, GDateTime * when, Raw * out)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *full = g_strconcat (url, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", full);
  g_autoptr (KvamSigv4Request) req = kvam_sigv4_request_new ("POST", path,
      NULL);
  g_autoptr (KvamCredentials) c = kvam_credentials_new (ak, sk, token, 0, "t");
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *host = g_strdup_printf ("127.0.0.1:%u",
      kvs_emulator_get_port (emu));
  KvamSigv4Options opts = KVAM_SIGV4_OPTIONS_INIT ("kinesisvideo",
      KVS_EMULATOR_DEFAULT_REGION);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  KvamSigv4Result r;
  const gchar *type;

  kvam_sigv4_request_add_header (req, "Content-Type", "application/json");
  kvam_sigv4_request_add_header (req, "Host", host);
  kvam_sigv4_request_set_body (req, (const guint8 *) body, strlen (body));
  kvam_sigv4_sign_headers (&opts, c, req, when ? when : now, &r);
  soup_message_headers_replace (h, "X-Amz-Date", r.amz_date);
  soup_message_headers_replace (h, "Authorization", r.authorization);
  if (token)
    soup_message_headers_replace (h, "X-Amz-Security-Token", token);
  {
    /* the message takes its own reference */
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  }
  kvam_sigv4_result_clear (&r);

  out->body = soup_session_send_and_read (session, msg, NULL, NULL);
  out->status = soup_message_get_status (msg);
  type = soup_message_headers_get_one (soup_message_get_response_headers
      (msg), "x-amzn-ErrorType");
  out->type = type ? g_strndup (type, strcspn (type, ":")) : NULL;
}

void
raw_call (const gchar * path, const gchar * body, Raw * out)
{
  raw_call_signed (path, body, KVS_EMULATOR_DEFAULT_ACCESS_KEY,
      KVS_EMULATOR_DEFAULT_SECRET_KEY, NULL, NULL, out);
}

void
assert_raw_error (const gchar * path, const gchar * body, guint status,
    const gchar * type)
{
  Raw r = { 0 };

  raw_call (path, body, &r);
  fail_unless_equals_int (r.status, status);
  fail_unless_equals_string (r.type, type);
  raw_clear (&r);
}
