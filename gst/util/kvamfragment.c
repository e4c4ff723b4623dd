/* kvamsrc: a fragment as the listing describes it
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfragment.h"

#include <string.h>

gint
kvam_fragment_number_compare (const gchar * a, const gchar * b)
{
  gsize la, lb;

  /* ignore leading zeros, then the longer number is the larger */
  while (*a == '0' && a[1])
    a++;
  while (*b == '0' && b[1])
    b++;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp (a, b);
}
