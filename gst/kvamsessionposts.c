/* kvamsrc: what the session posts: element errors and warnings
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one place element errors and warnings are made (the element's own
 * too, through kvam_post_message), as souphttpsrc's one mapping of
 * failures: every message names the stream in its text and
 * in its details, the fragment when there is one, and what AWS said when
 * a call failed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsessionpriv.h"

#include <string.h>

void
kvam_post_message (GstElement * element, const gchar * stream,
    GstMessageType type, GQuark domain, gint code,
    const KvamFragment * fragment, const KvamAwsError * err, gchar * text)
{
  GstStructure *details = gst_structure_new ("details",
      "stream", G_TYPE_STRING, stream, NULL);

  if (fragment)
    gst_structure_set (details, "fragment-number", G_TYPE_STRING,
        fragment->number, NULL);
  if (err && err->operation)
    gst_structure_set (details, "api", G_TYPE_STRING, err->operation, NULL);
  if (err && err->type)
    gst_structure_set (details, "aws-error-type", G_TYPE_STRING, err->type,
        NULL);
  if (err)
    gst_structure_set (details, "http-status", G_TYPE_UINT, err->status, NULL);
  if (err && err->request_id)
    gst_structure_set (details, "request-id", G_TYPE_STRING,
        err->request_id, NULL);
  gst_element_message_full_with_details (element, type, domain, code,
      text, NULL, __FILE__, GST_FUNCTION, __LINE__, details);
}

void
kvam_session_post (KvamSession * self, GstMessageType type, GQuark domain,
    gint code, const KvamFragment * fragment, const KvamAwsError * err,
    gchar * text)
{
  kvam_post_message (self->element, self->stream, type, domain, code,
      fragment, err, text);
}

/* What an authentication failure means, in words a user can act on. */
static const gchar *
explain_auth_error (const KvamAwsError * err)
{
  if (g_strcmp0 (err->type, "UnrecognizedClientException") == 0)
    return "the access key or session token is not known to AWS";
  if (g_strcmp0 (err->type, "ExpiredTokenException") == 0)
    return "the session token has expired";
  if (err->message && strstr (err->message, "Signature expired"))
    return "the request time is more than 5 minutes off: check the clock";
  if (g_strcmp0 (err->type, "InvalidSignatureException") == 0)
    return "the signature does not match: check the secret access key and "
        "the region";
  if (g_strcmp0 (err->type, "ProxyAuthenticationRequired") == 0)
    return "the proxy refused";
  return "access denied";
}

void
kvam_session_post_aws_error (KvamSession * self, const KvamAwsError * err)
{
  g_autofree gchar *desc = kvam_aws_error_describe (err);
  g_autofree gchar *text = NULL;
  gint code = GST_RESOURCE_ERROR_READ;

  switch (err->kind) {
    case KVAM_AWS_ERROR_NOT_FOUND:
      code = GST_RESOURCE_ERROR_NOT_FOUND;
      /* the usual cause: another region or endpoint than the stream's */
      text = g_strdup_printf ("Stream '%s' not found in region %s (endpoint "
          "%s): %s", self->stream, kvam_client_get_region (self->client),
          kvam_client_get_control_uri (self->client), desc);
      break;
    case KVAM_AWS_ERROR_AUTH:
    case KVAM_AWS_ERROR_CREDENTIALS:
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      text = g_strdup_printf ("Not authorized to read stream '%s' (%s): %s",
          self->stream, err->kind == KVAM_AWS_ERROR_CREDENTIALS ?
          "no credentials" : explain_auth_error (err), desc);
      break;
    case KVAM_AWS_ERROR_INVALID:
      if (g_strcmp0 (err->type, "TLSError") == 0) {
        /* souphttpsrc's code for a failed secure connection */
        code = GST_RESOURCE_ERROR_OPEN_READ;
        text = g_strdup_printf ("Stream '%s': no secure connection: %s",
            self->stream, desc);
        break;
      }
      code = GST_RESOURCE_ERROR_SETTINGS;
      text = g_strdup_printf ("Stream '%s': the service refused the request: "
          "%s", self->stream, desc);
      break;
    default:
      /* desc says how many tries and how long */
      text = g_strdup_printf ("Stream '%s': reading failed: %s", self->stream,
          desc);
      break;
  }
  kvam_session_post (self, GST_MESSAGE_ERROR, GST_RESOURCE_ERROR, code, NULL,
      err, g_steal_pointer (&text));
}
