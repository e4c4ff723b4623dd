/* kvamsrc: secrets in memory: wiped before they are freed
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A key, token or password freed without wiping stays readable in the
 * heap (a core dump, the next allocation); every secret kvamsrc holds is
 * freed through here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamsecret.h"

#include <string.h>

void
kvam_secret_wipe (gchar * s)
{
  if (s)
    memset (s, 0, strlen (s));
}

void
kvam_secret_free (gchar * s)
{
  kvam_secret_wipe (s);
  g_free (s);
}
