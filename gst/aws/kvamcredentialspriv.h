/* kvamsrc: what the credential providers share (not API)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * kvamcredentials.c: the keys type, the chain's order, caching, region.
 * kvamcredsfiles.c: shared config and credentials files, profiles.
 * kvamcredsmetadata.c: container credentials and EC2 instance metadata.
 * kvamcredssts.c: STS AssumeRole and AssumeRoleWithWebIdentity.
 * kvamcredsprocess.c: credential_process.
 * kvamcredssso.c: IAM Identity Center (SSO) profiles.
 */
#pragma once

#include "kvamcredentials.h"
#include "kvamconfigfile.h"
#include "kvamtransport.h"
#include "kvamtime.h"

#include <gst/gst.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The chain's debug category ("kvamcredentials"), for every provider file:
 * #define GST_CAT_DEFAULT kvam_creds_debug_category () */
GstDebugCategory *kvam_creds_debug_category (void);

/* One walk of the chain: what every provider may use. */
typedef struct
{
  SoupSession *metadata_session;        /* no proxy: link-local, loopback */
  SoupSession *session;         /* STS, SSO: the transport's */
  KvamTransport *transport;
  gint64 timeout_us;            /* a whole response, headers to last byte */
  const gchar *region;          /* may be NULL */
  const gchar *profile;         /* the profile property, may be NULL */
  GCancellable *cancellable;
  GString *tried;               /* "; what was looked at", for NOT_FOUND */
  /* every secret known (properties, environment, the keys in use),
   * NULL-terminated: scrubbed from what a peer or a child says */
  const gchar *const *secrets;
} KvamCredsContext;


/* One bounded request; the body of a 200, else NULL and @error. A non-200
 * answer's body is returned in @error_body when that is not NULL. */
GBytes *kvam_creds_http_request (KvamCredsContext * ctx, SoupSession * session,
    SoupMessage * msg, GBytes ** error_body, GError ** error);

#define KVAM_CREDS_MAX_FILE KVAM_CONFIG_FILE_MAX

/* kvam_file_read_bounded () of a regular file of at most @max bytes. */
gboolean kvam_creds_read_file (const gchar * path, gsize max,
    gchar ** contents, gsize * len, GError ** error);

/* A file's contents, trimmed (tokens). */
gchar *kvam_creds_read_token_file (const gchar * path, GError ** error);

/* $HOME as the AWS SDKs read it (tests move it), else the passwd entry. */
const gchar *kvam_creds_home_dir (void);

/* kvamcredsfiles.c */
gchar *kvam_creds_shared_file_path (const gchar * env_var,
    const gchar * basename);
const gchar *kvam_creds_selected_profile (const gchar * profile);
KvamConfigFile *kvam_creds_load_shared_file (const gchar * env_var,
    const gchar * basename, GError ** error);
GHashTable *kvam_creds_profile_section (KvamConfigFile * file,
    const gchar * profile, gboolean is_config);
KvamCredentials *kvam_creds_from_profile (KvamCredsContext * ctx,
    const gchar * profile, GError ** error);
KvamCredentials *kvam_creds_from_environment (KvamCredsContext * ctx);

/* kvamcredsmetadata.c */
KvamCredentials *kvam_creds_from_container (KvamCredsContext * ctx,
    GError ** error);
KvamCredentials *kvam_creds_from_imds (KvamCredsContext * ctx,
    GError ** error);

/* kvamcredssts.c */
/* AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else STS of @region (NULL: the
 * global endpoint). */
gchar *kvam_sts_endpoint (const gchar * region, const gchar * profile);

typedef struct
{
  const gchar *role_arn;
  const gchar *session_name;    /* NULL: kvamsrc-<time> */
  const gchar *external_id;     /* may be NULL */
  guint duration_seconds;       /* 0: STS's default (1 h) */
  const gchar *label;           /* "profile work", for messages */
} KvamAssumeRole;

/* Peer text, exposed for fuzz_credentials: an STS answer's Credentials;
 * an STS error's "Code: Message" scrubbed of @secrets, or NULL. */
KvamCredentials *kvam_sts_read_answer (GBytes * body, const gchar * source,
    GError ** error);
gchar *kvam_sts_read_error (GBytes * body, const gchar * const *secrets);
KvamCredentials *kvam_sts_assume_role (KvamCredsContext * ctx,
    KvamCredentials * source, const KvamAssumeRole * role, GError ** error);
KvamCredentials *kvam_sts_assume_role_with_web_identity (KvamCredsContext *
    ctx, const KvamAssumeRole * role, const gchar * token_file,
    GError ** error);
/* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME). */
KvamCredentials *kvam_creds_from_web_identity_env (KvamCredsContext * ctx,
    GError ** error);

/* kvamcredsprocess.c; the JSON it prints is exposed for the fuzzer */
KvamCredentials *kvam_process_read_output (const guint8 * data, gsize size,
    const gchar * source, GError ** error);
KvamCredentials *kvam_creds_from_process (KvamCredsContext * ctx,
    const gchar * command, const gchar * profile, GError ** error);

/* kvamcredssso.c: @section is the profile's, @conf the config file. The
 * portal's answer is exposed for the fuzzer. */
KvamCredentials *kvam_sso_read_role_credentials (GBytes * body,
    const gchar * source, GError ** error);
KvamCredentials *kvam_creds_from_sso (KvamCredsContext * ctx,
    GHashTable * section, KvamConfigFile * conf, const gchar * profile,
    GError ** error);

G_END_DECLS
