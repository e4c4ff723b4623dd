/* kvamsrc: credentials from the environment and the AWS shared files
 * Copyright (C) 2026 kvamsrc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A profile is resolved as the AWS CLI resolves it: role_arn first (with
 * source_profile, credential_source or web_identity_token_file), then SSO,
 * then credential_process, then keys. The credentials file is read before
 * the config file, key by key.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kvamcredentialspriv.h"

#include <string.h>

#define GST_CAT_DEFAULT kvam_creds_debug_category ()

/* role_arn chains longer than this are refused (the CLI has no limit, but
 * a real chain is two or three hops) */
#define MAX_CHAIN 8

gchar *
kvam_creds_shared_file_path (const gchar * env_var, const gchar * basename)
{
  const gchar *env = g_getenv (env_var);

  if (env && *env) {
    if (env[0] == '~' && env[1] == '/')
      return g_build_filename (kvam_creds_home_dir (), env + 2, NULL);
    return g_strdup (env);
  }
  return g_build_filename (kvam_creds_home_dir (), ".aws", basename, NULL);
}

const gchar *
kvam_creds_selected_profile (const gchar * profile)
{
  const gchar *env = g_getenv ("AWS_PROFILE");

  if (profile && *profile)
    return profile;
  if (env && *env)
    return env;
  return "default";
}

/* A missing file is not an error; a malformed one is. */
KvamConfigFile *
kvam_creds_load_shared_file (const gchar * env_var, const gchar * basename,
    GError ** error)
{
  g_autofree gchar *path = kvam_creds_shared_file_path (env_var, basename);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  return kvam_config_file_load (path, error);
}

/* Section of @profile in a file: "[name]" in credentials, "[profile name]"
 * (or "[default]") in config. */
GHashTable *
kvam_creds_profile_section (KvamConfigFile * file, const gchar * profile,
    gboolean is_config)
{
  g_autofree gchar *prefixed = NULL;
  GHashTable *section;

  if (!file)
    return NULL;
  if (is_config) {
    prefixed = g_strdup_printf ("profile %s", profile);
    section = kvam_config_file_section (file, prefixed);
    if (section)
      return section;
  }
  return kvam_config_file_section (file, profile);
}

KvamCredentials *
kvam_creds_from_environment (KvamCredsContext * ctx)
{
  const gchar *id = g_getenv ("AWS_ACCESS_KEY_ID");
  const gchar *secret = g_getenv ("AWS_SECRET_ACCESS_KEY");

  if (id && *id && secret && *secret)
    return kvam_credentials_new (id, secret, g_getenv ("AWS_SESSION_TOKEN"),
        0, "environment");
  if ((id && *id) || (secret && *secret))
    g_string_append_printf (ctx->tried, "; %s is set without %s",
        id && *id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
        id && *id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
  else
    g_string_append (ctx->tried, "; no AWS_ACCESS_KEY_ID in the environment");
  return NULL;
}

/* ---- one profile ------------------------------------------------------- */

typedef struct
{
  KvamCredsContext *ctx;
  KvamConfigFile *cred_file;
  KvamConfigFile *conf_file;
  GPtrArray *visited;           /* profile names of the role chain so far */
} Files;

/* @key of @profile: the credentials file first, then the config file. */
static const gchar *
lookup (Files * f, const gchar * profile, const gchar * key)
{
  GHashTable *s = kvam_creds_profile_section (f->cred_file, profile, FALSE);
  const gchar *v = s ? g_hash_table_lookup (s, key) : NULL;

  if (v && *v)
    return v;
  s = kvam_creds_profile_section (f->conf_file, profile, TRUE);
  v = s ? g_hash_table_lookup (s, key) : NULL;
  return v && *v ? v : NULL;
}

static gboolean
profile_exists (Files * f, const gchar * profile)
{
  return kvam_creds_profile_section (f->cred_file, profile, FALSE) ||
      kvam_creds_profile_section (f->conf_file, profile, TRUE);
}

static KvamCredentials *
static_keys (Files * f, const gchar * profile, GError ** error)
{
  const gchar *id = lookup (f, profile, "aws_access_key_id");
  const gchar *secret = lookup (f, profile, "aws_secret_access_key");
  g_autofree gchar *source = NULL;
  GHashTable *cred_section;

  if (!id && !secret)
    return NULL;
  if (!id || !secret) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED,
        "profile '%s' has %s but not %s", profile,
        id ? "aws_access_key_id" : "aws_secret_access_key",
        id ? "aws_secret_access_key" : "aws_access_key_id");
    return NULL;
  }
  cred_section = kvam_creds_profile_section (f->cred_file, profile, FALSE);
  source = g_strdup_printf ("profile %s (%s)", profile, cred_section &&
      g_hash_table_lookup (cred_section, "aws_access_key_id") ?
      kvam_config_file_path (f->cred_file) :
      kvam_config_file_path (f->conf_file));
  return kvam_credentials_new (id, secret, lookup (f, profile,
          "aws_session_token"), 0, source);
}

