/* kvamsrc: one playback of a range: batches, responses, resume, messages
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include "kvamclient.h"
#include "kvamfragmentindex.h"

G_BEGIN_DECLS

/* The streaming state machine of kvamsrc, apart from the element's GObject
 * and GstBaseSrc glue: which fragments come next, the GetMediaForFragment
 * List response being read, the merger, resuming after cuts, in-band and
 * damaged fragments, and the kvam-fragment messages, element warnings and
 * errors it posts on @element. Used from the streaming thread only, but
 * for the stats. */
typedef struct _KvamSession KvamSession;

typedef struct
{
  GstElement *element;          /* messages, errors and warnings go here */
  const gchar *stream;          /* name or ARN, for messages */
  KvamClient *client;           /* not owned */
  KvamFragmentIndex *index;     /* not owned */
  GCancellable *cancellable;    /* the element's unlock(); not owned */
  KvamSelector selector;
  GstClockTime range_start, range_end;
  guint retry_attempts;
  guint request_timeout_ms;
  gboolean keep_timecodes;
  gboolean fail_on_fragment_error;
  gboolean live;                /* the index grows while it is read */
  guint max_concurrent;         /* media responses at once, 1-5 */
  guint64 max_bytes_ahead;      /* read-ahead responses' memory */
} KvamSessionConfig;

/* The one poster of element errors and warnings (@type), the session's and
 * the element's: @text taken; details: @stream, @fragment's number and
 * what AWS said in @err (both may be NULL). Any thread. */
void kvam_post_message (GstElement * element, const gchar * stream,
    GstMessageType type, GQuark domain, gint code,
    const KvamFragment * fragment, const KvamAwsError * err, gchar * text);

KvamSession *kvam_session_new (const KvamSessionConfig * config);
void kvam_session_free (KvamSession * session);

/* Blocks until merged bytes are ready (*@out: frames as slices of what
 * was read, not copies), the range is done (EOS), an error was posted
 * (ERROR) or unlock() (FLUSHING). Reads @blocksize bytes of the response at
 * a time. The kvam-fragment messages of the fragments that begin in *@out
 * are posted before it returns. */
GstFlowReturn kvam_session_read (KvamSession * session, guint blocksize,
    GstBuffer ** out);

/* Seeking: matroskademux asks for the Cues (SeekHead -> Cues), then for
 * the position of a fragment's first cluster (kvamseekindex.h); a seek to
 * 0 starts over. FALSE for any other position. Called with the streaming
 * thread stopped (basesrc's do_seek). */
gboolean kvam_session_seek (KvamSession * session, guint64 offset);
/* Whether kvam_session_seek() would take @offset; from any thread. */
gboolean kvam_session_can_seek (KvamSession * session, guint64 offset);

/* Whether the bytes returned next follow a gap (a skipped fragment). */
gboolean kvam_session_take_discont (KvamSession * session);

typedef struct
{
  guint delivered;              /* fragments whose last frame went out */
  guint skipped;
  guint64 frames_dropped;       /* not after their track's last frame */
  GstClockTime current_producer;        /* NONE before the first fragment */
  guint in_flight;              /* media responses open */
  guint64 bytes_ahead;          /* read ahead, not yet merged */
  guint concurrency;            /* what the session aims for now */
} KvamSessionStats;

/* From any thread. */
void kvam_session_get_stats (KvamSession * session, KvamSessionStats * stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamSession, kvam_session_free)

G_END_DECLS
