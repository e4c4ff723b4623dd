/* kvamsrc: bounded reads of small files a user names
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The contents of @path (NUL-terminated, @len without it) when it is a
 * regular file of at most @max bytes. The file is opened once and checked
 * on that descriptor (no gap between the check and the read), without
 * blocking on a FIFO; the cap holds while reading, for files whose size
 * lies (/proc's say 0). @what names the file in errors ("ssl-ca-file"). */
gboolean kvam_file_read_bounded (const gchar * path, const gchar * what,
    gsize max, gchar ** contents, gsize * len, GError ** error);

G_END_DECLS
