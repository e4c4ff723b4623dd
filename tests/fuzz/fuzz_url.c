/* libFuzzer target: endpoint URLs and regions, as every source gives them.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: the text. What is accepted must be stable (canonical of canonical
 * is itself), https exactly when its scheme says so, and a region a host
 * label that cannot carry a host of its own.
 */
#include "kvamfuzz.h"
#include "kvamurl.h"

#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  gchar *canonical = kvam_url_canonical (text);

  if (canonical) {
    gchar *again = kvam_url_canonical (canonical);

    if (!again || strcmp (again, canonical) != 0)
      __builtin_trap ();
    if (kvam_url_is_https (canonical) != g_str_has_prefix (canonical,
            "https://"))
      __builtin_trap ();
    if (kvam_url_is_https (text) != kvam_url_is_https (canonical) ||
        kvam_url_is_loopback (text) != kvam_url_is_loopback (canonical))
      __builtin_trap ();
    g_free (again);
  }
  if (kvam_region_is_valid (text) && strpbrk (text, "@:/#?. \\"))
    __builtin_trap ();
  g_free (canonical);
  g_free (text);
  return 0;
}
