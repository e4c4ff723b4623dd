/* libFuzzer target: what the credential sources read from a peer or a
 * helper: STS answers and errors (XML), credential_process output and the
 * SSO portal's answer (JSON).
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: 1 byte choosing the reader, then the text.
 */
#include "kvamfuzz.h"
#include "kvamcredentialspriv.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
drop (KvamCredentials * creds, GError * err)
{
  if (creds)
    kvam_credentials_unref (creds);
  g_clear_error (&err);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const gchar *secrets[] = { "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "TOKEN", NULL
  };
  GBytes *body;
  GError *err = NULL;
  KvamCredentials *creds = NULL;
  gchar *text;

  if (size < 1)
    return 0;
  body = g_bytes_new (data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      creds = kvam_sts_read_answer (body, "fuzz", &err);
      break;
    case 1:
      text = kvam_sts_read_error (body, secrets);
      /* scrubbed, whatever the peer sent */
      if (text && strstr (text, secrets[0]))
        __builtin_trap ();
      g_free (text);
      break;
    case 2:
      creds = kvam_process_read_output (data + 1, size - 1, "fuzz", &err);
      break;
    default:
      creds = kvam_sso_read_role_credentials (body, "fuzz", &err);
      break;
  }
  drop (creds, err);
  g_bytes_unref (body);
  return 0;
}