static KvamCredentials *resolve_profile (Files * f, const gchar * profile,
    GError ** error);

static gchar *
describe_chain (Files * f, const gchar * last)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < f->visited->len; i++)
    g_string_append_printf (s, "%s -> ", (gchar *) f->visited->pdata[i]);
  g_string_append (s, last);
  return g_string_free (s, FALSE);
}

/* credential_source: where a role's source keys come from outside files */
static KvamCredentials *
from_credential_source (Files * f, const gchar * profile, const gchar * src,
    GError ** error)
{
  KvamCredentials *creds = NULL;
  GString *saved = f->ctx->tried;
  g_autoptr (GString) tried = g_string_new (NULL);

  f->ctx->tried = tried;
  if (g_str_equal (src, "Environment"))
    creds = kvam_creds_from_environment (f->ctx);
  else if (g_str_equal (src, "Ec2InstanceMetadata"))
    creds = kvam_creds_from_imds (f->ctx, error);
  else if (g_str_equal (src, "EcsContainer"))
    creds = kvam_creds_from_container (f->ctx, error);
  else
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s': credential_source "
        "'%s' is not one of Environment, Ec2InstanceMetadata, EcsContainer",
        profile, src);
  f->ctx->tried = saved;
  if (!creds && !(error && *error))
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_NOT_FOUND, "profile '%s': credential_source "
        "%s has no credentials (%s)", profile, src, tried->str + 2);
  return creds;
}

/* The keys AssumeRole is signed with. */
static KvamCredentials *
role_source (Files * f, const gchar * profile, GError ** error)
{
  const gchar *source_profile = lookup (f, profile, "source_profile");
  const gchar *credential_source = lookup (f, profile, "credential_source");

  if (source_profile && credential_source) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s' has both "
        "source_profile and credential_source: keep one", profile);
    return NULL;
  }
  if (credential_source)
    return from_credential_source (f, profile, credential_source, error);
  if (!source_profile) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s' has role_arn but no "
        "source_profile, credential_source or web_identity_token_file",
        profile);
    return NULL;
  }
  /* a profile naming itself uses its own keys, as the CLI does */
  if (g_str_equal (source_profile, profile))
    return static_keys (f, profile, error);
  return resolve_profile (f, source_profile, error);
}

static gboolean
parse_duration (const gchar * profile, const gchar * value, guint * out,
    GError ** error)
{
  guint64 v;

  *out = 0;
  if (!value)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, 900, 43200, &v, NULL)) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s': duration_seconds "
        "must be a number of seconds from 900 to 43200", profile);
    return FALSE;
  }
  *out = (guint) v;
  return TRUE;
}

