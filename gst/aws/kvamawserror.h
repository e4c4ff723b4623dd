/* kvamsrc: AWS errors: what went wrong with a call, in words
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  KVAM_AWS_ERROR_NONE,
  KVAM_AWS_ERROR_THROTTLED,     /* ClientLimitExceededException, 429 */
  KVAM_AWS_ERROR_NOT_FOUND,     /* ResourceNotFoundException, 404 */
  KVAM_AWS_ERROR_AUTH,          /* signature, key, token, permission */
  KVAM_AWS_ERROR_INVALID,       /* InvalidArgumentException, other 4xx */
  KVAM_AWS_ERROR_SERVER,        /* 5xx */
  KVAM_AWS_ERROR_NETWORK,       /* connection refused, reset, closed */
  KVAM_AWS_ERROR_TIMEOUT,
  KVAM_AWS_ERROR_MALFORMED,     /* a 200 whose body we cannot read */
  KVAM_AWS_ERROR_CANCELLED,
  KVAM_AWS_ERROR_CREDENTIALS,   /* no usable credentials */
} KvamAwsErrorKind;

/* What went wrong with a call, with what AWS said about it. */
typedef struct
{
  KvamAwsErrorKind kind;
  const gchar *operation;       /* "ListFragments", a static string */
  guint status;                 /* HTTP status, 0 without a response */
  gchar *type;                  /* e.g. "InvalidSignatureException" */
  gchar *message;
  gchar *request_id;
} KvamAwsError;

void kvam_aws_error_clear (KvamAwsError * err);
void kvam_aws_error_set (KvamAwsError * err, KvamAwsErrorKind kind,
    const gchar * operation, guint status, const gchar * type, const gchar * message,
    const gchar * request_id);
gboolean kvam_aws_error_is_retryable (const KvamAwsError * err);
/* "ListFragments: ResourceNotFoundException (HTTP 404, request id X): msg" */
gchar *kvam_aws_error_describe (const KvamAwsError * err);

/* Reads an error response: type from x-amzn-ErrorType (cut at ':') or
 * __type (after '#'), message from message/Message, request id. The
 * service's text goes through kvam_scrub_secrets() with @secrets. */
void kvam_aws_error_from_response (KvamAwsError * err, SoupMessage * msg,
    GBytes * body, const gchar * operation, const gchar * const *secrets);
/* The same from the parts of a response (the fuzz targets feed it). */
void kvam_aws_error_from_body (KvamAwsError * err, const gchar * operation,
    guint status,
    const gchar * type_header, const gchar * request_id_header,
    GBytes * body, const gchar * const *secrets);
/* From a failed send or read (connection, timeout, cancelled). */
void kvam_aws_error_from_transport (KvamAwsError * err,
    const gchar * operation, GError * e);

/* Text a server sent back, made fit for a log or an error: every
 * occurrence of the NULL-terminated @secrets replaced by "****", anything
 * from "The Canonical String" on (AWS front ends quote the canonical
 * request, session token included, on some signature mismatches) cut, and
 * at most 1024 characters kept. */
gchar *kvam_scrub_secrets (const gchar * text, const gchar * const *secrets);

G_END_DECLS
