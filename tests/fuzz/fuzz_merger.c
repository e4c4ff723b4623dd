/* libFuzzer target: the Matroska merger fed arbitrary response bytes, in
 * arbitrary pieces, cut anywhere and resumed as kvamsrc does.
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: 2 bytes of cut position and 1 of piece size, then the response.
 */
#include "kvamfuzz.h"
#include "kvammkvmerger.h"

#include <string.h>

#define N_FRAGMENTS 3

static void
feed (KvamMkvMerger * m, const guint8 * data, gsize size, gsize piece)
{
  gsize pos;

  for (pos = 0; pos < size; pos += piece) {
    GError *err = NULL;
    GBytes *out = kvam_mkv_merger_push (m, data + pos, MIN (piece,
            size - pos), &err);
    g_ptr_array_unref (kvam_mkv_merger_take_events (m));
    if (!out) {
      g_error_free (err);
      return;
    }
    g_bytes_unref (out);
  }
}

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static gchar numbers[N_FRAGMENTS][48];
  KvamFragment frags[N_FRAGMENTS];
  const KvamFragment *list[N_FRAGMENTS];
  KvamMkvMerger *m;
  KvamMergerResume resume;
  gsize cut, piece;
  guint i, done;

  if (size < 3)
    return 0;
  cut = ((data[0] << 8) | data[1]);
  piece = data[2] ? data[2] * 61 : 65536;
  data += 3;
  size -= 3;
  cut = size ? cut % (size + 1) : 0;
  for (i = 0; i < N_FRAGMENTS; i++) {
    g_snprintf (numbers[i], sizeof (numbers[i]),
        "9134385233318143239268206260774392014615916939%u", i);
    frags[i].number = numbers[i];
    frags[i].producer = (1764000000 + 2 * i) * GST_SECOND;
    frags[i].server = frags[i].producer + GST_SECOND;
    frags[i].duration = 2 * GST_SECOND;
    frags[i].size = i == 1 ? 0 : size / N_FRAGMENTS;
    list[i] = &frags[i];
  }

  m = kvam_mkv_merger_new (frags[0].producer);
  kvam_mkv_merger_begin_response (m, list, N_FRAGMENTS, NULL);
  feed (m, data, cut, piece);
  done = kvam_mkv_merger_end_response (m, &resume);
  if (done < N_FRAGMENTS) {
    /* the retry starts at the first fragment not whole, from the start of
     * the same bytes, as a resumed response would */
    kvam_mkv_merger_begin_response (m, list + done, N_FRAGMENTS - done,
        &resume);
    feed (m, data, size, piece);
    kvam_mkv_merger_end_response (m, &resume);
  }
  g_ptr_array_unref (kvam_mkv_merger_take_events (m));
  kvam_mkv_merger_free (m);
  return 0;
}
