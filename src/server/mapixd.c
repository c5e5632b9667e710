/*
 * mapixd.c — the mapixd program: options, start-up, daemonizing, signals
 * and an orderly shutdown. See docs/mapixd.md.
 *
 *   mapixd [--config FILE] [--daemon] [--pid-file FILE]
 *   mapixd [--config FILE] --create-account NAME [--display-name TEXT]
 *          [--smtp ADDRESS] [--unix-user USER] [--password-file FILE]
 *   mapixd [--config FILE] --grant MAILBOX GRANTEE RIGHT | --revoke MAILBOX GRANTEE RIGHT
 *   mapixd [--config FILE] --check-config
 *
 * It runs in the foreground (as systemd wants) unless --daemon is given; a
 * daemonizing mapixd returns only once the socket accepts connections, so
 * scripts can use the server as soon as the command returns. Everything it
 * creates is private to its user (umask 077): mailbox files are 0600 and
 * reached only through the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

#define DEFAULT_CONFIG "/etc/mapix/mapixd.conf"

static srv_server *g_server;

static void on_signal(int sig)
{
	(void)sig;
	if (g_server)
		srv_stop(g_server);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mapixd [--config FILE] [--daemon] [--pid-file FILE]\n"
	           "       mapixd [--config FILE] --create-account NAME [--display-name TEXT] [--smtp ADDRESS]\n"
	           "              [--unix-user USER] [--password-file FILE]\n"
	           "       mapixd [--config FILE] --grant|--revoke MAILBOX GRANTEE full|admin|deliver\n"
	           "       mapixd [--config FILE] --check-config\n");
}

static int fail(const char *what)
{
	fprintf(stderr, "mapixd: %s: %s\n", what, MAPIXGetLastErrorText());
	return 1;
}

/* Makes the data directory (and its parents' last component) private. */
static int make_data_dir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "mapixd: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int read_password(const char *file, char *out, size_t cap)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f || !fgets(out, (int)cap, f)) {
		fprintf(stderr, "mapixd: cannot read a password from %s\n", file);
		if (f && f != stdin)
			fclose(f);
		return 1;
	}
	if (f != stdin)
		fclose(f);
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

/* Forks into the background; the parent exits when the child reports
 * readiness (a byte on the pipe) or failure (the pipe closes). */
