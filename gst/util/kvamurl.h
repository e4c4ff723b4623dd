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

/* A region code as AWS names them: words of lower-case letters and a
 * number of one or two digits, joined by '-' (us-west-2, ap-southeast-1,
 * us-gov-west-1), at most 63 characters. It becomes part of host names, so
 * anything else is refused ("x@127.0.0.1:PORT/#" would send signed
 * requests elsewhere), and a typo such as "us-west2" is refused at start
 * rather than found as a DNS error after the retries. */
gboolean kvam_region_is_valid (const gchar * region);
#define KVAM_REGION_FORM "expected a region code such as us-west-2 or " \
    "ap-southeast-1 (lower-case words and a number, joined by '-')"

G_END_DECLS
