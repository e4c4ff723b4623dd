/* kvamsrc: the Kinesis Video APIs kvamsrc calls
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  KVAM_API_GET_DATA_ENDPOINT,
  KVAM_API_LIST_FRAGMENTS,
  KVAM_API_GET_MEDIA_FOR_FRAGMENT_LIST,
  KVAM_API_COUNT
} KvamApi;

/* "ListFragments": what errors (KvamAwsError's operation) and logs say */
const gchar *kvam_api_name (KvamApi api);

G_END_DECLS
