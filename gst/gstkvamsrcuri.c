/* kvamsrc: kvs:// URIs (GstURIHandler)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Like awss3src's s3:// handler, a URI carries what the element's
 * properties do, so playbin, uridecodebin, gst-play-1.0 and
 * gst-discoverer-1.0 can open a stream; unlike a launch line it is written
 * to logs and window titles, so it never carries a secret. And it comes
 * from playlists, links and other people: by itself it may not lower
 * transport security or send the user's credentials elsewhere (no
 * ssl-strict, ssl-ca-file or proxy settings; endpoint-uri only https or
 * loopback, unless KVAMSRC_URI_ANY_ENDPOINT=1 is in the environment).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkvamsrcuri.h"
#include "kvamurl.h"

#include <string.h>

/* properties a URI may not set: secrets, and the ones its form sets */
static const gchar *const secret_keys[] = { "secret-access-key",
  "session-token", "proxy-pw", NULL
};

/* transport trust: the user's to set, never a URI's */
static const gchar *const trust_keys[] = { "ssl-strict", "ssl-ca-file",
  "proxy", "proxy-id", NULL
};

#define ANY_ENDPOINT_ENV "KVAMSRC_URI_ANY_ENDPOINT"

/* not settings of the stream ("uri" is this URI itself) */
static const gchar *const not_keys[] = { "stream-name", "stats", "name",
  "parent", "blocksize", "num-buffers", "typefind", "do-timestamp", "uri",
  NULL
};

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  static const gchar *const protocols[] = { "kvs", NULL };

  return protocols;
}

/* The property @key of kvamsrc itself (not of its base classes) that a
 * URI may set, or NULL. */
static GParamSpec *
uri_property (GObject * object, const gchar * key)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (object), key);

  if (!pspec || pspec->owner_type != G_OBJECT_TYPE (object) ||
      !(pspec->flags & G_PARAM_WRITABLE) || g_strv_contains (not_keys, key) ||
      g_strv_contains (secret_keys, key) || g_strv_contains (trust_keys, key))
    return NULL;
  return pspec;
}

/* A property's value as a URI carries it; NULL when it has its default. */
static gchar *
uri_value (GObject * object, GParamSpec * pspec)
{
  g_auto (GValue) v = G_VALUE_INIT;
  gchar *s = NULL;

  g_value_init (&v, pspec->value_type);
  g_object_get_property (object, pspec->name, &v);
  if (g_param_value_defaults (pspec, &v))
    return NULL;
  if (G_VALUE_HOLDS_STRING (&v))
    s = g_value_dup_string (&v);
  else if (G_VALUE_HOLDS_ENUM (&v))
    s = g_strdup (g_enum_get_value (G_ENUM_CLASS (g_type_class_peek
                (pspec->value_type)), g_value_get_enum (&v))->value_nick);
  else
    s = gst_value_serialize (&v);
  return s;
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GObject *object = G_OBJECT (handler);
  g_autofree gchar *name = NULL;
  g_autofree GParamSpec **pspecs = NULL;
  GString *uri = g_string_new ("kvs://");
  guint n, i;
  gchar sep = '?';

  g_object_get (object, "stream-name", &name, NULL);
  if (name)
    g_string_append_uri_escaped (uri, name, NULL, FALSE);
  else
    g_string_append_c (uri, '/');
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  for (i = 0; i < n; i++) {
    g_autofree gchar *value = NULL;
    if (!uri_property (object, pspecs[i]->name) ||
        !(value = uri_value (object, pspecs[i])))
      continue;
    g_string_append_printf (uri, "%c%s=", sep, pspecs[i]->name);
    g_string_append_uri_escaped (uri, value, NULL, FALSE);
    sep = '&';
  }
  return g_string_free (uri, FALSE);
}

/* An endpoint a URI may name: https, or this machine (kvs-emulator). */
static gboolean
check_endpoint (const gchar * value, GError ** error)
{
  const gchar *any = g_getenv (ANY_ENDPOINT_ENV);

  if (kvam_url_is_https (value) || kvam_url_is_loopback (value) ||
      (any && !g_strcmp0 (any, "1")))
    return TRUE;
  g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URI: "
      "endpoint-uri '%.64s' is refused: a URI may name only an https:// "
      "endpoint or one on this machine, since it would receive requests "
      "signed with your credentials. Set the endpoint-uri property, or "
      ANY_ENDPOINT_ENV "=1 in the environment to allow it", value);
  return FALSE;
}

static gboolean
check_key (const gchar * key, const gchar * value, GError ** error)
{
  if (g_strv_contains (secret_keys, key)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URIs "
        "take no '%s': a URI ends up in logs and window titles; give "
        "secrets through the environment, a profile or the property", key);
    return FALSE;
  }
  if (g_strv_contains (trust_keys, key)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URIs "
        "take no '%s': a URI comes from playlists and links, and may not "
        "change which servers are trusted or where requests go; set the "
        "property (or the environment: HTTPS_PROXY, AWS_CA_BUNDLE)", key);
    return FALSE;
  }
  if (!g_strcmp0 (key, "endpoint-uri"))
    return check_endpoint (value, error);
  return TRUE;
}

/* Every key checked before any is set: a refused URI changes nothing. */
static gboolean
check_params (GObject * object, GHashTable * params, GError ** error)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, params);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    GParamSpec *pspec;
    g_auto (GValue) v = G_VALUE_INIT;
    if (!check_key (key, value, error))
      return FALSE;
    if (!(pspec = uri_property (object, key))) {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URI: "
          "unknown key '%.64s' (keys are kvamsrc property names)",
          (const gchar *) key);
      return FALSE;
    }
    g_value_init (&v, pspec->value_type);
    if (!gst_value_deserialize (&v, value) ||
        g_param_value_validate (pspec, &v)) {
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URI: "
          "invalid value '%.64s' for '%s'", (const gchar *) value,
          (const gchar *) key);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GObject *object = G_OBJECT (handler);
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  GHashTableIter it;
  gpointer key, value;
  const gchar *host, *query;

  if (GST_STATE (handler) > GST_STATE_READY) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "Cannot set the URI of a kvamsrc that is playing: stop it first");
    return FALSE;
  }
  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (!parsed || g_strcmp0 (g_uri_get_scheme (parsed), "kvs") != 0) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "Not a kvs:// "
        "URI: expected kvs://STREAM-NAME?start-time=...");
    return FALSE;
  }
  query = g_uri_get_query (parsed);
  params = query ? g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE,
      NULL) : g_hash_table_new (g_str_hash, g_str_equal);
  if (!params) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "kvs:// URI: "
        "its query is not key=value pairs");
    return FALSE;
  }
  if (!check_params (object, params, error))
    return FALSE;
  host = g_uri_get_host (parsed);
  g_object_set (object, "stream-name", host && *host ? host : NULL, NULL);
  if (host && *host && !g_hash_table_contains (params, "stream-arn"))
    g_object_set (object, "stream-arn", NULL, NULL);
  g_hash_table_iter_init (&it, params);
  while (g_hash_table_iter_next (&it, &key, &value))
    gst_util_set_object_arg (object, key, value);
  return TRUE;
}

void
gst_kvam_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}
