/* kvamsrc: the merger's input block and output pieces
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "kvammkvmergerpriv.h"

G_BEGIN_DECLS

void kvam_merger_io_init (KvamMkvMerger * self);
void kvam_merger_io_clear (KvamMkvMerger * self);
void kvam_merger_io_reset_input (KvamMkvMerger * self);
/* @data NULL: the @size bytes read into the lent space */
void kvam_merger_io_add_input (KvamMkvMerger * self, const guint8 * data,
    gsize size);
GBytes *kvam_merger_io_take_bytes (KvamMkvMerger * self);
GstBuffer *kvam_merger_io_take_buffer (KvamMkvMerger * self);
gsize kvam_merger_io_output_size (KvamMkvMerger * self);
/* Writes a copy of @data. */
void kvam_merger_write_bytes (KvamMkvMerger * self, const guint8 * data,
    gsize size);
/* Writes @data, an element of the input, as a slice of it (no copy). */
void kvam_merger_write_input (KvamMkvMerger * self, const guint8 * data,
    gsize size);

G_END_DECLS
