/* kvamsrc: AWS Signature Version 4
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include "kvamkeys.h"

G_BEGIN_DECLS

/* The parts of an HTTP request that SigV4 covers. Header order is kept:
 * repeated names are joined in the order they were added. */
typedef struct _KvamSigv4Request KvamSigv4Request;

KvamSigv4Request *kvam_sigv4_request_new (const gchar * method,
    const gchar * path, const gchar * query);
void kvam_sigv4_request_add_header (KvamSigv4Request * req,
    const gchar * name, const gchar * value);
void kvam_sigv4_request_set_body (KvamSigv4Request * req,
    const guint8 * body, gsize size);
void kvam_sigv4_request_free (KvamSigv4Request * req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamSigv4Request, kvam_sigv4_request_free)

typedef struct
{
  const gchar *service;         /* "kinesisvideo" */
  const gchar *region;
  gboolean normalize_path;      /* remove dot segments and empty segments */
  gboolean add_content_sha256;  /* sign and send x-amz-content-sha256 (S3); off for KVS */
  gboolean omit_session_token;  /* send the token unsigned (some services want it) */
} KvamSigv4Options;

#define KVAM_SIGV4_OPTIONS_INIT(svc, reg) { (svc), (reg), TRUE, FALSE, FALSE }

typedef struct
{
  gchar *canonical_request;
  gchar *string_to_sign;
  gchar *signature;             /* lowercase hex */
  /* header signing: values of the headers to add */
  gchar *amz_date;              /* X-Amz-Date */
  gchar *authorization;         /* Authorization: never log it */
  gchar *content_sha256;        /* x-amz-content-sha256, or NULL */
  /* query signing: the whole query string to send, without '?' */
  gchar *query;
} KvamSigv4Result;

void kvam_sigv4_sign_headers (const KvamSigv4Options * opts,
    const KvamCredentials * creds, const KvamSigv4Request * req,
    GDateTime * when, KvamSigv4Result * out);
void kvam_sigv4_presign (const KvamSigv4Options * opts,
    const KvamCredentials * creds, const KvamSigv4Request * req,
    GDateTime * when, guint expires_seconds, KvamSigv4Result * out);
void kvam_sigv4_result_clear (KvamSigv4Result * result);


G_END_DECLS
