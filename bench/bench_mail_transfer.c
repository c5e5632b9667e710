/*
 * bench_mail_transfer.c — `mapix import` of an mbox and `mapix export` of
 * it again, against Dovecot's doveadm doing the same with the same file in
 * the same run (issue 9: at least as fast as Dovecot, memory bounded).
 *
 * The mbox holds N generated messages of the kinds real mail has: plain
 * text, multipart/alternative, RFC 2047 subjects with 8-bit bodies in
 * quoted-printable, attachments, and bodies with "From " lines (quoted the
 * mboxrd way). Both sides run as programs, with TZ=UTC:
 *   mapix:   mapix import --mailbox M IN.mbox        (SQLite, synchronous=FULL)
 *            mapix export --mailbox M --folder Inbox --format mbox OUT
 *   Dovecot: doveadm import into Maildir (its default mail_fsync), then
 *            doveadm import from that Maildir into an mbox location.
 * Dovecot runs on a private configuration (no service, no auth process);
 * when the bench runs as root doveadm drops to nobody, as Dovecot refuses
 * mail access as root. Ratios are Dovecot's time over mapix's (>= 1 means
 * mapix is at least as fast). Peak RSS of each child comes from wait4().
 *
 * A second pass measures memory on one message with a large attachment
 * (MAPIX_BENCH_BIG_MIB, default 64): the peak RSS of import and export must
 * not grow with the message.
 *
 * Usage: bench_mail_transfer [N]   (or MAPIX_BENCH_N; default 10000).
 * MAPIX_BENCH_DIR picks the directory (default $TMPDIR or /tmp). Dovecot is
 * installed by bench/install-dovecot when missing (root only); without it
 * the bench prints why and exits 77.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define BIG_DEFAULT_MIB 64

typedef struct run_result {
	double seconds;
	long max_rss_kib;
} run_result;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench_mail_transfer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* snprintf that ends the bench instead of truncating a path or command. */
static void fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		die("path too long: %s", buf);
}

/* Runs argv (stdout to /dev/null unless keep_stdout) and returns its wall
 * time and peak RSS; any failure ends the bench, since a failed side would
 * give a meaningless ratio. */
static run_result run(char *const argv[], int keep_stdout)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (!keep_stdout)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	double t0 = now();
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		die("cannot run %s: %s", argv[0], strerror(err));
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	run_result r = {now() - t0, ru.ru_maxrss};
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_mail_transfer: command failed (status %d):", status);
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fputc('\n', stderr);
		exit(2);
	}
	return r;
}

static void run_shell(const char *cmd)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	run(argv, 0);
}

/* ---- the test mail ---------------------------------------------------------- */

static const char *const words[] = {"meeting", "report", "budget", "schedule", "review", "draft", "quarter",
                                    "project", "update", "invoice", "travel", "release", "notes", "plan"};
#define NWORDS (sizeof words / sizeof words[0])

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void write_text_lines(FILE *f, unsigned lines, unsigned msg)
{
	for (unsigned l = 0; l < lines; l++) {
		if (l == 3 && msg % 9 == 4)
			/* A body line mboxrd must quote. */
			fputs(">From the archive: quoted once already\n", f);
		if (l == 5 && msg % 9 == 4)
			fputs(">From here on the quoting is mboxrd's\n", f);
		fprintf(f, "%s %s %s line %u of message %u, with enough words to look like prose.\n",
		        words[rnd() % NWORDS], words[rnd() % NWORDS], words[rnd() % NWORDS], l, msg);
	}
}

static void write_base64_blob(FILE *f, size_t bytes)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[78];
	size_t chars = (bytes + 2) / 3 * 4;
	while (chars) {
		size_t n = chars > 76 ? 76 : chars;
		for (size_t i = 0; i < n; i++)
			line[i] = b64[rnd() % 64];
		line[n] = '\n';
		fwrite(line, 1, n + 1, f);
		chars -= n;
	}
}

