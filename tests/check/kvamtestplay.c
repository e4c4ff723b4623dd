/* kvamsrc: running kvamsrc pipelines against kvs-emulator in tests
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvamtestplay.h"
#include "kvamtestutil.h"
#include "kvsmedia.h"

#include <gst/check/gstcheck.h>

#include <stdio.h>
#include <string.h>

/* Keeps the frames of one fragment that come after what the fragments
 * before it had of their track (@last: track -> latest time + 1). */
static void
keep_moving_frames (GPtrArray * out, GPtrArray * frames, GHashTable * last)
{
  g_autoptr (GHashTable) floor = g_hash_table_new (NULL, NULL);
  guint i;

  for (i = 0; i < frames->len; i++) {
    guint track;
    gint64 t;
    gpointer key, seen;

    fail_unless (sscanf (frames->pdata[i], "track %u at %" G_GINT64_FORMAT,
            &track, &t) == 2);
    key = GUINT_TO_POINTER (track);
    if (!g_hash_table_lookup_extended (floor, key, NULL, &seen)) {
      seen = g_hash_table_lookup (last, key);
      g_hash_table_insert (floor, key, seen);
    }
    if (t < 0 || (seen && (gsize) t < GPOINTER_TO_SIZE (seen)))
      continue;
    if ((gsize) t + 1 > GPOINTER_TO_SIZE (g_hash_table_lookup (last, key)))
      g_hash_table_insert (last, key, GSIZE_TO_POINTER ((gsize) t + 1));
    g_ptr_array_add (out, g_strdup (frames->pdata[i]));
  }
}

GPtrArray *
kvam_test_expected_frames (KvsEmulator * emu, const gchar * stream,
    guint from, guint n)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) last = g_hash_table_new (NULL, NULL);
  const KvsFragment *f;
  guint count, i, j;

  f = kvs_emulator_get_fragments (emu, stream, &count);
  fail_unless (f != NULL && from + n <= count);
  for (i = from; i < from + n; i++) {
    g_autoptr (GPtrArray) pieces = kvs_fragment_pieces (&f[i], KVS_TAGS_REAL);
    g_autoptr (GByteArray) doc = g_byte_array_new ();
    g_autoptr (GPtrArray) frames = NULL;

    for (j = 0; j < pieces->len; j++)
      g_byte_array_append (doc, g_bytes_get_data (pieces->pdata[j], NULL),
          g_bytes_get_size (pieces->pdata[j]));
    frames = kvam_test_frames_rebased (doc->data, doc->len,
        f[i].producer_ms - f[from].producer_ms);
    keep_moving_frames (out, frames, last);
  }
  return out;
}

void
kvam_test_assert_timeline (KvamPlayResult * r, KvsEmulator * emu,
    const gchar * stream, guint from, guint n)
{
  g_autoptr (GPtrArray) want = kvam_test_expected_frames (emu, stream, from, n);
  g_autoptr (GPtrArray) got = NULL;
  g_autoptr (GPtrArray) tags = NULL;
  g_autofree gchar *diff = NULL;

  fail_unless (r->raw != NULL, "the run kept no output");
  got = kvam_test_frames (r->raw->data, r->raw->len);
  diff = kvam_test_frames_diff (got, want);
  fail_unless (diff == NULL, "fragments %u-%u: %s", from, from + n - 1, diff);
  tags = kvam_test_tag_values (r->raw->data, r->raw->len,
      "AWS_KINESISVIDEO_FRAGMENT_NUMBER");
  fail_unless_equals_int (tags->len, 0);
}

gboolean
kvam_test_is_retry_warning (GstMessage * warning)
{
  g_autoptr (GError) e = NULL;

  gst_message_parse_warning (warning, &e, NULL);
  return strstr (e->message, "; retrying (retry ") ||
      strstr (e->message, "; resuming (retry ");
}

guint
kvam_test_other_warnings (KvamPlayResult * r, gchar ** first)
{
  guint i, n = 0;

  *first = NULL;
  for (i = 0; i < r->warnings->len; i++) {
    GstMessage *w = g_ptr_array_index (r->warnings, i);
    if (kvam_test_is_retry_warning (w))
      continue;
    if (!n++) {
      g_autoptr (GError) e = NULL;
      gst_message_parse_warning (w, &e, NULL);
      *first = g_strdup (e->message);
    }
  }
  if (!*first)
    *first = g_strdup ("");
  return n;
}

