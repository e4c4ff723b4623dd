/* kvamsrc: EBML (Matroska) element reading and writing primitives
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KVAM_EBML_ID_HEADER        0x1A45DFA3
#define KVAM_EBML_ID_SEGMENT       0x18538067
#define KVAM_EBML_ID_SEEKHEAD      0x114D9B74
#define KVAM_EBML_ID_VOID          0xEC
#define KVAM_EBML_ID_CRC32         0xBF
#define KVAM_EBML_ID_INFO          0x1549A966
#define KVAM_EBML_ID_TIMECODESCALE 0x2AD7B1
#define KVAM_EBML_ID_DURATION      0x4489
#define KVAM_EBML_ID_DATEUTC       0x4461
#define KVAM_EBML_ID_TRACKS        0x1654AE6B
#define KVAM_EBML_ID_CUES          0x1C53BB6B
#define KVAM_EBML_ID_CHAPTERS      0x1043A770
#define KVAM_EBML_ID_ATTACHMENTS   0x1941A469
#define KVAM_EBML_ID_TAGS          0x1254C367
#define KVAM_EBML_ID_TAG           0x7373
#define KVAM_EBML_ID_TARGETS       0x63C0
#define KVAM_EBML_ID_SIMPLETAG     0x67C8
#define KVAM_EBML_ID_TAGNAME       0x45A3
#define KVAM_EBML_ID_TAGSTRING     0x4487
#define KVAM_EBML_ID_CLUSTER       0x1F43B675
#define KVAM_EBML_ID_TIMECODE      0xE7
#define KVAM_EBML_ID_POSITION      0xA7
#define KVAM_EBML_ID_PREVSIZE      0xAB
#define KVAM_EBML_ID_SIMPLEBLOCK   0xA3
#define KVAM_EBML_ID_BLOCKGROUP    0xA0
#define KVAM_EBML_ID_BLOCK         0xA1
#define KVAM_EBML_ID_REFERENCEBLOCK 0xFB
#define KVAM_EBML_ID_DOCTYPE       0x4282
#define KVAM_EBML_ID_SEEK          0x4DBB
#define KVAM_EBML_ID_SEEKID        0x53AB
#define KVAM_EBML_ID_SEEKPOSITION  0x53AC
#define KVAM_EBML_ID_CUEPOINT      0xBB
#define KVAM_EBML_ID_CUETIME       0xB3
#define KVAM_EBML_ID_CUETRACKPOSITIONS 0xB7
#define KVAM_EBML_ID_CUETRACK      0xF7
#define KVAM_EBML_ID_CUECLUSTERPOSITION 0xF1

#define KVAM_EBML_SIZE_UNKNOWN G_MAXUINT64

typedef enum
{
  KVAM_EBML_NEED_MORE = 0,
  KVAM_EBML_OK = 1,
  KVAM_EBML_INVALID = -1,
} KvamEbmlResult;

/* An element header: ID (with its length marker, as Matroska writes IDs),
 * data size (KVAM_EBML_SIZE_UNKNOWN for "unknown") and header length. */
typedef struct
{
  guint32 id;
  guint64 size;
  guint header_len;
} KvamEbmlHeader;

/* Length of a variable-size integer (at most @max bytes) from its first
 * byte, 0 if invalid. */
guint kvam_ebml_vint_length (guint8 first, guint max);
KvamEbmlResult kvam_ebml_read_header (const guint8 * data, gsize avail,
    KvamEbmlHeader * out);
guint64 kvam_ebml_read_uint (const guint8 * data, gsize len);

/* Level-1 children of a Segment: used to end an unknown-size Cluster. */
gboolean kvam_ebml_is_top_level_id (guint32 id);

void kvam_ebml_write_id (GByteArray * out, guint32 id);
/* @width 0 writes the shortest form; 1..8 forces that many bytes */
void kvam_ebml_write_size (GByteArray * out, guint64 size, guint width);
void kvam_ebml_write_uint (GByteArray * out, guint32 id, guint64 value);
void kvam_ebml_write_string (GByteArray * out, guint32 id, const gchar * s);
/* An 8-byte big-endian IEEE float element (Matroska's Duration). */
void kvam_ebml_write_double (GByteArray * out, guint32 id, gdouble value);
/* An 8-byte EBML date: @ns since 2001-01-01T00:00:00Z, signed (DateUTC). */
void kvam_ebml_write_date (GByteArray * out, guint32 id, gint64 ns);
/* Nanoseconds from the Unix epoch to EBML's, 2001-01-01T00:00:00Z. */
#define KVAM_EBML_EPOCH_NS (G_GINT64_CONSTANT (978307200) * GST_SECOND)
/* An element whose data is the bytes of the ID @value (SeekID). */
void kvam_ebml_write_id_value (GByteArray * out, guint32 id, guint32 value);
/* ID and the 8-byte "unknown" size: a master whose end is not known (a
 * Segment or a Cluster written as it arrives). */
void kvam_ebml_start_unknown (GByteArray * out, guint32 id);
/* Writes ID and an 8-byte size placeholder; returns where the size goes. */
gsize kvam_ebml_start_master (GByteArray * out, guint32 id);
void kvam_ebml_end_master (GByteArray * out, gsize mark);

/* A Tags element with one Tag of name/value pairs (NULL-terminated). */
void kvam_ebml_write_simple_tags (GByteArray * out,
    const gchar * const *names_and_values);

G_END_DECLS
