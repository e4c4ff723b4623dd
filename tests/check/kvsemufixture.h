/* kvs-emulator tests' fixture (kvsemufixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/check/gstcheck.h>

#include "kvamclient.h"
#include "kvamsigv4.h"
#include "kvsemulator.h"

G_BEGIN_DECLS

#define STREAM "cam"
#define START_MS G_GINT64_CONSTANT (1764000000000)
#define N_FRAGMENTS 40

extern KvsEmulator *emu;        /* STREAM: N_FRAGMENTS of 1 s from START_MS */
extern gchar *url;
extern KvamCredentialsProvider *creds;  /* the emulator's default keys */

void kvs_test_setup (void);
void kvs_test_teardown (void);
KvamClient *new_client (const gchar * stream, guint retries);

/* A request signed by hand: status, error type, body */
typedef struct
{
  guint status;
  gchar *type;
  GBytes *body;
} Raw;

void raw_clear (Raw * r);
/* POST @body to @path signed with these keys at @when (NULL: now) */
void raw_call_signed (const gchar * path, const gchar * body,
    const gchar * ak, const gchar * sk, const gchar * token, GDateTime * when,
    Raw * out);
/* ... with the emulator's default keys, now */
void raw_call (const gchar * path, const gchar * body, Raw * out);
void assert_raw_error (const gchar * path, const gchar * body, guint status,
    const gchar * type);

G_END_DECLS
