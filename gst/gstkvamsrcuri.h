/* kvamsrc: kvs:// URIs (GstURIHandler)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* kvs://STREAM-NAME?KEY=VALUE&... or kvs:///?stream-arn=ARN&..., every key
 * a kvamsrc property, values percent-encoded. Secrets are refused: a URI
 * ends up in logs and window titles. */
void gst_kvam_src_uri_handler_init (gpointer g_iface, gpointer iface_data);

G_END_DECLS
