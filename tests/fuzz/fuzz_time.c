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
  gchar *why = NULL;
  GstClockTime t;

  if (kvam_time_parse (text, &t)) {
    gchar *back = kvam_time_to_iso8601 (t);
    /* whatever parses is a time GstClockTime can hold */
    if (t >= (GstClockTime) KVAM_TIME_MAX_SECONDS * GST_SECOND)
      __builtin_trap ();
    g_free (back);
  }
  /* relative forms, and the reason given for what is no time */
  if (kvam_time_parse_relative (text, 1764000000 * GST_SECOND, &t, &why)) {
    if (t >= (GstClockTime) KVAM_TIME_MAX_SECONDS * GST_SECOND || why)
      __builtin_trap ();
  } else if (!why) {
    __builtin_trap ();
  }
  g_free (why);
  g_free (text);
  return 0;
}
