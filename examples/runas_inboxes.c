/*
 * runas_inboxes.c — reads several users' Inboxes, each through that user's
 * own profile, without impersonating anyone in this process: for every
 * user named on the command line it starts a worker process as that user
 * through the mapix-runas broker (libmapix-runas) and lets the worker
 * (inbox_summary) log on. Must run as root (or with CAP_SETUID/CAP_SETGID).
 *
 * Usage: runas_inboxes [--helper PATH] [--worker PATH] USER...
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <mapixrunas.h>

int main(int argc, char **argv)
{
	const char *helper = NULL, *worker = "inbox_summary";
	int i = 1, failures = 0;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--helper") == 0)
			helper = argv[i + 1];
		else if (strcmp(argv[i], "--worker") == 0)
			worker = argv[i + 1];
	}
	if (i >= argc) {
		fprintf(stderr, "usage: runas_inboxes [--helper PATH] [--worker PATH] USER...\n");
		return 2;
	}
	MAPIX_RUNAS_OPTIONS opt;
	mapix_runas_options_init(&opt);
	opt.helper_path = helper;
	/* The service catalog location is the one MAPIX_ variable it needs. */
	static const char *const keep[] = {"MAPIX_SYSCONFDIR", NULL};
	opt.keep_env = keep;
	for (; i < argc; i++) {
		MAPIX_RUNAS_SESSION *s;
		const char *const cmd[] = {worker, NULL};
		int status = 0;
		fflush(stdout);
		if (mapix_spawn_as(argv[i], cmd, &opt, &s) != 0 || mapix_runas_wait(s, &status) != 0) {
			fprintf(stderr, "runas_inboxes: %s: %s\n", argv[i], mapix_runas_last_error());
			failures++;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "runas_inboxes: %s: the worker failed (status %d)\n", argv[i], status);
			failures++;
		}
		mapix_runas_close(s);
	}
	return failures ? 1 : 0;
}
