/*
 * mapixrunas.h — libmapix-runas: start processes as another user, for
 * services that embed the mapix-runas broker (design: mapix-runas, the
 * "one worker process per user" architecture). This library is separate from
 * libmapix and links only libc; the privileged part (PAM, identity change)
 * runs in a monitor process, which is the mapix-runas program executed by the
 * library right after fork.
 *
 * A session is one user's monitor process: it holds the user's PAM session
 * open (when a PAM service is configured) and runs one command at a time as
 * that user. mapix_spawn_as opens a session and starts one command in it.
 *
 * Every function returns 0 on success and -1 on failure with errno set and a
 * one-line message for the calling thread in mapix_runas_last_error().
 * The caller must be root, or hold CAP_SETUID and CAP_SETGID.
 */
#ifndef MAPIX_MAPIXRUNAS_H
#define MAPIX_MAPIXRUNAS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAPIX_RUNAS_API __attribute__((visibility("default")))

/* MAPIX_RUNAS_OPTIONS.flags */
#define MAPIX_RUNAS_NO_PIDNS 0x1u /* never use a PID namespace: process tree clean-up only */

/* One resource limit for the workers (a RLIMIT_* number). Limits are only
 * ever lowered: a value above the current soft or hard limit leaves it. */
typedef struct MAPIX_RUNAS_LIMIT {
	int resource;
	unsigned long long value;
} MAPIX_RUNAS_LIMIT;

typedef struct MAPIX_RUNAS_OPTIONS {
	const char *pam_service;          /* NULL: no PAM session (the default) */
	const char *pam_confdir;          /* NULL: the system PAM configuration */
	const char *helper_path;          /* the mapix-runas program; NULL: the installed one */
	const MAPIX_RUNAS_LIMIT *limits;  /* resource limits for the workers */
	size_t n_limits;
	const char *const *keep_env;      /* NULL-terminated extra MAPIX_* names passed through */
	unsigned int flags;               /* MAPIX_RUNAS_NO_PIDNS */
} MAPIX_RUNAS_OPTIONS;

typedef struct MAPIX_RUNAS_SESSION MAPIX_RUNAS_SESSION;

/* Zero options: no PAM, installed helper, no limits, PID namespaces on. */
MAPIX_RUNAS_API void mapix_runas_options_init(MAPIX_RUNAS_OPTIONS *opt);

/* Resolves the user (in the calling process), starts the monitor and, where
 * configured, opens the PAM session. A PAM refusal (expired password, expired
 * or locked account) fails with EKEYEXPIRED or EACCES and PAM's reason. */
MAPIX_RUNAS_API int mapix_runas_open(const char *user, const MAPIX_RUNAS_OPTIONS *opt,
                                     MAPIX_RUNAS_SESSION **out);

/* Starts argv[0] (searched in the worker's fixed PATH when it has no '/')
 * as the session's user. in/out/err become the worker's 0, 1 and 2 (-1: the
 * caller's own); control_fd, when not -1, becomes descriptor 3 and is named
 * in MAPIX_RUNAS_CONTROL_FD. env holds extra NAME=VALUE strings (NULL: none);
 * only LANG, TZ and allow-listed MAPIX_* names are taken from it. One command
 * runs at a time in a session. */
MAPIX_RUNAS_API int mapix_runas_start(MAPIX_RUNAS_SESSION *s, const char *const argv[],
                                      const char *const env[], int in, int out, int err,
                                      int control_fd);

/* Waits for the running command. *status is a wait status (WIFEXITED,
 * WEXITSTATUS, WIFSIGNALED, WTERMSIG apply). When the command could not be
 * started (not found, identity change refused) *status says exit 125, 126 or
 * 127 and the call fails with the reason. */
MAPIX_RUNAS_API int mapix_runas_wait(MAPIX_RUNAS_SESSION *s, int *status);

/* A descriptor that becomes readable when the running command has finished,
 * for event loops; then mapix_runas_wait does not block. */
MAPIX_RUNAS_API int mapix_runas_fd(const MAPIX_RUNAS_SESSION *s);

/* Sends a signal to the running command. */
MAPIX_RUNAS_API int mapix_runas_kill(MAPIX_RUNAS_SESSION *s, int sig);

/* The monitor's process id (root, holds the PAM session). */
MAPIX_RUNAS_API pid_t mapix_runas_monitor_pid(const MAPIX_RUNAS_SESSION *s);

/* Ends the session: a running command and everything it started are killed,
 * the PAM session is closed, the monitor is reaped. NULL is accepted. */
MAPIX_RUNAS_API int mapix_runas_close(MAPIX_RUNAS_SESSION *s);

/* mapix_runas_open + mapix_runas_start with the caller's 0, 1 and 2. */
MAPIX_RUNAS_API int mapix_spawn_as(const char *user, const char *const argv[],
                                   const MAPIX_RUNAS_OPTIONS *opt, MAPIX_RUNAS_SESSION **out);

/* Pool client: asks the broker listening on socket_path to run argv as user
 * with in/out/err as the command's 0, 1 and 2, and waits for the wait status.
 * env as for mapix_runas_start. See docs/protocol.md. */
MAPIX_RUNAS_API int mapix_runas_pool_run(const char *socket_path, const char *user,
                                         const char *const argv[], const char *const env[],
                                         int in, int out, int err, int *status);

/* The calling thread's message for the last failure ("" when none). */
MAPIX_RUNAS_API const char *mapix_runas_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
