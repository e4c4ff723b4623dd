/* kvamsrc: running kvamsrc pipelines against kvs-emulator in tests
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include "kvsemulator.h"

G_BEGIN_DECLS

typedef struct
{
  GPtrArray *fragments;         /* fragment-number of each kvam-fragment message */
  GArray *fragment_times;       /* their "timestamp" (GstClockTime) */
  GByteArray *raw;              /* kvamsrc's output, when asked for */
  guint frames;                 /* buffers reaching the sink */
  GstClockTime end;             /* latest PTS + duration there */
  guint audio_frames;           /* the same at "asink", if there is one */
  GstClockTime audio_end;
  guint disconts;               /* DISCONT buffers from kvamsrc, after the first */
  GArray *discont_offsets;      /* gsize: where in raw each of them began */
  guint src_buffers;
  guint segments;               /* SEGMENT events reaching the sink */
  gboolean monotonic;           /* sink buffer PTS never went back */
  GPtrArray *widths;            /* "WxH" of each caps event at the sink */
  GstMessage *error;            /* the first error, or NULL */
  GPtrArray *warnings;          /* GstMessage */
  gboolean eos;
  gdouble seconds;              /* wall time to EOS or error */
  GstStructure *stats;          /* kvamsrc's stats at the end */
  GstDateTime *datetime;        /* the first GST_TAG_DATE_TIME posted */
} KvamPlayResult;

void kvam_play_result_free (KvamPlayResult * r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvamPlayResult, kvam_play_result_free)

/* "kvamsrc name=src ! @tail": @tail must name its last element "sink" (and
 * may have a second branch ending in "asink").
 * kvamsrc gets the emulator's endpoint and keys, then the NULL-terminated
 * property/value string pairs of @props. Runs until EOS, an error or
 * @timeout_s. */
KvamPlayResult *kvam_test_play (KvsEmulator * emu, const gchar * tail,
    gboolean keep_raw, guint timeout_s, const gchar * const *props);

/* Called every 100 ms while a pipeline plays, on the test's thread. */
typedef void (*KvamPlayTick) (GstElement * src, gpointer user_data);
KvamPlayResult *kvam_test_play_full (KvsEmulator * emu, const gchar * tail,
    gboolean keep_raw, guint timeout_s, const gchar * const *props,
    KvamPlayTick tick, gpointer user_data);

/* The same against any endpoint (a fake service), with the emulator's
 * region and keys unless @props say otherwise. */
KvamPlayResult *kvam_test_play_at (const gchar * url, const gchar * tail,
    gboolean keep_raw, guint timeout_s, const gchar * const *props,
    KvamPlayTick tick, gpointer user_data);

/* Whether a warning says a call is retried or a response resumed: what a
 * faulty service is expected to cause. */
gboolean kvam_test_is_retry_warning (GstMessage * warning);
/* The warnings of @r that are not that; the first one's text in *@first
 * (free it), "" with none. */
guint kvam_test_other_warnings (KvamPlayResult * r, gchar ** first);

/* Fails the test unless the run ended with an error of @domain/@code whose
 * message contains @needle. */
void kvam_test_assert_error (KvamPlayResult * r, GQuark domain, gint code,
    const gchar * needle);

/* Every frame kvamsrc should write for fragments @first..@first+@n-1 of
 * @stream played as one range (kvam_test_frames' form, in ms): each
 * fragment's frames as the emulator stores them, its first cluster at its
 * producer time minus the first's, and a frame that would not come after
 * what earlier fragments had of its track dropped. */
GPtrArray *kvam_test_expected_frames (KvsEmulator * emu, const gchar * stream,
    guint first, guint n);
/* Fails unless kvamsrc's output (@r->raw) holds exactly those frames, and
 * no Tags element (they would pile up in matroskademux). */
void kvam_test_assert_timeline (KvamPlayResult * r, KvsEmulator * emu,
    const gchar * stream, guint first, guint n);

/* Values of an AWS tag in Matroska bytes, in order. */
GPtrArray *kvam_test_tag_values (const guint8 * data, gsize size,
    const gchar * name);

G_END_DECLS
