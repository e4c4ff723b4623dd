/* kvamsrc: the playback session's state, shared by its files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * kvamsession.c: the streaming loop (batches, responses, resume, messages,
 * seeking). kvamsessionbatches.c: planning batches, the read-ahead
 * responses, how many responses at once.
 */
#pragma once

#include "kvamsession.h"
#include "kvammkvmerger.h"
#include "kvamprefetch.h"

G_BEGIN_DECLS

/* Fragments per GetMediaForFragmentList: the service's maximum. The
 * response is streamed, so a large batch costs no memory; fewer calls mean
 * fewer round trips and a wide margin under the 5 calls/s limit. The first
 * batch is as small as the first listing window, for a quick first byte. */
#define MEDIA_BATCH 1000
/* A batch also ends after about a second of what one response delivers
 * (by listed sizes, or the mean size seen if larger: a listing may lie),
 * and at most this share of max-bytes-ahead (at least that share, up to
 * MAX_FIRST_BATCH_BYTES, before a response was timed): read-ahead batches
 * fit in the budget, at AWS's 25 MB/s a response lasts about a second
 * (3 calls/s at 100 MB/s), and a fast network is not held to 5 small
 * calls a second. */
#define BATCH_SHARE 4
#define MAX_FIRST_BATCH_BYTES (32 * 1024 * 1024)
/* a response is timed once it delivered this much */
#define TIMED_RESPONSE_BYTES (1024 * 1024)
/* concurrency is reconsidered after a second and this many bytes of
 * output: slow playback never gets there, so it never reads ahead */
#define ADAPT_WINDOW_BYTES (512 * 1024)
#define ADAPT_WINDOW_US G_USEC_PER_SEC

/* Where the streaming thread is; it changes in kvam_session_set_state
 * only, which knows the transitions:
 *   BETWEEN -> READING (a response opened) -> BETWEEN (it ended, was
 *   dropped or given up on); READING -> ENDING (a read that filled its
 *   block met the end or an error) -> READING (the end is handed to the
 *   next read, after that block is merged); a seek: any -> BETWEEN, then
 *   -> CUES (a BYTES seek to the Cues) -> AFTER_CUES (they went out). */
typedef enum
{
  KVAM_SERVE_BETWEEN,           /* no response: the next read opens one */
  KVAM_SERVE_READING,
  KVAM_SERVE_ENDING,
  KVAM_SERVE_CUES,              /* the next read serves the Cues */
  KVAM_SERVE_AFTER_CUES,        /* EOS until the seek that follows them */
} KvamServeState;

struct _KvamSession
{
  GstElement *element;
  gchar *stream;
  KvamClient *client;
  KvamFragmentIndex *index;
  GCancellable *cancellable;
  KvamSelector selector;
  GstClockTime range_start, range_end;
  guint retry_attempts;
  guint request_timeout;        /* ms */
  gboolean keep_timecodes;
  gboolean fail_on_fragment_error;
  gboolean live;
  guint max_concurrent;
  guint64 batch_bytes;           /* adapted to the responses' speed */
  guint64 min_batch_bytes;
  guint64 max_batch_bytes;       /* a share of max-bytes-ahead */
  /* what whole responses delivered, for batches by real sizes: listed
   * sizes may lie */
  guint64 seen_bytes;
  guint64 seen_fragments;
  gint64 response_opened;       /* monotonic µs, own responses */
  guint64 response_bytes;

  KvamMkvMerger *merger;
  guint64 merger_dropped;       /* its dropped frames counted in dropped */
  GstClockTime base;            /* epoch time of output time 0; NONE: kept */
  KvamServeState state;
  GInputStream *response;       /* READING and ENDING only */
  gboolean response_is_own;     /* not a read-ahead one: holds a connection */
  GError *response_error;       /* ENDING: what ended it (NULL: its end) */
  GPtrArray *batch;             /* const KvamFragment * of the response */
  guint batch_end;              /* the planned batch's end: a resumed
                                 * response stops there, where the next
                                 * (perhaps read ahead) begins */
  GQueue prefetches;            /* Prefetch, in batch order */
  KvamBudget *budget;
  KvamPacer *media_pacer;       /* process-wide connection count */
  gint open_connections;        /* atomic: own and read-ahead */
  guint concurrency;            /* 1 .. max_concurrent, adapted */
  gint64 window_start, window_wait; /* monotonic µs, for adapting */
  guint64 window_bytes;
  gint64 read_wait;             /* µs in reads since the last window */
  guint next_fragment;          /* first fragment not completely written */
  KvamMergerResume resume;
  guint failures;               /* consecutive, reset when data arrives */
  gint64 last_retry_warning;    /* monotonic µs, 0: none yet */
  guint retries_unwarned;       /* resumed since then */
  guint fragment_failures;      /* in-band errors of next_fragment */
  gboolean discont;
  /* not states, what goes out next: */
  gboolean discont_next;        /* a gap after the buffer going out now */
  GQueue held;                  /* GstBuffer after a gap, merged already */
  GPtrArray *pending_messages;  /* posted with the next buffer */
  guint pending_delivered;      /* fragments whose last frame is out */
  gint64 last_progress;         /* monotonic µs: response opened or frames out */

  GMutex stats_lock;
  guint64 segment_start;        /* from the merger once its header is out */
  guint delivered;
  guint skipped;
  guint64 dropped;              /* frames, to keep tracks monotonic */
  GstClockTime current_producer;
};


/* kvamsession.c */
void kvam_session_set_state (KvamSession * self, KvamServeState state);

/* kvamsessionbatches.c */
void kvam_session_batches_init (void);
void kvam_session_set_response (KvamSession * self, GInputStream * response,
    gboolean own);
void kvam_session_clear_response (KvamSession * self);
void kvam_session_clear_prefetches (KvamSession * self);
gboolean kvam_session_plan_batch (KvamSession * self, guint first,
    guint published, gboolean complete, guint * count);
gboolean kvam_session_batch_ahead (KvamSession * self, guint first,
    guint * count);
gchar *kvam_session_batch_body (KvamSession * self, guint first,
    guint count);
void kvam_session_start_prefetches (KvamSession * self);
GInputStream *kvam_session_take_prefetch (KvamSession * self);
void kvam_session_adapt_concurrency (KvamSession * self, gsize n);
void kvam_session_time_response (KvamSession * self);

/* kvamsessionevents.c */
void kvam_session_events_init (void);
const KvamFragment *kvam_session_batch_fragment (KvamSession * self,
    guint i);
void kvam_session_post_pending_messages (KvamSession * self);

/* kvamsessionposts.c: kvam_post_message on the session's element and
 * stream. */
void kvam_session_post (KvamSession * self, GstMessageType type,
    GQuark domain, gint code, const KvamFragment * fragment,
    const KvamAwsError * err, gchar * text);
/* A failed call, as the error a user can act on. */
void kvam_session_post_aws_error (KvamSession * self,
    const KvamAwsError * err);
void kvam_session_count_delivered (KvamSession * self);
gboolean kvam_session_give_up_on_fragment (KvamSession * self,
    const KvamFragment * f, const gchar * code, const gchar * message);
gboolean kvam_session_handle_merger_events (KvamSession * self,
    gboolean * abandon, GArray * gaps);
GstBuffer *kvam_session_split_at_gaps (KvamSession * self,
    GstBuffer * merged, GArray * gaps);

G_END_DECLS
