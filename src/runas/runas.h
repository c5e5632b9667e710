/*
 * runas.h — private declarations of mapix-runas, the broker that runs
 * processes as other users (design: mapix-runas). Not part of libmapix.
 *
 * Process layout, per session:
 *
 *   broker (mapix-runas CLI, the pool, or a service using libmapix-runas)
 *     └─ monitor   root; the mapix-runas program executed with --monitor;
 *        │         holds the PAM session; one per user session
 *        └─ init   PID 1 of a fresh PID namespace, one per command (absent
 *           │      when namespaces are unavailable: the monitor is then a
 *           │      child subreaper and kills the leftover process tree)
 *           └─ worker  the command, with the user's identity, no privileges
 *
 * The broker and the monitor talk over a SOCK_SEQPACKET socket pair with the
 * same framing as the pool protocol (docs/protocol.md): frames of typed
 * fields, descriptors passed with SCM_RIGHTS.
 *
 * Library part (libmapix-runas, libc only): runas_wire.c, runas_error.c,
 * runas_ident.c, runas_session.c, runas_client.c. Program part (libpam):
 * runas_main.c, runas_monitor.c, runas_pam.c, runas_worker.c, runas_pool.c.
 */
#ifndef MAPIX_RUNAS_PRIVATE_H
#define MAPIX_RUNAS_PRIVATE_H

#include <mapix/mapixrunas.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- wire format (runas_wire.c) ---------------------------------------- */

#define RUNAS_PROTO_VERSION 1
#define RUNAS_FRAME_MAX 65536 /* whole frame, header included */
#define RUNAS_HEADER_SIZE 8   /* u32 length, u16 version, u16 type */
#define RUNAS_MAX_FDS 4       /* stdin, stdout, stderr, control */
#define RUNAS_MAX_ARGS 1024
#define RUNAS_MAX_ENV 256
#define RUNAS_MAX_GROUPS 65536

enum runas_msg_type {
	RUNAS_MSG_RUN = 1,    /* client/broker -> broker/monitor: run a command */
	RUNAS_MSG_RESULT = 2, /* -> requester: exit status or refusal */
	RUNAS_MSG_SETUP = 3,  /* broker -> monitor: the resolved identity and options */
	RUNAS_MSG_READY = 4,  /* monitor -> broker: session open */
	RUNAS_MSG_SIGNAL = 5, /* broker -> monitor: signal the running command */
};

enum runas_tag {
	RUNAS_TAG_USER = 1,   /* string */
	RUNAS_TAG_ARG = 2,    /* string, repeated, in order */
	RUNAS_TAG_ENV = 3,    /* string NAME=VALUE, repeated */
	RUNAS_TAG_EXIT = 4,   /* u32 exit code */
	RUNAS_TAG_SIGNAL = 5, /* u32 signal number */
	RUNAS_TAG_ERROR = 6,  /* string: why the request failed */
	RUNAS_TAG_ERRNO = 7,  /* u32 errno value for ERROR */
	/* broker <-> monitor only */
	RUNAS_TAG_UID = 16,
	RUNAS_TAG_GID = 17,
	RUNAS_TAG_GROUP = 18,       /* u32, repeated */
	RUNAS_TAG_HOME = 19,
	RUNAS_TAG_SHELL = 20,
	RUNAS_TAG_PAM_SERVICE = 21,
	RUNAS_TAG_PAM_CONFDIR = 22,
	RUNAS_TAG_RLIMIT = 23,      /* u32 resource, u64 value */
	RUNAS_TAG_FLAGS = 24,       /* u32 MAPIX_RUNAS_* flags */
	RUNAS_TAG_KEEP_ENV = 25,    /* string: an allow-listed MAPIX_* name */
};

struct runas_frame {
	size_t len;   /* bytes used in buf, header included */
	bool overflow;
	unsigned char buf[RUNAS_FRAME_MAX];
};

struct runas_field {
	unsigned tag;
	const unsigned char *data;
	size_t len;
};

struct runas_frame *runas_frame_new(unsigned type);
void runas_frame_reset(struct runas_frame *f, unsigned type);
unsigned runas_frame_type(const struct runas_frame *f);
void runas_frame_put(struct runas_frame *f, unsigned tag, const void *data, size_t len);
void runas_frame_put_str(struct runas_frame *f, unsigned tag, const char *s);
void runas_frame_put_u32(struct runas_frame *f, unsigned tag, uint32_t v);
/* Sends one frame with nfds descriptors. Fails with EMSGSIZE on overflow. */
int runas_frame_send(int sock, struct runas_frame *f, const int *fds, int nfds);
/* Receives one frame: 1 with *nfds descriptors stored in fds, 0 at end of
 * stream, -1 on error. A malformed frame (length, version, field layout,
 * truncation, more than max_fds descriptors) fails with EPROTO after closing
 * every descriptor that came with it. */
