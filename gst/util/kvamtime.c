/* kvamsrc: parsing the time values users give to start-time / end-time
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamtime.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


/* digits and dots only: epoch seconds, or nothing */
static gboolean
is_digits (const gchar * text)
{
  for (; *text; text++)
    if (!g_ascii_isdigit (*text) && *text != '.')
      return FALSE;
  return TRUE;
}

static gboolean
parse_epoch_seconds (const gchar * text, GstClockTime * out)
{
  gchar *end = NULL;
  gdouble secs;

  if (!is_digits (text))
    return FALSE;
  secs = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (secs) || secs < 0 ||
      secs >= (gdouble) KVAM_TIME_MAX_SECONDS)
    return FALSE;
  /* round to microseconds: doubles cannot hold nanoseconds of 2026 */
  *out = (GstClockTime) llround (secs * 1e6) * GST_USECOND;
  return TRUE;
}

#define TOO_LATE "after 2262-01-01T00:00:00Z, the last time a GStreamer " \
    "clock can hold"

static void
set_why (gchar ** why, gchar * text)
{
  if (why)
    *why = text;
  else
    g_free (text);
}

/* "now", or "-" (before now) or "+" (after it) and a duration of days,
 * hours, minutes and seconds ("-15m", "-1h30m", "-2d", "+10s"). FALSE with
 * *@why NULL when @text is not written so. */
static gboolean
parse_relative (const gchar * text, GstClockTime now, GstClockTime * out,
    gchar ** why)
{
  const gchar *p = text + 1;
  guint64 span = 0;

  if (g_ascii_strcasecmp (text, "now") == 0) {
    *out = now;
    return TRUE;
  }
  if ((text[0] != '-' && text[0] != '+') || !g_ascii_isdigit (*p))
    return FALSE;
  while (*p) {
    gchar *end = NULL;
    guint64 n = g_ascii_strtoull (p, &end, 10), unit;

    if (end == p) {
      set_why (why, g_strdup_printf ("a number must come before '%c'", *p));
      return FALSE;
    }
    if (n > 1000000) {
      set_why (why, g_strdup_printf ("%" G_GUINT64_FORMAT " is too many", n));
      return FALSE;
    }
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
        set_why (why, *end ? g_strdup_printf ("unknown unit '%c': use d, h, "
                "m or s", *end) : g_strdup_printf ("a unit must follow %"
                G_GUINT64_FORMAT " (d, h, m or s)", n));
        return FALSE;
    }
    span += n * unit * GST_SECOND;
    p = end + 1;
  }
  if (text[0] == '-' && span > now) {
    set_why (why, g_strdup ("before 1970"));
    return FALSE;
  }
  if (text[0] == '+' && span >= KVAM_TIME_MAX_SECONDS * GST_SECOND - now) {
    set_why (why, g_strdup (TOO_LATE));
    return FALSE;
  }
  *out = text[0] == '-' ? now - span : now + span;
  return TRUE;
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

/* ISO 8601 as users write it: "t" and "z" in lower case, or a date alone
 * (its midnight, UTC), are ISO 8601 too, which GLib does not take. */
static gchar *
normalise_iso8601 (const gchar * text)
{
  gchar *up = g_ascii_strup (text, -1);

  if (strlen (up) == 10 && up[4] == '-' && up[7] == '-') {
    gchar *full = g_strconcat (up, "T00:00:00Z", NULL);

    g_free (up);
    return full;
  }
  return up;
}

static const gchar *const month_names[] = { "January", "February", "March",
  "April", "May", "June", "July", "August", "September", "October",
  "November", "December"
};

/* Why an ISO 8601-looking @text (normalised) is no time. */
static gchar *
explain_iso8601 (const gchar * text)
{
  gint y, mo, d, h = 0, mi = 0, sec = 0, n = 0, i;

  /* sscanf's %d takes signs and spaces: the date's digits are checked
   * first, so the year is 0000 to 9999 and the fields are unsigned */
  for (i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? text[i] != '-' : !g_ascii_isdigit (text[i]))
      break;
  if (i == 10)
    n = sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
  if (n < 3 || y < 1)
    return g_strdup ("not ISO 8601 (YYYY-MM-DDThh:mm:ssZ)");
  if (mo < 1 || mo > 12)
    return g_strdup_printf ("month %d does not exist", mo);
  if (d < 1 || d > g_date_get_days_in_month (mo, y))
    return g_strdup_printf ("%s %d has %d days, not %d", month_names[mo - 1],
        y, g_date_get_days_in_month (mo, y), d);
  if (n >= 4 && h > 23)
    return g_strdup_printf ("hour %d does not exist (00 to 23)", h);
  if (n >= 5 && mi > 59)
    return g_strdup_printf ("minute %d does not exist (00 to 59)", mi);
  if (n >= 6 && sec > 59)
    return g_strdup_printf ("second %d does not exist (00 to 59)", sec);
  return g_strdup ("not ISO 8601 (YYYY-MM-DDThh:mm:ssZ, a zone as Z or "
      "+01:00)");
}

/* Why epoch seconds that did not parse are no time. */
static gchar *
explain_epoch (const gchar * text)
{
  gdouble v = g_ascii_strtod (text, NULL);

  /* milliseconds of 2001 to 2262 */
  if (isfinite (v) && v >= 1e12 && v / 1000 < (gdouble) KVAM_TIME_MAX_SECONDS)
    return g_strdup_printf ("that is milliseconds since the epoch: give "
        "seconds (%.3f)", v / 1000);
  return g_strdup (TOO_LATE);
}

static gboolean
parse_absolute (const gchar * text, GstClockTime * out, gchar ** why)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *iso = NULL;
  gint64 secs;

  if (!text || !*text) {
    set_why (why, g_strdup ("empty"));
    return FALSE;
  }
  if (parse_epoch_seconds (text, out))
    return TRUE;
  if (is_digits (text)) {
    set_why (why, explain_epoch (text));
    return FALSE;
  }
  iso = normalise_iso8601 (text);
  dt = parse_iso8601 (iso);
  if (!dt) {
    set_why (why, explain_iso8601 (iso));
    return FALSE;
  }
  secs = g_date_time_to_unix (dt);
  if (secs < 0 || secs >= KVAM_TIME_MAX_SECONDS) {
    set_why (why, g_strdup (secs < 0 ? "before 1970" : TOO_LATE));
    return FALSE;
  }
  *out = secs * GST_SECOND +
      (GstClockTime) g_date_time_get_microsecond (dt) * GST_USECOND;
  return TRUE;
}

gboolean
kvam_time_parse (const gchar * text, GstClockTime * out)
{
  return parse_absolute (text, out, NULL);
}

gboolean
kvam_time_parse_relative (const gchar * text, GstClockTime now,
    GstClockTime * out, gchar ** why)
{
  gchar *relative_why = NULL;

  if (why)
    *why = NULL;
  if (text && parse_relative (text, now, out, &relative_why))
    return TRUE;
  if (relative_why) {
    set_why (why, relative_why);
    return FALSE;
  }
  return parse_absolute (text, out, why);
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
