/* libFuzzer target: the INI dialect of ~/.aws/config and credentials.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamfuzz.h"
#include "kvamconfigfile.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  gchar *text = g_strndup ((const gchar *) data, size);
  KvamConfigFile *f = kvam_config_file_parse ("fuzz", text, NULL);

  if (f) {
    kvam_config_file_section (f, "default");
    kvam_config_file_section (f, "profile work");
    kvam_config_file_free (f);
  }
  g_free (text);
  return 0;
}
