/* kvamsrc: parsing the time values users give to start-time / end-time
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Times are nanoseconds since the epoch, in GstClockTime and, signed, in
 * GstClockTimeDiff, which ends in April 2262: anything from
 * 2262-01-01T00:00:00Z on is refused rather than wrapped into a time that
 * looks valid. */
#define KVAM_TIME_MAX_SECONDS G_GINT64_CONSTANT (9214646400)

/* ISO 8601 ("2026-11-24T10:00:00Z", "...:00.250+01:00", lower case "t"
 * and "z"; no zone means UTC; a date alone is its midnight, UTC) or epoch
 * seconds ("1764000000.25"). Returns nanoseconds since the epoch in @out. */
gboolean kvam_time_parse (const gchar * text, GstClockTime * out);
/* The same, and also "now" and times before or after @now (epoch ns)
 * written as "-15m", "-1h30m", "-2d", "+10s" (days, hours, minutes,
 * seconds). FALSE with *@why (may be NULL; free with g_free) saying what
 * is wrong: "month 13 does not exist", "February 2026 has 28 days, not
 * 30", "that is milliseconds since the epoch: give seconds (...)". */
gboolean kvam_time_parse_relative (const gchar * text, GstClockTime now,
    GstClockTime * out, gchar ** why);

/* ISO 8601 only (an Expiration, an expiresAt: "2026-11-24T10:00:00Z"; no
 * zone means UTC) as whole epoch seconds; FALSE for NULL or anything else.
 * The one ISO 8601 parser: kvam_time_parse () uses it too. */
gboolean kvam_time_parse_iso8601 (const gchar * text, gint64 * seconds);

/* "2026-11-24T10:00:00.250Z", for logs and messages; free with g_free */
gchar *kvam_time_to_iso8601 (GstClockTime epoch_ns);

G_END_DECLS
