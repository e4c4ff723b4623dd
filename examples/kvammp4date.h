/* kvam-export: the recording's time as an MP4's creation time
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Sets the creation time of the MP4 at @path (mvhd, and each track's tkhd
 * and mdhd) to @when, in place; the file's size does not change. */
gboolean kvam_mp4_set_creation_time (const gchar * path, GstDateTime * when,
    GError ** error);

G_END_DECLS
