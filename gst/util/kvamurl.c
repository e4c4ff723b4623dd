/* kvamsrc: one parsed form of every URL and region kvamsrc sends to
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checks and requests must agree on what a URL says: a check that
 * lower-cases the scheme and a lookup that compares the raw string let
 * "HTTPS://" pass as https and then be treated as something else. Every
 * endpoint (the endpoint-uri property, configured endpoints, DataEndpoint
 * answers) goes through kvam_url_canonical () once, and only the result
 * is compared or used.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamurl.h"

#include <string.h>
#include <gio/gio.h>

static GUri *
parse_http (const gchar * url)
{
  GUri *uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  /* GUri lower-cases the scheme */
  if (uri && g_uri_get_host (uri) && *g_uri_get_host (uri) &&
      (!g_strcmp0 (scheme, "https") || !g_strcmp0 (scheme, "http")) &&
      !g_uri_get_userinfo (uri) && !g_uri_get_query (uri) &&
      !g_uri_get_fragment (uri))
    return uri;
  if (uri)
    g_uri_unref (uri);
  return NULL;
}

gchar *
kvam_url_canonical (const gchar * url)
{
  g_autoptr (GUri) uri = parse_http (url);
  g_autoptr (GUri) clean = NULL;
  g_autofree gchar *host = NULL;
  g_autofree gchar *path = NULL;
  gsize len;

  if (!uri)
    return NULL;
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  path = g_strdup (g_uri_get_path (uri));
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';
  clean = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, host,
      g_uri_get_port (uri), path, NULL, NULL);
  return g_uri_to_string (clean);
}

gboolean
kvam_url_is_https (const gchar * url)
{
  g_autoptr (GUri) uri = parse_http (url);

  return uri && !g_strcmp0 (g_uri_get_scheme (uri), "https");
}

gboolean
kvam_url_is_loopback (const gchar * url)
{
  g_autoptr (GUri) uri = parse_http (url);
  g_autoptr (GInetAddress) addr = NULL;
  const gchar *host;

  if (!uri)
    return FALSE;
  host = g_uri_get_host (uri);
  if (!g_ascii_strcasecmp (host, "localhost"))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr && g_inet_address_get_is_loopback (addr);
}

gboolean
kvam_region_is_valid (const gchar * region)
{
  g_auto (GStrv) parts = NULL;
  guint n, i;
  const gchar *p;

  if (!region || !*region || strlen (region) > 63)
    return FALSE;
  for (p = region; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  parts = g_strsplit (region, "-", -1);
  n = g_strv_length (parts);
  if (n < 3 || strlen (parts[n - 1]) > 2)
    return FALSE;
  for (i = 0; i < n; i++) {
    if (!*parts[i])
      return FALSE;
    for (p = parts[i]; *p; p++)
      if (i == n - 1 ? !g_ascii_isdigit (*p) : !g_ascii_islower (*p))
        return FALSE;
  }
  return TRUE;
}