static int daemonize(int *ready_fd)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char c;
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0) {
		/* "/" always exists; keep going */
	}
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > 2)
			close(null);
	}
	*ready_fd = p[1];
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_DISPLAY = 256, O_SMTP, O_UNIX, O_PWFILE, O_GRANT, O_REVOKE, O_CHECK, O_PIDFILE };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"daemon", no_argument, NULL, 'd'},
		{"foreground", no_argument, NULL, 'f'},
		{"create-account", required_argument, NULL, 'a'},
		{"display-name", required_argument, NULL, O_DISPLAY},
		{"smtp", required_argument, NULL, O_SMTP},
		{"unix-user", required_argument, NULL, O_UNIX},
		{"password-file", required_argument, NULL, O_PWFILE},
		{"grant", no_argument, NULL, O_GRANT},
		{"revoke", no_argument, NULL, O_REVOKE},
		{"check-config", no_argument, NULL, O_CHECK},
		{"pid-file", required_argument, NULL, O_PIDFILE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *account = NULL, *display = "", *smtp = "", *unix_user = "", *pwfile = NULL;
	const char *pid_file = NULL;
	BOOL daemon_mode = FALSE, check = FALSE;
	int grant = 0, opt;
	while ((opt = getopt_long(argc, argv, "c:dfa:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': daemon_mode = TRUE; break;
		case 'f': daemon_mode = FALSE; break;
		case 'a': account = optarg; break;
		case O_DISPLAY: display = optarg; break;
		case O_SMTP: smtp = optarg; break;
		case O_UNIX: unix_user = optarg; break;
		case O_PWFILE: pwfile = optarg; break;
		case O_GRANT: grant = 1; break;
		case O_REVOKE: grant = -1; break;
		case O_CHECK: check = TRUE; break;
		case O_PIDFILE: pid_file = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if ((grant && argc - optind != 3) || (!grant && optind != argc)) {
		usage(stderr);
		return 2;
	}
	if (!config && access(DEFAULT_CONFIG, F_OK) == 0)
		config = DEFAULT_CONFIG;

	umask(077);
	static srv_server server;
	srv_server *s = &server;
	char why[1024] = "";
	if (FAILED(srv_config_load(config, &s->cfg, why, sizeof why))) {
		fprintf(stderr, "mapixd: configuration: %s\n", why);
		return 1;
	}
	if (pid_file) {
		free(s->cfg.pid_file);
		s->cfg.pid_file = strdup(pid_file);
	}
	if (check) {
		/* The TLS files are part of a valid configuration. */
		if (s->cfg.tcp_listen && FAILED(srv_tls_init(s))) {
			srv_tls_free(s);
			return fail("configuration");
		}
		srv_tls_free(s);
		printf("mapixd: %s is valid (server %s, socket %s, data %s%s%s)\n", config ? config : "(defaults)",
		       s->cfg.server_name, s->cfg.socket_path, s->cfg.data_dir, s->cfg.tcp_listen ? ", TLS on " : "",
		       s->cfg.tcp_listen ? s->cfg.tcp_listen : "");
		srv_config_free(&s->cfg);
		return 0;
	}
	if (make_data_dir(s->cfg.data_dir))
		return 1;
	if (FAILED(srv_dir_open(s->cfg.data_dir, s->cfg.server_name, &s->dir)))
		return fail("account directory");
	if (FAILED(srv_audit_open(&s->cfg, &s->audit)))
		return fail("audit log");
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->listen_fd = -1;
	s->tcp_fd = -1;

	int rc = 0;
	if (account || grant) {
		/* Offline administration: the directory is shared safely with a
		 * running server (SQLite, WAL). */
		if (account) {
			srv_account a;
			char password[1024];
			memset(&a, 0, sizeof a);
			if (strlen(account) >= sizeof a.name || strlen(display) >= sizeof a.display_name ||
			    strlen(smtp) >= sizeof a.smtp || strlen(unix_user) >= sizeof a.unix_user) {
				fprintf(stderr, "mapixd: an account field is too long\n");
				rc = 1;
			} else if (pwfile && read_password(pwfile, password, sizeof password)) {
				rc = 1;
			} else {
				snprintf(a.name, sizeof a.name, "%s", account);
				snprintf(a.display_name, sizeof a.display_name, "%s", display);
				snprintf(a.smtp, sizeof a.smtp, "%s", smtp);
				snprintf(a.unix_user, sizeof a.unix_user, "%s", unix_user);
				if (FAILED(srv_dir_add(s->dir, &a, pwfile ? password : NULL, s->cfg.max_accounts)) ||
				    FAILED(srv_dir_find(s->dir, account, &a)))
					rc = fail("create account");
				else if (FAILED(srv_mailbox_create(s, &a))) {
					rc = fail("create mailbox");
					srv_dir_remove(s->dir, account);
				} else {
					char dn[512];
					srv_dir_dn(s->dir, a.name, dn, sizeof dn);
					printf("created account %s (%s), mailbox %s\n", a.name, dn, a.file);
				}
				memset(password, 0, sizeof password);
			}
		} else {
			HRESULT hr = grant > 0 ? srv_dir_grant(s->dir, argv[optind], argv[optind + 1], argv[optind + 2])
			                       : srv_dir_revoke(s->dir, argv[optind], argv[optind + 1], argv[optind + 2]);
			if (FAILED(hr))
				rc = fail(grant > 0 ? "grant" : "revoke");
		}
		srv_mailbox_close_all(s);
		srv_audit_close(s->audit);
		srv_dir_close(s->dir);
		srv_config_free(&s->cfg);
		return rc;
	}

	int ready_fd = -1;
	if (daemon_mode && daemonize(&ready_fd) != 0) {
		fprintf(stderr, "mapixd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	if (pipe2(s->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return fail("pipe");
	g_server = s;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (FAILED(srv_logon_init(s)))
		return fail("password logons");
	if (s->cfg.tcp_listen && FAILED(srv_tls_init(s)))
		return fail("TLS");
	if (FAILED(srv_listen(s)))
		return fail("listen");
	if (s->cfg.tcp_listen && FAILED(srv_listen_tcp(s)))
		return fail("listen (TCP)");
	if (FAILED(srv_lmtp_start(s)))
		return fail("LMTP");
	if (s->cfg.pid_file) {
		FILE *f = fopen(s->cfg.pid_file, "w");
		if (f) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) < 0) {
			/* the starter is gone; serve anyway */
		}
		close(ready_fd);
	}
	srv_run(s);
	if (!srv_lmtp_stop(s))
		s->abandoned = TRUE;
	if (s->abandoned) {
		/* A connection thread still uses the stores: leave without
		 * tearing them down under it. */
		if (s->cfg.pid_file)
			unlink(s->cfg.pid_file);
		_exit(0);
	}
	srv_mailbox_close_all(s);
	if (s->cfg.pid_file)
		unlink(s->cfg.pid_file);
	srv_audit_close(s->audit);
	srv_dir_close(s->dir);
	srv_tls_free(s);
	srv_logon_free(s);
	srv_config_free(&s->cfg);
	close(s->wake_pipe[0]);
	close(s->wake_pipe[1]);
	return 0;
}