void
kvam_test_assert_error (KvamPlayResult * r, GQuark domain, gint code,
    const gchar * needle)
{
  GError *err = NULL;

  fail_unless (r->error != NULL, "no error");
  gst_message_parse_error (r->error, &err, NULL);
  fail_unless (g_error_matches (err, domain, code), "wrong error: %s (%s %d)",
      err->message, g_quark_to_string (err->domain), err->code);
  fail_unless (strstr (err->message, needle) != NULL, "'%s' lacks '%s'",
      err->message, needle);
  g_error_free (err);
}

void
kvam_play_result_free (KvamPlayResult * r)
{
  g_ptr_array_unref (r->fragments);
  g_array_unref (r->fragment_times);
  g_array_unref (r->discont_offsets);
  if (r->raw)
    g_byte_array_unref (r->raw);
  g_ptr_array_unref (r->widths);
  g_clear_pointer (&r->error, gst_message_unref);
  g_ptr_array_unref (r->warnings);
  g_clear_pointer (&r->stats, gst_structure_free);
  g_clear_pointer (&r->datetime, gst_date_time_unref);
  g_free (r);
}

typedef struct
{
  KvamPlayResult *r;
  GstClockTime last_pts;
  GMutex lock;
} Probe;

static void
note_end (GstClockTime * end, GstBuffer * buf)
{
  GstClockTime t = GST_BUFFER_PTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return;
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    t += GST_BUFFER_DURATION (buf);
  if (!GST_CLOCK_TIME_IS_VALID (*end) || t > *end)
    *end = t;
}

static GstPadProbeReturn
audio_probe (GstPad * pad, GstPadProbeInfo * info, Probe * p)
{
  g_mutex_lock (&p->lock);
  p->r->audio_frames++;
  note_end (&p->r->audio_end, GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, Probe * p)
{
  g_mutex_lock (&p->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime pts = GST_BUFFER_PTS (buf);
    p->r->frames++;
    note_end (&p->r->end, buf);
    if (GST_CLOCK_TIME_IS_VALID (pts)) {
      if (GST_CLOCK_TIME_IS_VALID (p->last_pts) && pts < p->last_pts)
        p->r->monotonic = FALSE;
      p->last_pts = pts;
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      p->r->segments++;
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gint w = 0, h = 0;
      gst_event_parse_caps (ev, &caps);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "height", &h);
      g_ptr_array_add (p->r->widths, g_strdup_printf ("%dx%d", w, h));
    }
  }
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
raw_probe (GstPad * pad, GstPadProbeInfo * info, Probe * p)
{
  GstMapInfo map;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&p->lock);
  if (p->r->src_buffers++ > 0 &&
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT)) {
    gsize at = p->r->raw ? p->r->raw->len : 0;

    p->r->disconts++;
    g_array_append_val (p->r->discont_offsets, at);
  }
  g_mutex_unlock (&p->lock);
  if (p->r->raw && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_mutex_lock (&p->lock);
    g_byte_array_append (p->r->raw, map.data, map.size);
    g_mutex_unlock (&p->lock);
    gst_buffer_unmap (buf, &map);
  }
  return GST_PAD_PROBE_OK;
}

static void
handle_message (KvamPlayResult * r, GstMessage * msg)
{
  const GstStructure *s = gst_message_get_structure (msg);

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "kvam-fragment")) {
        guint64 t = 0;
        gst_structure_get_uint64 (s, "timestamp", &t);
        g_ptr_array_add (r->fragments, g_strdup (gst_structure_get_string (s,
                    "fragment-number")));
        g_array_append_val (r->fragment_times, t);
      }
      break;
    case GST_MESSAGE_WARNING:
      g_ptr_array_add (r->warnings, gst_message_ref (msg));
      break;
    case GST_MESSAGE_TAG:
      if (!r->datetime) {
        GstTagList *tags = NULL;

        gst_message_parse_tag (msg, &tags);
        gst_tag_list_get_date_time (tags, GST_TAG_DATE_TIME, &r->datetime);
        gst_tag_list_unref (tags);
      }
      break;
    case GST_MESSAGE_ERROR:
      if (!r->error)
        r->error = gst_message_ref (msg);
      break;
    case GST_MESSAGE_EOS:
      r->eos = TRUE;
      break;
    default:
      break;
  }
}

