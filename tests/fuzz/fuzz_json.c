/* libFuzzer target: every JSON body kvamsrc reads from a peer: the
 * bounded parser, a ListFragments page, a GetDataEndpoint answer, an AWS
 * error body, container and instance-metadata credentials.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: 1 byte choosing the reader, then the body.
 */
#include "kvamfuzz.h"
#include "kvamawserror.h"
#include "kvamcredentials.h"
#include "kvamfragmentindex.h"
#include "kvamjson.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
read_page (const gchar * body, gsize size)
{
  KvamFragmentIndex *idx = kvam_fragment_index_new (KVAM_SELECTOR_SERVER, 0,
      G_MAXUINT64);
  JsonNode *root = kvam_json_parse_object (body, size, NULL);
  gchar *token = NULL;

  if (root && kvam_fragment_index_take_page (idx, root, 0, &token, NULL)) {
    kvam_fragment_index_publish (idx, G_MAXUINT64);
    g_free (token);
  }
  if (root)
    json_node_unref (root);
  kvam_fragment_index_free (idx);
}

static void
read_error (const gchar * body, gsize size)
{
  const gchar *secrets[] = { "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "TOKEN", NULL
  };
  GBytes *b = g_bytes_new (body, size);
  KvamAwsError err = { 0 };
  gchar *desc;

  kvam_aws_error_from_body (&err, "ListFragments", 403,
      size > 8 ? "InvalidSignatureException:x" : NULL, "id", b, secrets);
  desc = kvam_aws_error_describe (&err);
  g_free (desc);
  kvam_aws_error_clear (&err);
  g_bytes_unref (b);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const gchar *body = (const gchar *) data + 1;
  JsonNode *root;

  if (size < 1)
    return 0;
  size--;
  switch (data[0] % 4) {
    case 0:
      read_page (body, size);
      break;
    case 1:
      read_error (body, size);
      break;
    case 2:{
      GBytes *b = g_bytes_new (body, size);
      KvamCredentials *c = kvam_credentials_from_json (b, "fuzz", NULL);
      if (c)
        kvam_credentials_unref (c);
      g_bytes_unref (b);
      break;
    }
    default:
      /* GetDataEndpoint: the object and its DataEndpoint string */
      root = kvam_json_parse_object (body, size, NULL);
      if (root) {
        kvam_json_get_string (json_node_get_object (root), "DataEndpoint");
        json_node_unref (root);
      }
      break;
  }
  return 0;
}
