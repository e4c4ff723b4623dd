/* kvamsrc tests: the credential chain's fixture (kvamcredfixture.c)
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/check/gstcheck.h>

#include "kvamclient.h"
#include "kvamcredentialspriv.h"
#include "kvsemulator.h"

G_BEGIN_DECLS

#define ROLE "arn:aws:iam::123456789012:role/kvs-reader"
#define ROLE2 "arn:aws:iam::123456789012:role/kvs-second"
#define STREAM "cam"

extern gchar *home;             /* the test's HOME, emptied after it */
extern KvsEmulator *emu;        /* with STS, SSO portal and OIDC */
extern gchar *url;              /* the emulator's */
/* every secret a test saw; none may reach the debug log */
extern GPtrArray *secrets;

/* Every test: an empty HOME, no AWS_* variable, the emulator's STS and
 * SSO portal named by AWS_ENDPOINT_URL_STS / _SSO / _SSO_OIDC, all debug
 * output captured; teardown fails if a secret kept reached it. */
void kvam_cred_setup (void);
void kvam_cred_teardown (void);

void keep_secret (const gchar * s);
/* @name under HOME, with @contents; @env_var (may be NULL) set to it */
gchar *write_file (const gchar * env_var, const gchar * name,
    const gchar * contents);
/* The chain for @profile (NULL: the default), 5 s timeouts */
KvamCredentialsProvider *chain (const gchar * profile);
/* Keys from @p, remembered as secrets; NULL and @error when none. */
KvamCredentials *get (KvamCredentialsProvider * p, GError ** error);
/* The keys @p gives open the Kinesis Video APIs. */
void assert_accepted (KvamCredentialsProvider * p);
gint64 now_s (void);
/* The chain for @profile fails with an error saying @needle, and no secret
 * seen so far. */
void assert_profile_error (const gchar * profile, const gchar * needle);

G_END_DECLS
