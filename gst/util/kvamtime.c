/* kvamsrc: parsing the time values users give to start-time / end-time
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamtime.h"

#include <math.h>


static gboolean
parse_epoch_seconds (const gchar * text, GstClockTime * out)
{
  gchar *end = NULL;
  gdouble secs;
  const gchar *p;

  for (p = text; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '.')
      return FALSE;
  secs = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (secs) || secs < 0 ||
      secs >= (gdouble) KVAM_TIME_MAX_SECONDS)
    return FALSE;
  /* round to microseconds: doubles cannot hold nanoseconds of 2026 */
  *out = (GstClockTime) llround (secs * 1e6) * GST_USECOND;
  return TRUE;
}

/* "now", or "-" and a duration of days, hours, minutes and seconds
 * ("-15m", "-1h30m", "-2d", "-90s"), from @now. */
static gboolean
parse_relative (const gchar * text, GstClockTime now, GstClockTime * out)
{
  const gchar *p = text + 1;
  guint64 back = 0;

  if (g_ascii_strcasecmp (text, "now") == 0) {
    *out = now;
    return TRUE;
  }
  if (text[0] != '-' || !*p)
    return FALSE;
  while (*p) {
    gchar *end = NULL;
    guint64 n = g_ascii_strtoull (p, &end, 10), unit;
    if (end == p || n > 1000000)
      return FALSE;
    switch (*end) {
      case 'd':
        unit = 24 * 3600;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return FALSE;
    }
    back += n * unit * GST_SECOND;
    p = end + 1;
  }
  if (back > now)
    return FALSE;
  *out = now - back;
  return TRUE;
}

gboolean
kvam_time_parse_relative (const gchar * text, GstClockTime now,
    GstClockTime * out)
{
  if (text && parse_relative (text, now, out))
    return TRUE;
  return kvam_time_parse (text, out);
}

static GDateTime *
parse_iso8601 (const gchar * text)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();

  return text && *text ? g_date_time_new_from_iso8601 (text, utc) : NULL;
}

gboolean
kvam_time_parse_iso8601 (const gchar * text, gint64 * seconds)
{
  g_autoptr (GDateTime) dt = parse_iso8601 (text);

  if (dt)
    *seconds = g_date_time_to_unix (dt);
  return dt != NULL;
}

gboolean
kvam_time_parse (const gchar * text, GstClockTime * out)
{
  g_autoptr (GDateTime) dt = NULL;
  gint64 secs;

  if (!text || !*text)
    return FALSE;
  if (parse_epoch_seconds (text, out))
    return TRUE;
  dt = parse_iso8601 (text);
  if (!dt)
    return FALSE;
  secs = g_date_time_to_unix (dt);
  if (secs < 0 || secs >= KVAM_TIME_MAX_SECONDS)
    return FALSE;
  *out = secs * GST_SECOND +
      (GstClockTime) g_date_time_get_microsecond (dt) * GST_USECOND;
  return TRUE;
}

gchar *
kvam_time_to_iso8601 (GstClockTime epoch_ns)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *base = NULL;

  if (!GST_CLOCK_TIME_IS_VALID (epoch_ns))
    return g_strdup ("(none)");
  dt = g_date_time_new_from_unix_utc ((gint64) (epoch_ns / GST_SECOND));
  if (!dt)
    return g_strdup ("(invalid)");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03uZ", base,
      (guint) ((epoch_ns % GST_SECOND) / GST_MSECOND));
}
