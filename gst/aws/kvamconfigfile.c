/* kvamsrc: reader for the AWS shared config and credentials files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The INI dialect of the AWS CLI: "[section]", "key = value", comments with
 * '#' or ';', and indented lines below "key =" forming a nested block (as in
 * "s3 =\n  max_concurrent_requests = 10"), which we skip.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamconfigfile.h"
#include "kvamfile.h"
#include "kvamkeys.h"
#include "kvamsecret.h"

#include <string.h>

struct _KvamConfigFile
{
  gchar *path;
  GHashTable *sections;         /* name -> (key -> value) */
};

/* values may be secrets */
#define free_value kvam_secret_free

static GHashTable *
new_section (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) free_value);
}

static gboolean
fail (GError ** error, const gchar * path, guint line, const gchar * what)
{
  g_set_error (error, KVAM_CREDENTIALS_ERROR,
      KVAM_CREDENTIALS_ERROR_MALFORMED, "%s:%u: %s", path, line, what);
  return FALSE;
}

/* An indented "key = value" under "parent =" (in a [services] section,
 * "kinesis_video =" then "  endpoint_url = ...") is kept as
 * "parent.key"; an indented line without '=' there is skipped. */
static void
parse_nested (GHashTable * section, const gchar * parent, gchar * line)
{
  gchar *eq = strchr (line, '=');
  g_autofree gchar *key = NULL;

  if (!eq)
    return;
  *eq = '\0';
  key = g_ascii_strdown (g_strstrip (line), -1);
  g_hash_table_replace (section, g_strconcat (parent, ".", key, NULL),
      g_strdup (g_strstrip (eq + 1)));
}

/* @nested: the key whose indented lines follow, or NULL */
static gboolean
parse_line (KvamConfigFile * file, gchar * raw, guint lineno,
    GHashTable ** current, gchar ** nested, GError ** error)
{
  gboolean indented = raw[0] == ' ' || raw[0] == '\t';
  gchar *line = g_strstrip (raw);
  gchar *eq, *key, *value;

  if (*line == '\0' || *line == '#' || *line == ';')
    return TRUE;
  if (indented && *nested) {
    parse_nested (*current, *nested, line);
    return TRUE;
  }
  g_clear_pointer (nested, g_free);

  if (*line == '[') {
    gchar *end = strchr (line, ']');
    if (!end || end == line + 1)
      return fail (error, file->path, lineno,
          "a section header must look like [name]");
    *end = '\0';
    line = g_strstrip (line + 1);
    *current = g_hash_table_lookup (file->sections, line);
    if (!*current) {
      *current = new_section ();
      g_hash_table_insert (file->sections, g_strdup (line), *current);
    }
    return TRUE;
  }

  eq = strchr (line, '=');
  if (!eq)
    return fail (error, file->path, lineno,
        "expected '[section]' or 'key = value'");
  if (!*current)
    return fail (error, file->path, lineno,
        "'key = value' before any [section]");
  *eq = '\0';
  key = g_strstrip (line);
  value = g_strstrip (eq + 1);
  if (*key == '\0')
    return fail (error, file->path, lineno, "a setting has no name");
  key = g_ascii_strdown (key, -1);
  if (*value == '\0')
    *nested = g_strdup (key);
  g_hash_table_replace (*current, key, g_strdup (value));
  return TRUE;
}

KvamConfigFile *
kvam_config_file_parse (const gchar * path, const gchar * contents,
    GError ** error)
{
  KvamConfigFile *file = g_new0 (KvamConfigFile, 1);
  gchar **lines = g_strsplit (contents, "\n", -1);
  GHashTable *current = NULL;
  g_autofree gchar *nested = NULL;
  gboolean ok = TRUE;
  guint i;

  file->path = g_strdup (path);
  file->sections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  for (i = 0; ok && lines[i]; i++) {
    gsize len = strlen (lines[i]);
    if (len && lines[i][len - 1] == '\r')
      lines[i][len - 1] = '\0';
    ok = parse_line (file, lines[i], i + 1, &current, &nested, error);
  }
  for (i = 0; lines[i]; i++)
    kvam_secret_wipe (lines[i]);
  g_strfreev (lines);
  if (!ok)
    g_clear_pointer (&file, kvam_config_file_free);
  return file;
}

KvamConfigFile *
kvam_config_file_load (const gchar * path, GError ** error)
{
  g_autofree gchar *contents = NULL;
  GError *err = NULL;
  KvamConfigFile *file;
  gsize len;

  if (!kvam_file_read_bounded (path, NULL, KVAM_CONFIG_FILE_MAX, &contents,
          &len, &err)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "cannot read %s: %s", path,
        err->message);
    g_error_free (err);
    return NULL;
  }
  if (memchr (contents, '\0', len) || !g_utf8_validate (contents, len, NULL)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "%s is not a UTF-8 text file", path);
    memset (contents, 0, len);
    return NULL;
  }
  file = kvam_config_file_parse (path, contents, error);
  memset (contents, 0, len);
  return file;
}

void
kvam_config_file_free (KvamConfigFile * file)
{
  if (!file)
    return;
  g_free (file->path);
  g_hash_table_unref (file->sections);
  g_free (file);
}

const gchar *
kvam_config_file_path (KvamConfigFile * file)
{
  return file->path;
}

GHashTable *
kvam_config_file_section (KvamConfigFile * file, const gchar * name)
{
  return g_hash_table_lookup (file->sections, name);
}
