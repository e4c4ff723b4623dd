/* kvamsrc: AWS credentials and region, resolved like the AWS default chain
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include "kvamkeys.h"
#include "kvamtransport.h"

G_BEGIN_DECLS

/* What the element knows before the chain runs. Strings may be NULL. */
typedef struct
{
  const gchar *access_key_id;
  const gchar *secret_access_key;
  const gchar *session_token;
  const gchar *profile;
  guint timeout_ms;             /* bound on each credentials request */
  const gchar *region;          /* STS's region; NULL: the global endpoint */
  KvamTransport *transport;     /* STS and SSO requests; NULL: defaults */
} KvamCredentialsConfig;

typedef struct _KvamCredentialsProvider KvamCredentialsProvider;

KvamCredentialsProvider *kvam_credentials_provider_new (const
    KvamCredentialsConfig * config);
void kvam_credentials_provider_free (KvamCredentialsProvider * provider);

/* Returns cached keys while they have more than the refresh window left,
 * else walks the chain again. Blocking; @cancellable aborts it. */
KvamCredentials *kvam_credentials_provider_get (KvamCredentialsProvider *
    provider, GCancellable * cancellable, GError ** error);

/* Forget the cached keys (after ExpiredTokenException, say). */
void kvam_credentials_provider_invalidate (KvamCredentialsProvider * provider);

/* Seconds before expiry at which keys are fetched again (default 300). */
void kvam_credentials_provider_set_refresh_window (KvamCredentialsProvider *
    provider, guint seconds);

/* The endpoint configured for @service ("kinesis_video", "sts", "sso",
 * "sso_oidc") as the AWS SDKs read it: AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's [services] section, the profile's
 * endpoint_url; none with
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true or the profile's
 * ignore_configured_endpoint_urls = true. NULL: the service's own. No
 * trailing slash. @profile: the profile property, may be NULL. */
gchar *kvam_configured_endpoint (const gchar * profile, const gchar * service);

/* Region: @property, AWS_REGION, AWS_DEFAULT_REGION, the profile's region. */
gchar *kvam_resolve_region (const gchar * property, const gchar * profile,
    GError ** error);

/* The URL container credentials are fetched from, or NULL when the
 * environment names none. Exposed so tests can check it without connecting. */
gchar *kvam_container_credentials_uri (GError ** error);

/* The JSON both the container agent and IMDS return (AccessKeyId,
 * SecretAccessKey, Token, Expiration). */
KvamCredentials *kvam_credentials_from_json (GBytes * body,
    const gchar * source, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamCredentialsProvider,
    kvam_credentials_provider_free)

G_END_DECLS