static void write_message(FILE *f, unsigned i)
{
	unsigned s = i % 50;
	int day = 1 + (int)(i % 28), hour = (int)(i % 24), minute = (int)(i % 60);
	fprintf(f, "From sender%u@example.com Mon Nov %2d %02d:%02d:00 2026\n", s, day, hour, minute);
	fprintf(f, "Return-Path: <sender%u@example.com>\n", s);
	fprintf(f, "Received: from mx.example.com by mail.example.org; Mon, %d Nov 2026 %02d:%02d:01 +0000\n", day,
	        hour, minute);
	fprintf(f, "From: Sender %u <sender%u@example.com>\n", s, s);
	fprintf(f, "To: User One <user1@example.org>, user2@example.org\n");
	if (i % 4 == 0)
		fprintf(f, "Cc: Team <team@example.org>\n");
	if (i % 7 == 2)
		fprintf(f, "Subject: =?UTF-8?B?w5xiZXIgZGllIFLDvGNrbWVsZHVuZw==?= %u\n", i);
	else
		fprintf(f, "Subject: %s %s %u\n", words[i % NWORDS], words[(i / 3) % NWORDS], i);
	fprintf(f, "Date: Mon, %d Nov 2026 %02d:%02d:00 +0100\n", day, hour, minute);
	fprintf(f, "Message-ID: <bench.%u@example.com>\n", i);
	if (i > 0 && i % 3 == 0)
		fprintf(f, "In-Reply-To: <bench.%u@example.com>\nReferences: <bench.%u@example.com>\n", i - 1, i - 1);
	fprintf(f, "MIME-Version: 1.0\n");
	unsigned lines = 10 + rnd() % 40;
	if (i % 10 == 0) {
		fprintf(f, "Content-Type: multipart/mixed; boundary=\"b%u\"\n\n--b%u\n", i, i);
		fprintf(f, "Content-Type: text/plain; charset=utf-8\n\n");
		write_text_lines(f, lines, i);
		fprintf(f, "\n--b%u\nContent-Type: application/pdf; name=\"report-%u.pdf\"\n"
		           "Content-Disposition: attachment; filename=\"report-%u.pdf\"\n"
		           "Content-Transfer-Encoding: base64\n\n",
		        i, i, i);
		write_base64_blob(f, 4096 + rnd() % 16384);
		fprintf(f, "\n--b%u--\n", i);
	} else if (i % 5 == 1) {
		fprintf(f, "Content-Type: multipart/alternative; boundary=\"a%u\"\n\n--a%u\n", i, i);
		fprintf(f, "Content-Type: text/plain; charset=utf-8\n\n");
		write_text_lines(f, lines, i);
		fprintf(f, "\n--a%u\nContent-Type: text/html; charset=utf-8\n\n<html><body>\n", i);
		for (unsigned l = 0; l < lines; l++)
			fprintf(f, "<p>%s <b>%s</b> paragraph %u</p>\n", words[rnd() % NWORDS], words[rnd() % NWORDS], l);
		fprintf(f, "</body></html>\n\n--a%u--\n", i);
	} else if (i % 7 == 2) {
		fprintf(f, "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n");
		for (unsigned l = 0; l < lines; l++)
			fprintf(f, "Gr=FC=DFe aus M=FCnchen, Zeile %u: %s %s\n", l, words[rnd() % NWORDS],
			        words[rnd() % NWORDS]);
	} else {
		fprintf(f, "Content-Type: text/plain; charset=utf-8\n\n");
		write_text_lines(f, lines, i);
	}
	fputc('\n', f);
}

static void write_mbox(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	for (unsigned i = 0; i < n; i++)
		write_message(f, i);
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* One message whose attachment is `mib` MiB (base64 in the file). */
static void write_big_mbox(const char *path, unsigned mib)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "From big@example.com Mon Nov 23 10:00:00 2026\nFrom: Big <big@example.com>\n"
	           "To: user1@example.org\nSubject: one large attachment\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
	           "Message-ID: <big@example.com>\nMIME-Version: 1.0\n"
	           "Content-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: text/plain\n\nSee attached.\n"
	           "--big\nContent-Type: application/octet-stream; name=\"big.bin\"\n"
	           "Content-Transfer-Encoding: base64\n\n");
	write_base64_blob(f, (size_t)mib << 20);
	fprintf(f, "--big--\n\n");
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static unsigned long count_from_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	unsigned long n = 0;
	int blank = 1;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (blank && strncmp(line, "From ", 5) == 0)
			n++;
		blank = len == 1 && line[0] == '\n';
	}
	free(line);
	fclose(f);
	return n;
}

