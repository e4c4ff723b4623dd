/* kvamsrc: reader for the AWS shared config and credentials files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KvamConfigFile KvamConfigFile;

/* The longest shared file, token or cache read (they are a few KiB). */
#define KVAM_CONFIG_FILE_MAX (1024 * 1024)

/* Errors name the file and the line, never the line's text (it may hold a
 * secret). */
KvamConfigFile *kvam_config_file_load (const gchar * path, GError ** error);
KvamConfigFile *kvam_config_file_parse (const gchar * path,
    const gchar * contents, GError ** error);
void kvam_config_file_free (KvamConfigFile * file);

const gchar *kvam_config_file_path (KvamConfigFile * file);
/* key -> value of section @name, or NULL; owned by @file */
GHashTable *kvam_config_file_section (KvamConfigFile * file,
    const gchar * name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamConfigFile, kvam_config_file_free)

G_END_DECLS
