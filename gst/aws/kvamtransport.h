/* kvamsrc: HTTP transport settings shared by every AWS call
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>
#include "kvamsigv4.h"

G_BEGIN_DECLS

/* What the element's transport properties say. Strings may be NULL. The
 * proxy password is a secret: never logged, never in a message. */
typedef struct
{
  const gchar *ca_file;         /* PEM bundle; NULL: AWS_CA_BUNDLE, else the system's */
  gboolean ssl_strict;          /* FALSE: accept an untrusted certificate, warn */
  const gchar *user_agent;      /* NULL: kvam_transport_default_user_agent () */
  const gchar *proxy;           /* http://host:port; NULL: the environment's */
  const gchar *proxy_id;
  const gchar *proxy_pw;
  /* called once per host whose untrusted certificate ssl-strict=false let
   * through, from whichever thread connected; may be NULL */
  void (*untrusted_func) (const gchar * host, const gchar * reason,
      gpointer user_data);
  gpointer user_data;
} KvamTransportConfig;

#define KVAM_TRANSPORT_CONFIG_INIT { NULL, TRUE, NULL, NULL, NULL, NULL, \
    NULL, NULL }

typedef struct _KvamTransport KvamTransport;

/* A copy of @config (NULL: the defaults), shared by reference. */
KvamTransport *kvam_transport_new (const KvamTransportConfig * config);
KvamTransport *kvam_transport_ref (KvamTransport * transport);
void kvam_transport_unref (KvamTransport * transport);

/* "kvamsrc/0.1.0 GStreamer/1.22.0", plus " app/ID" with AWS_SDK_UA_APP_ID
 * as the AWS SDKs append it. */
gchar *kvam_transport_default_user_agent (void);
const gchar *kvam_transport_get_user_agent (KvamTransport * transport);

/* A session with the CA bundle, user agent and proxy applied, content
 * decoding off. The bundle (ssl-ca-file, else AWS_CA_BUNDLE) is read at
 * the first https request, bounded (a regular file of at most 8 MiB with
 * PEM certificates); one that cannot be used trusts nothing, never the
 * system's store, and kvam_transport_explain () says why. */
SoupSession *kvam_transport_new_session (KvamTransport * transport,
    guint timeout_s, guint max_conns_per_host);

/* Before sending @msg: TLS checks by ssl-strict, proxy authentication. */
void kvam_transport_prepare (KvamTransport * transport, SoupMessage * msg);

/* After @msg failed with @error: a TLS failure is rewritten to name the
 * host, the reason and the way out. */
void kvam_transport_explain (SoupMessage * msg, GError * error);

/* HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl and the AWS SDKs read them;
 * NULL when none applies. */
GProxyResolver *kvam_environment_proxy_resolver (void);

/* The Host header value SigV4 signs for @uri. */
gchar *kvam_transport_host_header (GUri * uri);

/* Signs the POST @msg with @body (SigV4 headers, Host, the token) and
 * sets that body. */
void kvam_transport_sign_post (SoupMessage * msg,
    const KvamSigv4Options * opts, const KvamCredentials * creds,
    GDateTime * when, const gchar * content_type, const gchar * body);

/* "user:***@host" stays out of logs: @uri without its password. */
gchar *kvam_transport_redact_uri (const gchar * uri);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamTransport, kvam_transport_unref)

G_END_DECLS
