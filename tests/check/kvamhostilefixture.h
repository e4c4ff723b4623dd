/* The fake service that kvamhostile and kvamhostilemedia run against
 * (kvamhostilefixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "kvamtestplay.h"
#include "kvamtestutil.h"

G_BEGIN_DECLS

#define START "1764000000"
#define NUMBER "91343852333181432392682062607743920146159169392"
#define TOKEN "FQoGZXIvYXdzEBYaDHosts+secret/token=="
/* the same URL-encoded, as a peer echoing a form body would show it */
#define TOKEN_ENCODED "FQoGZXIvYXdzEBYaDHosts%2Bsecret%2Ftoken%3D%3D"
#define TOKEN_ENCODED_LOWER "FQoGZXIvYXdzEBYaDHosts%2bsecret%2ftoken%3d%3d"
#define TOKEN_ENCODED_MIXED "FQoGZXIvYXdzEBYaDHosts%2bsecret%2Ftoken%3d%3D"
#define ONE_FRAGMENT "{\"Fragments\":[{\"FragmentNumber\":\"" NUMBER "\"," \
  "\"FragmentSizeInBytes\":1000,\"ProducerTimestamp\":1764000000.5," \
  "\"ServerTimestamp\":1764000001.5,\"FragmentLengthInMilliseconds\":2000}]"

extern KvamTestServer *server;
extern const gchar *const range_props[];

void hostile_setup (void);
void hostile_teardown (void);
void respond (SoupServerMessage * msg, guint status, const gchar * body);
void data_endpoint (SoupServer * s, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data);
void fixed (SoupServer * s, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data);
void serve_one_fragment (SoupServerCallback media);
KvamPlayResult *play (guint timeout_s, const gchar * const *props);

G_END_DECLS
