/* libFuzzer target: start-time / end-time parsing, and formatting back.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamfuzz.h"
#include "kvamtime.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  GstClockTime t;

  if (kvam_time_parse (text, &t)) {
    gchar *back = kvam_time_to_iso8601 (t);
    /* whatever parses is a time GstClockTime can hold */
    if (t >= (GstClockTime) KVAM_TIME_MAX_SECONDS * GST_SECOND)
      __builtin_trap ();
    g_free (back);
  }
  g_free (text);
  return 0;
}
