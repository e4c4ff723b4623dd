/* kvamsrc: the merger's input blocks and output pieces
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Zero-copy where it counts: the response is read straight into an input
 * block, and the frames the merger keeps (SimpleBlocks, BlockGroups, most
 * of the bytes) go out as slices of that block, not copies. What the
 * merger writes itself (headers, cluster starts, Tags) is copied into
 * small pieces between them. A block that a slice went out of is never
 * written over again: the next reads go after it, and when it is full a
 * new block takes the unread rest (a partial element, a small copy).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvammkvmio.h"

#include <string.h>
#ifdef G_OS_UNIX
#include <sys/mman.h>
#include <unistd.h>
#endif

#define GST_CAT_DEFAULT kvam_merger_debug_category ()

/* an input block at most: 16 reads of the default 64 KiB */
#define BLOCK_SIZE (1024 * 1024)
/* a buffer holds at most this many memories before GStreamer merges them
 * (copying); beyond it the pieces are joined here */
#define MAX_PIECES 16

void
kvam_merger_io_init (KvamMkvMerger * self)
{
  self->out_pieces = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
}

void
kvam_merger_io_clear (KvamMkvMerger * self)
{
  g_clear_pointer (&self->in_block, g_bytes_unref);
  self->in_data = NULL;
  self->in_cap = self->in_len = self->in_pos = 0;
  if (self->out)
    g_byte_array_unref (self->out);
  self->out = NULL;
  g_ptr_array_unref (self->out_pieces);
}

#if defined(G_OS_UNIX) && defined(MADV_POPULATE_WRITE)
/* Whether every page of [start, start + len) is already there. */
static gboolean
all_present (guintptr start, gsize len, gsize page)
{
  guint8 vec[4096];
  gsize i, n = len / page;

  if (n > sizeof vec || mincore ((void *) start, len, vec) != 0)
    return FALSE;
  for (i = 0; i < n; i++)
    if (!(vec[i] & 1))
      return FALSE;
  return TRUE;
}
#endif

/* Fresh memory costs a page fault per page on first touch, each paid
 * inside the recv() that fills it, which in a VM is dear (docs/design.md,
 * facts): the pages are populated in one call first. Blocks glibc reuses
 * have every page present already, so mincore() is asked first. Best
 * effort: kernels before 5.14 refuse it, and nothing changes. */
static void
populate (guint8 * mem, gsize size)
{
#if defined(G_OS_UNIX) && defined(MADV_POPULATE_WRITE)
  static gsize page;
  guintptr start, end;

  if (!page)
    page = MAX (sysconf (_SC_PAGESIZE), 4096);
  start = ((guintptr) mem + page - 1) & ~(guintptr) (page - 1);
  end = ((guintptr) mem + size) & ~(guintptr) (page - 1);
  if (end > start && !all_present (start, end - start, page))
    madvise ((void *) start, end - start, MADV_POPULATE_WRITE);
#endif
}

static void
new_block (KvamMkvMerger * self, gsize cap)
{
  gsize left = self->in_len - self->in_pos;
  guint8 *mem = g_malloc (cap);

  populate (mem, cap);

  if (left)
    memcpy (mem, self->in_data + self->in_pos, left);
  g_clear_pointer (&self->in_block, g_bytes_unref);
  self->in_block = g_bytes_new_take (mem, cap);
  self->in_data = mem;
  self->in_cap = cap;
  self->in_len = left;
  self->in_pos = 0;
  self->in_shared = FALSE;
}

/* Room for @size more bytes after the unread ones. */
static void
ensure_room (KvamMkvMerger * self, gsize size)
{
  gsize left = self->in_len - self->in_pos;

  if (self->in_len + size <= self->in_cap)
    return;
  if (!self->in_shared && left + size <= self->in_cap) {
    /* nothing went out of this block: move the unread rest to its start */
    memmove (self->in_data, self->in_data + self->in_pos, left);
    self->in_len = left;
    self->in_pos = 0;
    return;
  }
  /* 16 reads a block, so that few elements straddle two (only those are
   * copied again); small reads (tests, the fuzzer) get small blocks */
  new_block (self, MAX (left + size, MIN (BLOCK_SIZE, 16 * MAX (size, 4096))));
}

