/* kvamsrc: process-wide pacing of calls to one stream's API
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Kinesis Video allows 5 calls per second per stream per API, counted by
 * the service across all clients. Every element of the process that calls
 * the same API of the same stream shares one pacer, found by its key. */
typedef struct _KvamPacer KvamPacer;

#define KVAM_PACER_CALLS 5
/* a little over a second per 5 calls, so arrival jitter never trips the
 * service's limit */
#define KVAM_PACER_WINDOW_US (G_USEC_PER_SEC + 100 * 1000)

/* The pacer for @key (endpoint, stream and API, say). It is shared, and it
 * remembers its last calls for a window after its last release. */
KvamPacer *kvam_pacer_acquire (const gchar * key);
void kvam_pacer_release (KvamPacer * pacer);

/* Books the next free send time, stores it in @booked (monotonic µs) and
 * returns how many µs from now it is (0: send at once). A booked time is
 * spent even if the caller gives up. */
gint64 kvam_pacer_reserve (KvamPacer * pacer, gint64 * booked);

/* The call booked at @booked was answered now, so it reached the service
 * (which counts calls as they arrive) no later: if that is later than
 * booked (signing, connecting, a busy machine), the calls booked after it
 * keep their distance from now. A call of one thread is answered before
 * the same thread books its next. */
void kvam_pacer_sent (KvamPacer * pacer, gint64 booked);

/* GetMediaForFragmentList allows 5 connections at once per stream, counted
 * like the calls. A session's own response always gets one (_take); a
 * read-ahead response only while fewer than @limit are open (_try). */
#define KVAM_PACER_CONNECTIONS 5
void kvam_pacer_take_connection (KvamPacer * pacer);
gboolean kvam_pacer_try_connection (KvamPacer * pacer, guint limit);
void kvam_pacer_drop_connection (KvamPacer * pacer);

G_END_DECLS
