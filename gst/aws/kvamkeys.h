/* kvamsrc: AWS keys (the credentials type) and the credentials error domain
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Apart from the chain (kvamcredentials.h) so that the signer and the
 * config-file reader use them without depending on the chain.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* An immutable, reference-counted set of keys. The secret and the token are
 * never printed: use kvam_credentials_describe() in logs. */
typedef struct _KvamCredentials KvamCredentials;

struct _KvamCredentials
{
  gchar *access_key_id;
  gchar *secret_access_key;
  gchar *session_token;         /* NULL for long-term keys */
  gint64 expiration;            /* Unix seconds, 0 when the keys never expire */
  gchar *source;                /* "properties", "environment", "profile default", ... */
};

#define KVAM_TYPE_CREDENTIALS (kvam_credentials_get_type ())
GType kvam_credentials_get_type (void);

KvamCredentials *kvam_credentials_new (const gchar * access_key_id,
    const gchar * secret_access_key, const gchar * session_token,
    gint64 expiration, const gchar * source);
KvamCredentials *kvam_credentials_ref (KvamCredentials * creds);
void kvam_credentials_unref (KvamCredentials * creds);
gchar *kvam_credentials_describe (const KvamCredentials * creds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamCredentials, kvam_credentials_unref)

#define KVAM_CREDENTIALS_ERROR (kvam_credentials_error_quark ())
GQuark kvam_credentials_error_quark (void);

typedef enum
{
  KVAM_CREDENTIALS_ERROR_NOT_FOUND,     /* no source in the chain had keys */
  KVAM_CREDENTIALS_ERROR_MALFORMED,     /* a file or a response could not be parsed */
  KVAM_CREDENTIALS_ERROR_FETCH,         /* a credentials endpoint failed */
  KVAM_CREDENTIALS_ERROR_NO_REGION,
} KvamCredentialsError;

G_END_DECLS
