/* kvamsrc: following a stream while it is being ingested
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include "kvamclient.h"
#include "kvamfragmentindex.h"

G_BEGIN_DECLS

/* How often ListFragments is asked for new fragments: twice a second
 * while fragments come (of the 5 calls/s per stream), every 2 s once the
 * stream has gone quiet. */
#define KVAM_FOLLOW_POLL (500 * GST_MSECOND)
#define KVAM_FOLLOW_QUIET_POLL (2 * GST_SECOND)
/* How long a fragment after a hole waits for one listed late to fill it:
 * the service's listing is eventually consistent, usually within 1 s. */
#define KVAM_FOLLOW_STRAGGLER_WAIT (1500 * GST_MSECOND)
/* Fragment length assumed until one is listed: the producer SDK's */
#define KVAM_FOLLOW_DEFAULT_FRAGMENT (2 * GST_SECOND)

/* Polls for new fragments failed @failures times in a row, the last with
 * @err (each after the client's retries): the service, not the producer,
 * is why nothing new plays. Told on the first failure, then at most every
 * KVAM_FOLLOW_FAILURE_NOTICE; following goes on. */
typedef void (*KvamFollowFailed) (gpointer data, const KvamAwsError * err,
    guint failures);
#define KVAM_FOLLOW_FAILURE_NOTICE (10 * GST_SECOND)

typedef struct
{
  GstElement *element;          /* kvam-stream-quiet/-resumed, LATENCY */
  KvamFollowFailed on_failure;  /* may be NULL */
  gpointer on_failure_data;
  const gchar *stream;
  KvamFragmentIndex *index;     /* its start: the first time to play */
  KvamClient *client;
  guint max_results;
  gboolean from_newest;         /* live: begin at the newest fragment */
  GstClockTime end;             /* NONE: follow until stopped */
  GCancellable *cancellable;
} KvamFollowConfig;

typedef struct _KvamFollow KvamFollow;

KvamFollow *kvam_follow_new (const KvamFollowConfig * config);
void kvam_follow_free (KvamFollow * follow);

/* Lists the range up to the recent past, then polls for new fragments and
 * publishes them in order until @end is covered, an error or cancellation;
 * then ends the index's listing. Blocking: the lister thread's body. */
void kvam_follow_run (KvamFollow * follow);

/* The latency of live output: a fragment's frames are listed only once it
 * is ingested (up to its length after the first was captured), then found
 * by polling, then perhaps held for a straggler. From any thread. */
GstClockTime kvam_follow_get_latency (KvamFollow * follow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamFollow, kvam_follow_free)

G_END_DECLS