/* ---- the two sides ------------------------------------------------------------ */

typedef struct side {
	run_result import, export;
} side;

static side run_mapix(const char *dir, const char *tag, const char *mbox, const char *cli)
{
	char mailbox[4096], out[4096], cmd[8192];
	fmt(mailbox, sizeof mailbox, "%s/%s.mapix", dir, tag);
	fmt(out, sizeof out, "%s/%s-export", dir, tag);
	fmt(cmd, sizeof cmd, "rm -rf '%s' '%s'-wal '%s'-shm '%s'", mailbox, mailbox, mailbox, out);
	run_shell(cmd);
	side s;
	char *imp[] = {(char *)cli, "import", "--quiet", "--mailbox", mailbox, (char *)mbox, NULL};
	s.import = run(imp, 0);
	char *exp[] = {(char *)cli, "export", "--quiet", "--mailbox", mailbox, "--folder", "Inbox", "--format", "mbox",
	               "--no-recurse", out, NULL};
	s.export = run(exp, 0);
	return s;
}

/* Writes the private Dovecot configuration: no services, mail as `uid`. */
static void write_dovecot_conf(const char *dir, uid_t uid, gid_t gid)
{
	char path[4096];
	fmt(path, sizeof path, "%s/dovecot/dovecot.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f,
	        "base_dir = %s/dovecot/run\nstate_dir = %s/dovecot/state\nlog_path = %s/dovecot/dovecot.log\n"
	        "ssl = no\nprotocols =\nmail_uid = %u\nmail_gid = %u\nfirst_valid_uid = %u\nfirst_valid_gid = %u\n"
	        "mail_location = maildir:%s/dovecot/home/Maildir\n",
	        dir, dir, dir, (unsigned)uid, (unsigned)gid, (unsigned)uid, (unsigned)gid, dir);
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static side run_dovecot(const char *dir, const char *mbox)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (uid == 0) {
		struct passwd *pw = getpwnam("nobody");
		if (!pw)
			die("running as root needs the user nobody for Dovecot (it refuses mail access as root)");
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	char cmd[8192], conf[4096], src[4096], dst[4096];
	fmt(cmd, sizeof cmd,
	         "rm -rf '%s/dovecot' && mkdir -p '%s/dovecot/run' '%s/dovecot/state' '%s/dovecot/home' "
	         "'%s/dovecot/src' '%s/dovecot/out' && cp '%s' '%s/dovecot/src/in.mbox' && "
	         "chown -R %u:%u '%s/dovecot/home' '%s/dovecot/src' '%s/dovecot/out' && chmod 755 '%s/dovecot'",
	         dir, dir, dir, dir, dir, dir, mbox, dir, (unsigned)uid, (unsigned)gid, dir, dir, dir, dir);
	run_shell(cmd);
	write_dovecot_conf(dir, uid, gid);
	fmt(conf, sizeof conf, "%s/dovecot/dovecot.conf", dir);
	fmt(src, sizeof src, "mbox:%s/dovecot/src:INBOX=%s/dovecot/src/in.mbox", dir, dir);
	fmt(dst, sizeof dst, "mail_location=mbox:%s/dovecot/out:INBOX=%s/dovecot/out/inbox", dir, dir);
	side s;
	char *imp[] = {"doveadm", "-c", conf, "import", src, "", "all", NULL};
	s.import = run(imp, 0);
	char maildir[4096];
	fmt(maildir, sizeof maildir, "maildir:%s/dovecot/home/Maildir", dir);
	char *exp[] = {"doveadm", "-c", conf, "-o", dst, "import", maildir, "", "all", NULL};
	s.export = run(exp, 0);
	return s;
}

static int have_doveadm(void)
{
	return system("command -v doveadm >/dev/null 2>&1") == 0;
}

static void report(const char *what, unsigned long n, double bytes, run_result m, run_result d)
{
	printf("%-7s mapix %7.2f s %8.0f msg/s %7.1f MiB/s  peak RSS %6.1f MiB | doveadm %7.2f s %8.0f msg/s  "
	       "peak RSS %6.1f MiB | ratio %.2f\n",
	       what, m.seconds, n / m.seconds, bytes / 1048576.0 / m.seconds, m.max_rss_kib / 1024.0, d.seconds,
	       n / d.seconds, d.max_rss_kib / 1024.0, d.seconds / m.seconds);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("MAPIX_BENCH_N");
	unsigned long n = s ? strtoul(s, NULL, 10) : 10000;
	const char *big_s = getenv("MAPIX_BENCH_BIG_MIB");
	unsigned big_mib = big_s ? (unsigned)strtoul(big_s, NULL, 10) : BIG_DEFAULT_MIB;
	const char *base = getenv("MAPIX_BENCH_DIR");
	if (!base)
		base = getenv("TMPDIR");
	if (!base)
		base = "/tmp";
	if (n == 0)
		die("N must be at least 1");

	if (!have_doveadm()) {
		char *inst[] = {"sh", MAPIX_BENCH_SOURCE_DIR "/install-dovecot", NULL};
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		pid_t pid;
		int status = 1;
		if (posix_spawnp(&pid, "sh", &fa, NULL, inst, environ) == 0)
			waitpid(pid, &status, 0);
		posix_spawn_file_actions_destroy(&fa);
		if (!have_doveadm()) {
			printf("bench_mail_transfer: SKIP: Dovecot's doveadm is not installed and could not be "
			       "installed (run as root, or apt-get install dovecot-core)\n");
			return 77;
		}
	}

	char dir[4096];
	fmt(dir, sizeof dir, "%s/mapix-bench-transfer.XXXXXX", base);
	if (!mkdtemp(dir))
		die("mkdtemp in %s: %s", base, strerror(errno));
	chmod(dir, 0755);
	setenv("TZ", "UTC", 1);
	/* doveadm without -u serves $USER with $HOME and needs no auth process. */
	setenv("USER", "bench", 1);
	char home[4200];
	fmt(home, sizeof home, "%s/dovecot/home", dir);
	setenv("HOME", home, 1);

	char mbox[4200];
	fmt(mbox, sizeof mbox, "%s/in.mbox", dir);
	write_mbox(mbox, (unsigned)n);
	struct stat st;
	if (stat(mbox, &st))
		die("%s: %s", mbox, strerror(errno));
	printf("bench_mail_transfer: %lu messages, %.1f MiB mbox, in %s\n", n, st.st_size / 1048576.0, dir);

	side m = run_mapix(dir, "mapix", mbox, MAPIX_CLI_PATH);
	side d = run_dovecot(dir, mbox);

	char out[4300];
	fmt(out, sizeof out, "%s/mapix-export/Inbox", dir);
	unsigned long got_m = count_from_lines(out);
	fmt(out, sizeof out, "%s/dovecot/out/inbox", dir);
	unsigned long got_d = count_from_lines(out);
	if (got_m != n || got_d != n)
		die("exported message counts differ from the input: mapix %lu, doveadm %lu, input %lu", got_m, got_d, n);

	report("import", n, (double)st.st_size, m.import, d.import);
	report("export", n, (double)st.st_size, m.export, d.export);

	if (big_mib) {
		char big[4200];
		fmt(big, sizeof big, "%s/big.mbox", dir);
		write_big_mbox(big, big_mib);
		side b = run_mapix(dir, "big", big, MAPIX_CLI_PATH);
		printf("memory: one message with a %u MiB attachment: import peak RSS %.1f MiB, export peak RSS %.1f MiB "
		       "(%lu-message file: %.1f / %.1f MiB)\n",
		       big_mib, b.import.max_rss_kib / 1024.0, b.export.max_rss_kib / 1024.0, n,
		       m.import.max_rss_kib / 1024.0, m.export.max_rss_kib / 1024.0);
	}

	if (!getenv("MAPIX_BENCH_KEEP")) {
		char cmd[4400];
		fmt(cmd, sizeof cmd, "rm -rf '%s'", dir);
		run_shell(cmd);
	}
	return 0;
}