int runas_frame_recv(int sock, struct runas_frame *f, int *fds, int max_fds, int *nfds);
/* Field iteration: *off starts at 0; 1 per field, 0 at the end. Frames from
 * runas_frame_recv are already checked, so -1 never happens for them. */
int runas_frame_next(const struct runas_frame *f, size_t *off, struct runas_field *out);
/* A malloc'd NUL-terminated copy; NULL (EPROTO) if the field holds a NUL. */
char *runas_field_str(const struct runas_field *fl);
int runas_field_u32(const struct runas_field *fl, uint32_t *v);

/* ---- errors (runas_error.c) -------------------------------------------- */

/* Records "fmt..." for mapix_runas_last_error, sets errno = err, returns -1. */
int runas_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void runas_clear_error(void);

/* ---- identities and configuration (runas_ident.c) ---------------------- */

struct runas_ident {
	char *name;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *home;
	char *shell;
};

int runas_ident_resolve(const char *user, struct runas_ident *id);
void runas_ident_free(struct runas_ident *id);
/* "nofile=64" → RLIMIT_NOFILE, 64. "unlimited" is accepted (never lowers). */
int runas_rlimit_parse(const char *spec, MAPIX_RUNAS_LIMIT *out);
/* A uid given as a number or a user name. */
int runas_uid_parse(const char *spec, uid_t *out);
/* LANG, TZ, MAPIX_DEBUG and the names in keep (NULL-terminated) pass from
 * the caller into a worker's environment; nothing else does. */
bool runas_env_allowed(const char *entry, const char *const *keep);

/* ---- broker side of a session (runas_session.c) ------------------------- */

/* True while a started command has not been waited for. */
bool runas_session_busy(const MAPIX_RUNAS_SESSION *s);

/* ---- program part ------------------------------------------------------- */

/* runas_monitor.c: main of `mapix-runas --monitor FD PPID`. */
int runas_monitor_main(int ctl, pid_t broker);

/* runas_pam.c: PAM steps of a session, in the monitor. */
struct runas_pam;
int runas_pam_open(const char *service, const char *confdir, const char *user,
                   struct runas_pam **out, char *msg, size_t msgsz, int *err);
char **runas_pam_env(struct runas_pam *p); /* malloc'd NULL-terminated list, may be NULL */
void runas_pam_close(struct runas_pam *p);

/* runas_worker.c: what runs after fork, async-signal-safe only. */
struct runas_worker_plan {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	const char *home;
	char *const *argv;
	char *const *envp;
	const char *path_dirs[4]; /* the fixed PATH, NULL-terminated */
	const MAPIX_RUNAS_LIMIT *limits;
	size_t n_limits;
	int fds[RUNAS_MAX_FDS]; /* become 0, 1, 2 (and 3 when nfds is 4) */
	int nfds;
	int errpipe;            /* write end, O_CLOEXEC: a struct runas_worker_error on failure */
};

enum runas_worker_stage {
	RUNAS_STAGE_FDS = 1,
	RUNAS_STAGE_BOUNDING,
	RUNAS_STAGE_GROUPS,
	RUNAS_STAGE_GID,
	RUNAS_STAGE_UID,
	RUNAS_STAGE_VERIFY,
	RUNAS_STAGE_CAPS,
	RUNAS_STAGE_NNP,
	RUNAS_STAGE_PDEATHSIG,
	RUNAS_STAGE_RLIMIT,
	RUNAS_STAGE_EXEC,
};

struct runas_worker_error {
	int stage;
	int err;
};

#define RUNAS_PATH "/usr/local/bin:/usr/bin:/bin"

/* Never returns: becomes the command or exits 125/126/127. */
void runas_worker_exec(const struct runas_worker_plan *plan, pid_t expected_parent)
	__attribute__((noreturn));
/* PID 1 of a command's namespace: starts the worker, forwards signals,
 * writes the worker's wait status to status_fd and exits (which kills every
 * process left in the namespace). alive_fd reads EOF once the monitor dies. */
void runas_init_run(const struct runas_worker_plan *plan, int status_fd, int alive_fd)
	__attribute__((noreturn));
const char *runas_worker_stage_name(int stage);

/* runas_pool.c */
struct runas_pool_config {
	const char *socket_path;
	uid_t *allowed;
	size_t n_allowed;
	unsigned max_sessions;
	unsigned idle_ms;
	MAPIX_RUNAS_OPTIONS opts;
};
int runas_pool_serve(const struct runas_pool_config *cfg);

#endif
