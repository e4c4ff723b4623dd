/* kvamsrc: AWS keys (the credentials type) and the credentials error domain
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamkeys.h"
#include "kvamsecret.h"

G_DEFINE_QUARK (kvam - credentials - error - quark, kvam_credentials_error);
G_DEFINE_BOXED_TYPE (KvamCredentials, kvam_credentials,
    kvam_credentials_ref, kvam_credentials_unref);

typedef struct
{
  KvamCredentials creds;
  gint refcount;
} KvamCredentialsImpl;

KvamCredentials *
kvam_credentials_new (const gchar * access_key_id,
    const gchar * secret_access_key, const gchar * session_token,
    gint64 expiration, const gchar * source)
{
  KvamCredentialsImpl *impl = g_new0 (KvamCredentialsImpl, 1);

  impl->refcount = 1;
  impl->creds.access_key_id = g_strdup (access_key_id);
  impl->creds.secret_access_key = g_strdup (secret_access_key);
  impl->creds.session_token = session_token && *session_token ?
      g_strdup (session_token) : NULL;
  impl->creds.expiration = expiration;
  impl->creds.source = g_strdup (source);
  return &impl->creds;
}

KvamCredentials *
kvam_credentials_ref (KvamCredentials * creds)
{
  g_atomic_int_inc (&((KvamCredentialsImpl *) creds)->refcount);
  return creds;
}

void
kvam_credentials_unref (KvamCredentials * creds)
{
  KvamCredentialsImpl *impl = (KvamCredentialsImpl *) creds;

  if (!g_atomic_int_dec_and_test (&impl->refcount))
    return;
  g_free (creds->access_key_id);
  kvam_secret_free (creds->secret_access_key);
  kvam_secret_free (creds->session_token);
  g_free (creds->source);
  g_free (impl);
}

/* For logs: the key id (not a secret) and where it came from, never the
 * secret or the token. */
gchar *
kvam_credentials_describe (const KvamCredentials * creds)
{
  g_autofree gchar *expiry = NULL;

  if (creds->expiration > 0) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc
        (creds->expiration);
    expiry = g_date_time_format_iso8601 (dt);
  }
  return g_strdup_printf ("key id %s from %s%s%s%s", creds->access_key_id,
      creds->source, creds->session_token ? ", with session token" : "",
      expiry ? ", expires " : "", expiry ? expiry : "");
}
