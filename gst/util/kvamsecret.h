/* kvamsrc: secrets in memory: wiped before they are freed
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Overwrites the string @s (may be NULL) with zeros. */
void kvam_secret_wipe (gchar * s);
/* Wipes and frees @s (may be NULL); a GDestroyNotify. */
void kvam_secret_free (gchar * s);

G_END_DECLS
