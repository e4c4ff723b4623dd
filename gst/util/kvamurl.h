/* kvamsrc: one parsed form of every URL and region kvamsrc sends to
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @url as every check and every request sees it: an http or https URL
 * with a host, scheme and host lower-cased, no trailing slash, no user
 * information, query or fragment. NULL when @url is not one. */
gchar *kvam_url_canonical (const gchar * url);
/* For a canonical URL (or one kvam_url_canonical () accepts). */
gboolean kvam_url_is_https (const gchar * url);
/* A host of 127.0.0.0/8, ::1 or "localhost": the machine itself. */
gboolean kvam_url_is_loopback (const gchar * url);

/* A region is a host label, as botocore checks it: 1 to 63 letters,
 * digits and '-', neither first nor last a '-'. It becomes part of host
 * names: "x@127.0.0.1:PORT/#" would send signed requests elsewhere. */
gboolean kvam_region_is_valid (const gchar * region);

G_END_DECLS
