/* kvs-emulator: synthetic media, encoded once and replayed with new times
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "kvsmedia.h"
#include "kvamebml.h"

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#define MEDIA_ERROR(err, ...) \
  g_set_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, __VA_ARGS__)

#define FPS 25
#define AUDIO_RATE 48000
#define AAC_FRAME 1024          /* samples per AAC frame */
/* the last sound frame of a group may start this much after the group's
 * end: a producer cuts fragments at key frames, and the sound frame under
 * way goes with the fragment it started in */
#define AUDIO_OVERRUN_MS 21
#define AUDIO_FRAME_MS 21       /* BlockDuration written for sound frames */
/* with KVS_SYNTHETIC_AUDIO_OVERLAP, each group also starts with the sound
 * frames of the last this many ms of the group before (a producer that
 * writes the sound under way into both fragments): three frames again */
#define AUDIO_OVERLAP_MS 64

/* Runs "@sources matroskamux ! filesink" and returns the file's bytes. */
static gchar *
encode (const gchar * sources, gsize * size, GError ** error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *launch = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  gchar *contents = NULL;
  gint fd;

  fd = g_file_open_tmp ("kvs-emulator-XXXXXX.mkv", &path, error);
  if (fd < 0)
    return NULL;
  close (fd);
  launch = g_strdup_printf ("%s matroskamux name=mux ! filesink "
      "location=\"%s\"", sources, path);
  pipeline = gst_parse_launch (launch, error);
  if (pipeline) {
    bus = gst_element_get_bus (pipeline);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    if (!msg || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      MEDIA_ERROR (error, "encoding synthetic media failed (are x264enc, "
          "avenc_aac and matroskamux installed?)");
    else
      g_file_get_contents (path, &contents, size, error);
  }
  g_unlink (path);
  return contents;
}

static gchar *
video_source (guint frames, guint seconds, guint width, guint height)
{
  /* a moving ball gives every group different pictures; above 320x240
   * the bitrate grows with the picture (1080p: 8.1 Mb/s, about 2 MB a 2 s
   * fragment, as real cameras send) and noise fills it */
  guint scale = MAX (1, width * height / (320 * 240));

  return g_strdup_printf ("videotestsrc pattern=%s num-buffers=%u ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency bitrate=%u "
      "key-int-max=%u ! h264parse ! video/x-h264,stream-format=avc ! "
      "queue ! mux. ", scale > 1 ? "snow" : "ball", frames, width, height,
      FPS, 300 * scale, seconds * FPS);
}

GPtrArray *
kvs_media_synthesize (guint ngops, guint seconds, guint width, guint height,
    GError ** error)
{
  g_autofree gchar *source = video_source (ngops * seconds * FPS + 1, seconds,
      width, height);
  g_autofree gchar *contents = NULL;
  GPtrArray *gops;
  gsize size;
  guint i;

  contents = encode (source, &size, error);
  if (!contents)
    return NULL;
  gops = kvs_media_split_matroska ((const guint8 *) contents, size, seconds,
      error);
  if (!gops)
    return NULL;
  /* keep exactly the groups asked for, each exactly @seconds long */
  if (gops->len > ngops)
    g_ptr_array_set_size (gops, ngops);
  for (i = 0; i < gops->len; i++)
    kvs_gop_set_duration_ms (gops->pdata[i], seconds * 1000);
  return gops;
}

/* ---- sound and pictures -------------------------------------------------- */

typedef struct
{
  guint track;
  gint64 ms;                    /* absolute, in the encoded file */
  gboolean key;
  const guint8 *data;           /* the frame, after the block's header */
  gsize len;
} Frame;

/* Track numbers of the first video and audio tracks in @header's Tracks. */
static void
find_tracks (const guint8 * data, gsize size, guint * video, guint * audio)
{
  gsize pos = 0;

  while (pos < size) {
    KvamEbmlHeader h;
    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK)
      return;
    if (h.id == KVAM_EBML_ID_SEGMENT || h.id == KVAM_EBML_ID_TRACKS) {
      pos += h.header_len;      /* descend */
      continue;
    }
    if (h.size > size - pos - h.header_len)
      return;
    if (h.id == 0xAE) {         /* TrackEntry: TrackNumber, TrackType */
      const guint8 *p = data + pos + h.header_len;
      gsize q = 0;
      guint number = 0, type = 0;
      while (q < h.size) {
        KvamEbmlHeader c;
        if (kvam_ebml_read_header (p + q, h.size - q, &c) != KVAM_EBML_OK ||
            c.size > h.size - q - c.header_len)
          break;
        if (c.id == 0xD7)
          number = kvam_ebml_read_uint (p + q + c.header_len, c.size);
        else if (c.id == 0x83)
          type = kvam_ebml_read_uint (p + q + c.header_len, c.size);
        q += c.header_len + c.size;
      }
      if (type == 1 && !*video)
        *video = number;
      else if (type == 2 && !*audio)
        *audio = number;
    }
    pos += h.header_len + h.size;
  }
}

