/*
 * runas_probe.c — a helper the mapix-runas tests run as a test user: it
 * reports what the worker process sees, one "key value" line each, so the
 * tests can check identity, capabilities, environment, descriptors and
 * limits from the worker's own point of view. Installed setuid root by a test,
 * it also shows that no privilege is gained under no_new_privs.
 *
 *   runas_probe                 report everything
 *   runas_probe exit N          exit with status N
 *   runas_probe raise SIG       kill itself with signal SIG
 *   runas_probe sleep SECONDS   print "pid HOSTPID", then sleep
 *   runas_probe escape          print "pid HOSTPID", double-fork a process
 *                               that leaves the session and prints
 *                               "orphan HOSTPID", then sleep
 *   runas_probe write3 TEXT     write TEXT to descriptor 3
 *
 * Process ids are read from /proc/self, which names the process in the
 * PID namespace of the /proc mount (the test's), not in the worker's own.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static long host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atol(buf);
}

static void report(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[1024];
	static const char *const keys[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:",
	                                   "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:"};
	while (f && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				fputs(line, stdout);
	if (f)
		fclose(f);
	printf("euid %d\n", (int)geteuid());
	char cwd[4096];
	printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	mode_t m = umask(0);
	printf("umask %03o\n", (unsigned)m);
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			printf("fd %s\n", de->d_name);
	if (d)
		closedir(d);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile %llu %llu\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		report();
		return 0;
	}
	if (!strcmp(argv[1], "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(argv[1], "raise") && argc > 2) {
		fflush(stdout);
		kill(getpid(), atoi(argv[2]));
		return 99;
	}
	if (!strcmp(argv[1], "sleep") && argc > 2) {
		printf("pid %ld\n", host_pid());
		fflush(stdout);
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	if (!strcmp(argv[1], "escape")) {
		printf("pid %ld\n", host_pid());
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			setsid();
			if (fork() == 0) {
				printf("orphan %ld\n", host_pid());
				fflush(stdout);
				sleep(60);
			}
			_exit(0);
		}
		sleep(60);
		return 0;
	}
	if (!strcmp(argv[1], "write3") && argc > 2) {
		ssize_t n = write(3, argv[2], strlen(argv[2]));
		return n == (ssize_t)strlen(argv[2]) ? 0 : 1;
	}
	fprintf(stderr, "runas_probe: unknown mode %s\n", argv[1]);
	return 2;
}
