/* kvamsrc: Kinesis Video Streams archived media source
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_KVAM_SRC (gst_kvam_src_get_type ())
G_DECLARE_FINAL_TYPE (GstKvamSrc, gst_kvam_src, GST, KVAM_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (kvamsrc);

G_END_DECLS