/* Every SimpleBlock of the clusters from @pos on (matroskamux writing to a
 * file gives known sizes and unlaced blocks with one-byte track numbers). */
static GArray *
read_frames (const guint8 * data, gsize size, gsize pos)
{
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (Frame));

  while (pos < size) {
    KvamEbmlHeader h;
    gsize end, q;
    gint64 tc = 0;

    if (kvam_ebml_read_header (data + pos, size - pos, &h) != KVAM_EBML_OK ||
        h.size == KVAM_EBML_SIZE_UNKNOWN || h.size > size - pos - h.header_len)
      break;
    end = pos + h.header_len + h.size;
    if (h.id != KVAM_EBML_ID_CLUSTER) {
      pos = end;
      continue;
    }
    for (q = pos + h.header_len; q < end;) {
      KvamEbmlHeader c;
      const guint8 *p;
      if (kvam_ebml_read_header (data + q, end - q, &c) != KVAM_EBML_OK ||
          c.size > end - q - c.header_len)
        break;
      p = data + q + c.header_len;
      if (c.id == KVAM_EBML_ID_TIMECODE) {
        tc = kvam_ebml_read_uint (p, c.size);
      } else if (c.id == KVAM_EBML_ID_SIMPLEBLOCK && c.size > 4 &&
          (p[0] & 0x80)) {
        Frame f = { p[0] & 0x7F, tc + (gint16) ((p[1] << 8) | p[2]),
          (p[3] & 0x80) != 0, p + 4, c.size - 4
        };
        g_array_append_val (frames, f);
      }
      q += c.header_len + c.size;
    }
    pos = end;
  }
  return frames;
}

typedef struct
{
  gint64 rel;                   /* ms from the group's start */
  const Frame *frame;
  gboolean sound;
} Placed;

static gint
placed_compare (gconstpointer a, gconstpointer b)
{
  const Placed *x = a, *y = b;

  if (x->rel != y->rel)
    return x->rel < y->rel ? -1 : 1;
  return x->sound - y->sound;   /* pictures first on a tie */
}

/* A picture as a SimpleBlock, a sound frame as a BlockGroup with its
 * duration: both kinds of block go through kvamsrc's merger. */
static void
write_block (GByteArray * out, const Placed * b, gint16 rel)
{
  guint8 head[4] = { 0x80 | b->frame->track, (guint8) (rel >> 8),
    (guint8) rel, b->sound ? 0x00 : (b->frame->key ? 0x80 : 0x00)
  };
  gsize group;

  if (!b->sound) {
    kvam_ebml_write_id (out, KVAM_EBML_ID_SIMPLEBLOCK);
    kvam_ebml_write_size (out, sizeof (head) + b->frame->len, 0);
    g_byte_array_append (out, head, sizeof (head));
    g_byte_array_append (out, b->frame->data, b->frame->len);
    return;
  }
  group = kvam_ebml_start_master (out, KVAM_EBML_ID_BLOCKGROUP);
  kvam_ebml_write_id (out, KVAM_EBML_ID_BLOCK);
  kvam_ebml_write_size (out, sizeof (head) + b->frame->len, 0);
  g_byte_array_append (out, head, sizeof (head));
  g_byte_array_append (out, b->frame->data, b->frame->len);
  kvam_ebml_write_uint (out, 0x9B, AUDIO_FRAME_MS);     /* BlockDuration */
  kvam_ebml_end_master (out, group);
}

/* One group: clusters of a second each (relative block times fit 16 bits
 * whatever the group's length), the overrunning sound in the last. */
static KvsGop *
build_gop (GBytes * header, GArray * placed, guint seconds)
{
  KvsGop *gop = kvs_gop_new (header, seconds * 1000);
  GByteArray *children = NULL;
  gint64 cluster = -1;
  guint i;

  g_array_sort (placed, placed_compare);
  for (i = 0; i < placed->len; i++) {
    const Placed *b = &g_array_index (placed, Placed, i);
    gint64 c = MIN (b->rel / 1000, (gint64) seconds - 1);
    if (c != cluster) {
      if (children)
        kvs_gop_add_cluster (gop, cluster * 1000,
            g_byte_array_free_to_bytes (children));
      children = g_byte_array_new ();
      cluster = c;
    }
    write_block (children, b, (gint16) (b->rel - cluster * 1000));
  }
  if (children)
    kvs_gop_add_cluster (gop, cluster * 1000,
        g_byte_array_free_to_bytes (children));
  return gop;
}