KvamPlayResult *
kvam_test_play (KvsEmulator * emu, const gchar * tail, gboolean keep_raw,
    guint timeout_s, const gchar * const *props)
{
  return kvam_test_play_full (emu, tail, keep_raw, timeout_s, props, NULL,
      NULL);
}

KvamPlayResult *
kvam_test_play_full (KvsEmulator * emu, const gchar * tail,
    gboolean keep_raw, guint timeout_s, const gchar * const *props,
    KvamPlayTick tick, gpointer user_data)
{
  g_autofree gchar *url = kvs_emulator_get_url (emu);

  return kvam_test_play_at (url, tail, keep_raw, timeout_s, props, tick,
      user_data);
}

KvamPlayResult *
kvam_test_play_at (const gchar * url, const gchar * tail, gboolean keep_raw,
    guint timeout_s, const gchar * const *props, KvamPlayTick tick,
    gpointer user_data)
{
  KvamPlayResult *r = g_new0 (KvamPlayResult, 1);
  g_autofree gchar *launch = g_strdup_printf ("kvamsrc name=src ! %s", tail);
  GstElement *pipeline = gst_parse_launch (launch, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  GstBus *bus = gst_element_get_bus (pipeline);
  Probe probe = { r, GST_CLOCK_TIME_NONE, {0} };
  gint64 t0 = g_get_monotonic_time ();
  gint64 deadline = t0 + timeout_s * G_USEC_PER_SEC;
  guint i;

  r->fragments = g_ptr_array_new_with_free_func (g_free);
  r->fragment_times = g_array_new (FALSE, FALSE, sizeof (guint64));
  r->discont_offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  r->widths = g_ptr_array_new_with_free_func (g_free);
  r->warnings = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  r->monotonic = TRUE;
  r->end = r->audio_end = GST_CLOCK_TIME_NONE;
  g_mutex_init (&probe.lock);

  g_object_set (src, "endpoint-uri", url, "region",
      KVS_EMULATOR_DEFAULT_REGION, "access-key",
      KVS_EMULATOR_DEFAULT_ACCESS_KEY, "secret-access-key",
      KVS_EMULATOR_DEFAULT_SECRET_KEY, "request-timeout", 3000, NULL);
  for (i = 0; props && props[i]; i += 2)
    gst_util_set_object_arg (G_OBJECT (src), props[i], props[i + 1]);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, (GstPadProbeCallback) sink_probe,
      &probe, NULL);
  {
    GstElement *asink = gst_bin_get_by_name (GST_BIN (pipeline), "asink");
    if (asink) {
      GstPad *apad = gst_element_get_static_pad (asink, "sink");
      gst_pad_add_probe (apad, GST_PAD_PROBE_TYPE_BUFFER,
          (GstPadProbeCallback) audio_probe, &probe, NULL);
      gst_object_unref (apad);
      gst_object_unref (asink);
    }
  }
  {
    GstPad *srcpad = gst_element_get_static_pad (src, "src");
    if (keep_raw)
      r->raw = g_byte_array_new ();
    gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER,
        (GstPadProbeCallback) raw_probe, &probe, NULL);
    gst_object_unref (srcpad);
  }

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!r->eos && !r->error && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);
    if (tick)
      tick (src, user_data);
    if (msg) {
      handle_message (r, msg);
      gst_message_unref (msg);
    }
  }
  r->seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_object_get (src, "stats", &r->stats, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* messages posted while stopping */
  while (TRUE) {
    GstMessage *msg = gst_bus_pop (bus);
    if (!msg)
      break;
    handle_message (r, msg);
    gst_message_unref (msg);
  }

  g_mutex_clear (&probe.lock);
  gst_object_unref (sinkpad);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return r;
}

GPtrArray *
kvam_test_tag_values (const guint8 * d, gsize size, const gchar * name)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize len = strlen (name), i;

  /* TagName's payload, then TagString (0x44 0x87) with a 1-byte size */
  for (i = 0; i + len + 3 < size; i++) {
    if (memcmp (d + i, name, len) == 0 && d[i + len] == 0x44 &&
        d[i + len + 1] == 0x87) {
      guint vlen = d[i + len + 2] & 0x7F;
      if (i + len + 3 + vlen <= size)
        g_ptr_array_add (out, g_strndup ((const gchar *) d + i + len + 3,
                vlen));
    }
  }
  return out;
}
