/* kvamsrc: bounded reads of small files a user names
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every file kvamsrc reads (shared config and credentials, tokens, the SSO
 * cache, the CA bundle) comes through here: a FIFO or a device would be
 * read forever, /dev/zero or /proc/self/pagemap until memory runs out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

static gboolean
fail (GError ** error, gint code, const gchar * what, const gchar * path,
    const gchar * why)
{
  g_set_error (error, G_FILE_ERROR, code, "%s%s%s: %s", what ? what : "",
      what ? " " : "", path, why);
  return FALSE;
}

/* Reads @fd to its end, FALSE past @max bytes. */
static gboolean
read_all (gint fd, gsize max, GByteArray * buf, gint * err)
{
  guint8 chunk[16384];

  for (;;) {
    /* whole chunks: some /proc files refuse reads of odd sizes */
    gssize n = read (fd, chunk, sizeof chunk);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = errno;
      return FALSE;
    }
    if (n == 0)
      return TRUE;
    g_byte_array_append (buf, chunk, n);
    if (buf->len > max)
      return FALSE;
  }
}

gboolean
kvam_file_read_bounded (const gchar * path, const gchar * what, gsize max,
    gchar ** contents, gsize * len, GError ** error)
{
  g_autofree gchar *why = NULL;
  GByteArray *buf;
  struct stat st;
  gint fd, err = 0;
  gboolean ok;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
  if (fd < 0) {
    err = errno;
    return fail (error, g_file_error_from_errno (err), what, path,
        g_strerror (err));
  }
  why = g_strdup_printf ("not a regular file of at most %" G_GSIZE_FORMAT
      " KiB", max / 1024);
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) ||
      (guint64) st.st_size > max) {
    close (fd);
    return fail (error, G_FILE_ERROR_INVAL, what, path, why);
  }
  buf = g_byte_array_sized_new (MIN ((gsize) st.st_size, max) + 1);
  ok = read_all (fd, max, buf, &err);
  close (fd);
  if (!ok) {
    memset (buf->data, 0, buf->len);
    g_byte_array_unref (buf);
    return fail (error, err ? g_file_error_from_errno (err) :
        G_FILE_ERROR_INVAL, what, path, err ? g_strerror (err) : why);
  }
  if (len)
    *len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  *contents = (gchar *) g_byte_array_free (buf, FALSE);
  return TRUE;
}
