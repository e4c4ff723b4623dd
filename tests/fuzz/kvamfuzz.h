/* kvamsrc fuzz targets: what every target shares
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <stdlib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

/* A GLib critical is a finding: it aborts, so that libFuzzer reports it
 * with its input (G_DEBUG=fatal-criticals would stop on a breakpoint trap,
 * which libFuzzer does not catch). json-glib's getters raised criticals
 * on members of the wrong kind, and a body of blanks parsed to no root. */
static GLogWriterOutput
kvam_fuzz_log_writer (GLogLevelFlags level, const GLogField * fields,
    gsize n_fields, gpointer user_data)
{
  GLogWriterOutput out = g_log_writer_standard_streams (level, fields,
      n_fields, user_data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    abort ();
  return out;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (kvam_fuzz_log_writer, NULL, NULL);
  return 0;
}