void
kvam_merger_io_reset_input (KvamMkvMerger * self)
{
  self->in_pos = self->in_len;
  if (self->in_shared)
    new_block (self, MIN (self->in_cap, BLOCK_SIZE));
  self->in_len = self->in_pos = 0;
}

guint8 *
kvam_mkv_merger_take_input_space (KvamMkvMerger * self, gsize size)
{
  ensure_room (self, size);
  self->in_space = size;
  return self->in_data + self->in_len;
}

void
kvam_mkv_merger_return_input_space (KvamMkvMerger * self)
{
  self->in_space = 0;
}

void
kvam_merger_io_add_input (KvamMkvMerger * self, const guint8 * data, gsize size)
{
  if (data) {
    ensure_room (self, size);
    memcpy (self->in_data + self->in_len, data, size);
  } else {
    size = MIN (size, self->in_space);
    self->in_space = 0;
  }
  self->in_len += size;
}

/* ---- output ------------------------------------------------------------- */

static void
flush_written (KvamMkvMerger * self)
{
  if (self->out && self->out->len)
    g_ptr_array_add (self->out_pieces,
        g_byte_array_free_to_bytes (g_steal_pointer (&self->out)));
}

static void
flush_slice (KvamMkvMerger * self)
{
  if (!self->slice_len)
    return;
  g_ptr_array_add (self->out_pieces, g_bytes_new_from_bytes (self->in_block,
          self->slice_off, self->slice_len));
  self->slice_len = 0;
}

void
kvam_merger_write_bytes (KvamMkvMerger * self, const guint8 * data, gsize size)
{
  flush_slice (self);
  if (!self->out)
    self->out = g_byte_array_sized_new (size + 64);
  g_byte_array_append (self->out, data, size);
}

void
kvam_merger_write_input (KvamMkvMerger * self, const guint8 * data, gsize size)
{
  gsize off;

  if (data < self->in_data || data + size > self->in_data + self->in_len) {
    kvam_merger_write_bytes (self, data, size);
    return;
  }
  off = data - self->in_data;
  flush_written (self);
  if (self->slice_len && self->slice_off + self->slice_len == off) {
    self->slice_len += size;    /* the next element of the same cluster */
    return;
  }
  flush_slice (self);
  self->slice_off = off;
  self->slice_len = size;
  self->in_shared = TRUE;
}

/* How many bytes this push wrote so far. */
gsize
kvam_merger_io_output_size (KvamMkvMerger * self)
{
  gsize n = self->slice_len + (self->out ? self->out->len : 0);
  guint i;

  for (i = 0; i < self->out_pieces->len; i++)
    n += g_bytes_get_size (self->out_pieces->pdata[i]);
  return n;
}

/* What the last push wrote, as pieces in order; the array is emptied. */
static GPtrArray *
take_pieces (KvamMkvMerger * self)
{
  GPtrArray *pieces;

  flush_slice (self);
  flush_written (self);
  pieces = self->out_pieces;
  self->out_pieces = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  return pieces;
}

GBytes *
kvam_merger_io_take_bytes (KvamMkvMerger * self)
{
  g_autoptr (GPtrArray) pieces = take_pieces (self);
  GByteArray *joined;
  guint i;

  if (pieces->len == 1)
    return g_bytes_ref (pieces->pdata[0]);
  joined = g_byte_array_new ();
  for (i = 0; i < pieces->len; i++)
    g_byte_array_append (joined, g_bytes_get_data (pieces->pdata[i], NULL),
        g_bytes_get_size (pieces->pdata[i]));
  return g_byte_array_free_to_bytes (joined);
}

GstBuffer *
kvam_merger_io_take_buffer (KvamMkvMerger * self)
{
  g_autoptr (GPtrArray) pieces = NULL;
  GstBuffer *buf;
  guint i;

  if (self->out_pieces->len + 2 > MAX_PIECES) {
    g_autoptr (GBytes) joined = kvam_merger_io_take_bytes (self);
    return gst_buffer_new_wrapped_bytes (joined);
  }
  pieces = take_pieces (self);
  buf = gst_buffer_new ();
  for (i = 0; i < pieces->len; i++) {
    GBytes *b = pieces->pdata[i];
    gsize size;
    gconstpointer data = g_bytes_get_data (b, &size);

    gst_buffer_append_memory (buf,
        gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) data,
            size, 0, size, g_bytes_ref (b), (GDestroyNotify) g_bytes_unref));
  }
  return buf;
}