/* Sound frame i starts at i x 1024 / 48000 s; group g takes those starting
 * in [g x period + overrun, (g + 1) x period + overrun), so consecutive
 * groups, and the last and the first of a cycle, tile the sound. */
/* Where sound frame @t (ms in the encoded file) goes in group @g of
 * @ngops: its time from the group's start, or FALSE. The frames of the
 * @overlap ms before a group's own begin it too (group 0's from the end
 * of the cycle, which comes before it when the cycle is replayed). */
static gboolean
place_sound (gdouble t, guint g, guint ngops, gint64 period, gint64 overlap,
    gint64 * rel)
{
  gint64 ms = (gint64) (t + 0.5);

  if (t >= g * period + AUDIO_OVERRUN_MS - (g > 0 ? overlap : 0) &&
      t < (g + 1) * period + AUDIO_OVERRUN_MS) {
    *rel = ms - g * period;
    return TRUE;
  }
  if (g == 0 && overlap > 0 && t >= ngops * period + AUDIO_OVERRUN_MS -
      overlap && t < ngops * period + AUDIO_OVERRUN_MS) {
    *rel = ms - ngops * period;
    return TRUE;
  }
  return FALSE;
}

static GPtrArray *
place_frames (GBytes * header, GArray * frames, guint video, guint audio,
    guint ngops, guint seconds, gint64 overlap, GError ** error)
{
  g_autoptr (GPtrArray) gops = g_ptr_array_new_with_free_func
      ((GDestroyNotify) kvs_gop_free);
  gint64 period = seconds * 1000;
  guint g, i, sound;

  for (g = 0; g < ngops; g++) {
    g_autoptr (GArray) placed = g_array_new (FALSE, FALSE, sizeof (Placed));
    gboolean key = FALSE;
    for (i = 0, sound = 0; i < frames->len; i++) {
      const Frame *f = &g_array_index (frames, Frame, i);
      Placed p = { 0, f, f->track == audio };
      if (f->track == video && f->ms >= g * period && f->ms < (g + 1) * period) {
        p.rel = f->ms - g * period;
        key |= p.rel == 0 && f->key;
      } else if (f->track == audio) {
        gdouble t = sound++ * (gdouble) AAC_FRAME * 1000.0 / AUDIO_RATE;
        if (!place_sound (t, g, ngops, period, overlap, &p.rel))
          continue;
      } else {
        continue;
      }
      g_array_append_val (placed, p);
    }
    if (!key || (sound - 1) * (gdouble) AAC_FRAME * 1000.0 / AUDIO_RATE <
        (g + 1) * period + AUDIO_OVERRUN_MS) {
      MEDIA_ERROR (error, "synthetic media: group %u has no key frame at its "
          "start or too little sound", g);
      return NULL;
    }
    g_ptr_array_add (gops, build_gop (header, placed, seconds));
  }
  return g_steal_pointer (&gops);
}

GPtrArray *
kvs_media_synthesize_av (guint * ngops, guint seconds, guint width,
    guint height, gboolean overlap, GError ** error)
{
  g_autofree gchar *sources = NULL, *vsrc = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr (GBytes) header = NULL;
  g_autoptr (GArray) frames = NULL;
  guint video = 0, audio = 0, n, sound_frames;
  gsize size, first_cluster;

  /* a cycle of groups holds whole sound frames: n x seconds x 48000 / 1024
   * = n x seconds x 375 / 8 */
  n = 8 / (seconds % 8 == 0 ? 8 : seconds % 4 == 0 ? 4 : seconds % 2 == 0 ?
      2 : 1);
  *ngops = n;
  /* a second more of sound than of pictures: the last group overruns */
  sound_frames = ((n * seconds + 1) * AUDIO_RATE + AAC_FRAME - 1) / AAC_FRAME;
  vsrc = video_source (n * seconds * FPS + 1, seconds, width, height);
  sources = g_strdup_printf ("%s audiotestsrc num-buffers=%u "
      "samplesperbuffer=%u wave=sine ! audio/x-raw,rate=%u,channels=1 ! "
      "audioconvert ! avenc_aac ! aacparse ! queue ! mux. ", vsrc,
      sound_frames, AAC_FRAME, AUDIO_RATE);
  contents = encode (sources, &size, error);
  if (!contents)
    return NULL;
  header = kvs_media_read_header ((const guint8 *) contents, size,
      &first_cluster, error);
  if (!header)
    return NULL;
  find_tracks (g_bytes_get_data (header, NULL), g_bytes_get_size (header),
      &video, &audio);
  if (!video || !audio || video > 127 || audio > 127) {
    MEDIA_ERROR (error, "synthetic media: no video and audio track");
    return NULL;
  }
  frames = read_frames ((const guint8 *) contents, size, first_cluster);
  return place_frames (header, frames, video, audio, n, seconds,
      overlap ? AUDIO_OVERLAP_MS : 0, error);
}
