/* kvamsrc: the merger's output timeline
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "kvammkvmergerpriv.h"

G_BEGIN_DECLS

void kvam_merger_begin_cluster_time (KvamMkvMerger * self, guint64 tc);
void kvam_merger_handle_cluster_child (KvamMkvMerger * self,
    const Element * e);

G_END_DECLS