static KvamCredentials *
assume_role_profile (Files * f, const gchar * profile, const gchar * role_arn,
    GError ** error)
{
  const gchar *token_file = lookup (f, profile, "web_identity_token_file");
  g_autofree gchar *label = g_strdup_printf ("profile %s", profile);
  g_autoptr (KvamCredentials) source = NULL;
  KvamAssumeRole role = { role_arn, lookup (f, profile, "role_session_name"),
    lookup (f, profile, "external_id"), 0, label
  };

  if (lookup (f, profile, "mfa_serial")) {
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "profile '%s' needs an MFA code "
        "(mfa_serial), which a pipeline cannot ask for: use a profile "
        "without mfa_serial, or run 'aws sts assume-role' with the code and "
        "pass the temporary keys in the environment", profile);
    return NULL;
  }
  if (!parse_duration (profile, lookup (f, profile, "duration_seconds"),
          &role.duration_seconds, error))
    return NULL;
  if (token_file)
    return kvam_sts_assume_role_with_web_identity (f->ctx, &role, token_file,
        error);
  source = role_source (f, profile, error);
  if (!source)
    return NULL;
  return kvam_sts_assume_role (f->ctx, source, &role, error);
}

static KvamCredentials *
resolve_profile (Files * f, const gchar * profile, GError ** error)
{
  const gchar *role_arn, *process;
  g_autofree gchar *chain = NULL;
  KvamCredentials *creds = NULL;
  GHashTable *conf_section;

  if (g_ptr_array_find_with_equal_func (f->visited, profile, g_str_equal,
          NULL) || f->visited->len >= MAX_CHAIN) {
    chain = describe_chain (f, profile);
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "source_profile %s: %s",
        f->visited->len >= MAX_CHAIN ? "chain too long" : "loop", chain);
    return NULL;
  }
  if (f->visited->len > 0 && !profile_exists (f, profile)) {
    chain = describe_chain (f, profile);
    g_set_error (error, KVAM_CREDENTIALS_ERROR,
        KVAM_CREDENTIALS_ERROR_MALFORMED, "source_profile '%s' does not "
        "exist (%s)", profile, chain);
    return NULL;
  }
  g_ptr_array_add (f->visited, (gpointer) profile);
  conf_section = kvam_creds_profile_section (f->conf_file, profile, TRUE);
  role_arn = lookup (f, profile, "role_arn");
  process = lookup (f, profile, "credential_process");
  if (role_arn)
    creds = assume_role_profile (f, profile, role_arn, error);
  else if (lookup (f, profile, "sso_session") ||
      lookup (f, profile, "sso_start_url"))
    creds = kvam_creds_from_sso (f->ctx, conf_section, f->conf_file, profile,
        error);
  else if (process)
    creds = kvam_creds_from_process (f->ctx, process, profile, error);
  else
    creds = static_keys (f, profile, error);
  g_ptr_array_set_size (f->visited, f->visited->len - 1);
  return creds;
}

KvamCredentials *
kvam_creds_from_profile (KvamCredsContext * ctx, const gchar * profile_prop,
    GError ** error)
{
  const gchar *profile = kvam_creds_selected_profile (profile_prop);
  g_autoptr (KvamConfigFile) cred_file = NULL;
  g_autoptr (KvamConfigFile) conf_file = NULL;
  g_autoptr (GPtrArray) visited = g_ptr_array_new ();
  KvamCredentials *creds;
  GError *err = NULL;
  Files f = { ctx, NULL, NULL, visited };

  cred_file = kvam_creds_load_shared_file ("AWS_SHARED_CREDENTIALS_FILE",
      "credentials", &err);
  if (!err)
    conf_file = kvam_creds_load_shared_file ("AWS_CONFIG_FILE", "config", &err);
  if (err) {
    g_propagate_error (error, err);
    return NULL;
  }
  f.cred_file = cred_file;
  f.conf_file = conf_file;
  creds = resolve_profile (&f, profile, error);
  if (!creds && !(error && *error))
    g_string_append_printf (ctx->tried, "; profile '%s' has no keys in %s "
        "or %s", profile, cred_file ? kvam_config_file_path (cred_file) :
        "the credentials file (absent)", conf_file ?
        kvam_config_file_path (conf_file) : "the config file (absent)");
  return creds;
}
