/*
 * bench_mapixd.c — what going through mapixd costs (issue 7's targets):
 *
 *   read    opening and reading N messages (default 1000; argv[1] or
 *           MAPIX_BENCH_N) through the UNIX socket and the remote provider,
 *           against the same through the local provider on a file of the
 *           same content, in the same run. Each message: OpenEntry by
 *           entry ID (from a contents table read once), GetProps of 8
 *           properties (subject, class, body, importance, sender name and
 *           address, delivery time, size), Release. Rounds alternate
 *           between the two and the best round of each counts.
 *           Target: remote at least half as fast as local (ratio >= 0.5).
 *   idle    the server's memory for C idle connections (default 1000;
 *           MAPIX_BENCH_CONNS), each greeted (HELLO) and logged on to a
 *           mailbox, then silent: the RSS and PSS growth of mapixd
 *           (/proc/PID/smaps_rollup) divided by C. The bench raises its
 *           own RLIMIT_NOFILE, which mapixd inherits. Target: < 100 KiB
 *           per connection. Kernel memory (socket buffers, the task
 *           structures) is not in RSS and not counted.
 *
 * mapixd is taken from the build tree (../src/server/mapixd next to this
 * program, or MAPIX_BUILD_DIR/src/server/mapixd) and runs on a socket in a
 * temporary directory, with the invoking user as owner of the mailbox.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "core/proto.h"

static char g_dir[512], g_sock[600];
static pid_t g_server;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stop_server(void)
{
	if (g_server > 0) {
		int st;
		kill(g_server, SIGTERM);
		waitpid(g_server, &st, 0);
		g_server = 0;
	}
	if (g_dir[0]) {
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_mapixd: could not remove %s\n", g_dir);
		g_dir[0] = 0;
	}
}

static void die(const char *what, HRESULT hr)
{
	fprintf(stderr, "bench_mapixd: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	stop_server();
	exit(2);
}

/* The socket's address (its path was checked to fit at start). */
static void sock_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, g_sock, strlen(g_sock) + 1);
}

static BOOL can_connect(void)
{
	struct sockaddr_un a;
	sock_addr(&a);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	BOOL ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void start_server(const char *argv0, unsigned conns)
{
	char exe[PATH_MAX], self[PATH_MAX];
	const char *b = getenv("MAPIX_BUILD_DIR");
	snprintf(self, sizeof self, "%s", argv0);
	if (b)
		snprintf(exe, sizeof exe, "%s/src/server/mapixd", b);
	else
		snprintf(exe, sizeof exe, "%s/../src/server/mapixd", dirname(self));
	if (access(exe, X_OK) != 0) {
		fprintf(stderr, "bench_mapixd: no mapixd at %s (set MAPIX_BUILD_DIR)\n", exe);
		exit(2);
	}
	const char *tmp = getenv("MAPIX_BENCH_DIR") ? getenv("MAPIX_BENCH_DIR") : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(g_dir, sizeof g_dir, "%s/mapix-bench-mapixd-XXXXXX", tmp);
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		exit(2);
	}
	char conf[700];
	snprintf(g_sock, sizeof g_sock, "%s/s.sock", g_dir);
	if (strlen(g_sock) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		fprintf(stderr, "bench_mapixd: %s is too long for a socket path\n", g_sock);
		exit(2);
	}
	snprintf(conf, sizeof conf, "%s/mapixd.conf", g_dir);
	FILE *f = fopen(conf, "w");
	struct passwd *pw = getpwuid(geteuid());
	if (!f || !pw) {
		perror("mapixd.conf");
		exit(2);
	}
	fprintf(f,
	        "[server]\nname = bench\nsocket = %s\ndata_dir = %s/data\n[rights]\nadministrators = %s\n"
	        "[audit]\nfile = %s/audit.log\n[limits]\nmax_connections = %u\n",
	        g_sock, g_dir, pw->pw_name, g_dir, conns + 16);
	fclose(f);
	g_server = fork();
	if (g_server == 0) {
		char log[700];
		snprintf(log, sizeof log, "%s/mapixd.log", g_dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(exe, "mapixd", "--config", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !can_connect(); i++)
		usleep(10000);
	if (!can_connect()) {
		fprintf(stderr, "bench_mapixd: mapixd did not start (see %s/mapixd.log)\n", g_dir);
		exit(2);
	}
	HRESULT hr = MAPIXRemoteCreateAccount(g_sock, "bench", "Bench", NULL, pw->pw_name, NULL);
	if (FAILED(hr))
		die("MAPIXRemoteCreateAccount", hr);
}

/* ---- reading messages ---------------------------------------------------------------------------- */

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER f = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr))
		hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f);
	if (FAILED(hr))
		die("open the Inbox", hr);
	MAPIFreeBuffer(eid);
	return f;
}

static void fill(LPMDB mdb, unsigned long n)
{
	LPMAPIFOLDER inbox = open_inbox(mdb);
	char body[201];
	memset(body, 'b', 200);
	body[200] = 0;
	HRESULT hr = MAPIXBeginStoreBatch(mdb);
	BOOL batch = SUCCEEDED(hr);
	for (unsigned long i = 0; i < n; i++) {
		char subject[64];
		snprintf(subject, sizeof subject, "Message %lu of the bench", i);
		LPMESSAGE m = NULL;
		SPropValue v[7];
		memset(v, 0, sizeof v);
		v[0].ulPropTag = PR_SUBJECT_A;
		v[0].Value.lpszA = subject;
		v[1].ulPropTag = PR_MESSAGE_CLASS_A;
		v[1].Value.lpszA = (LPSTR) "IPM.Note";
		v[2].ulPropTag = PR_BODY_A;
		v[2].Value.lpszA = body;
		v[3].ulPropTag = PR_IMPORTANCE;
		v[3].Value.l = 1;
		v[4].ulPropTag = PR_SENDER_NAME_A;
		v[4].Value.lpszA = (LPSTR) "Sender Name";
		v[5].ulPropTag = PR_SENDER_EMAIL_ADDRESS_A;
		v[5].Value.lpszA = (LPSTR) "sender@example.org";
		/* Delivered mail has a delivery time. */
		v[6].ulPropTag = PR_MESSAGE_DELIVERY_TIME;
		v[6].Value.ft.dwLowDateTime = 0xD53E8000u + (DWORD)i;
		v[6].Value.ft.dwHighDateTime = 0x01DA0000u;
		if (FAILED(hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m)) || FAILED(hr = IMessage_SetProps(m, 7, v, NULL)) ||
		    FAILED(hr = IMessage_SaveChanges(m, 0)))
			die("save a message", hr);
		IMessage_Release(m);
	}
	if (batch && FAILED(hr = MAPIXCommitStoreBatch(mdb)))
		die("MAPIXCommitStoreBatch", hr);
	IMAPIFolder_Release(inbox);
}

/* The entry IDs of the Inbox's messages (one contents table read). */
static LPSRowSet entry_ids(LPMAPIFOLDER inbox)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	HRESULT hr = IMAPIFolder_GetContentsTable(inbox, 0, &t);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (t)
		IMAPITable_Release(t);
	if (FAILED(hr))
		die("read the contents table", hr);
	return rows;
}

/* CPU time: this process, and mapixd (schedstat: nanoseconds on a CPU). */
static double cpu_self(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_server(void)
{
	char path[64];
	unsigned long long ns = 0;
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)g_server);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	/* schedstat of the process is its main thread only: sum the tasks. */
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)g_server);
	FILE *ls = NULL;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "cat %s/*/schedstat 2>/dev/null", dir);
	if ((ls = popen(cmd, "r"))) {
		unsigned long long sum = 0, v, a, b;
		while (fscanf(ls, "%llu %llu %llu", &v, &a, &b) == 3)
			sum += v;
		pclose(ls);
		ns = sum;
	}
	return (double)ns / 1e9;
}

/* One round: open and read every message; seconds. */
static double read_round(LPMAPIFOLDER inbox, LPSRowSet rows)
{
	SizedSPropTagArray(8, want) = {8,
	                               {PR_SUBJECT_A, PR_MESSAGE_CLASS_A, PR_BODY_A, PR_IMPORTANCE, PR_SENDER_NAME_A,
	                                PR_SENDER_EMAIL_ADDRESS_A, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_SIZE}};
	double t0 = now();
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue e = &rows->aRow[i].lpProps[0];
		LPMESSAGE m = NULL;
		ULONG type = 0, n = 0;
		LPSPropValue v = NULL;
		HRESULT hr = IMAPIFolder_OpenEntry(inbox, e->Value.bin.cb, (LPENTRYID)e->Value.bin.lpb, NULL, 0, &type,
		                                   (LPUNKNOWN *)&m);
		if (FAILED(hr))
			die("OpenEntry", hr);
		hr = IMessage_GetProps(m, (LPSPropTagArray)&want, 0, &n, &v);
		if (FAILED(hr) || n != 8 || v[0].ulPropTag != PR_SUBJECT_A)
			die("GetProps", FAILED(hr) ? hr : MAPI_E_CALL_FAILED);
		MAPIFreeBuffer(v);
		IMessage_Release(m);
	}
	return now() - t0;
}

static void bench_read(unsigned long n)
{
	char local_path[700];
	snprintf(local_path, sizeof local_path, "%s/local.db", g_dir);
	LPMDB local = NULL, remote = NULL;
	HRESULT hr = MAPIXOpenLocalStore(local_path, MDB_WRITE | MAPIX_STORE_CREATE, &local);
	if (FAILED(hr))
		die("MAPIXOpenLocalStore", hr);
	if (FAILED(hr = MAPIXOpenRemoteStore(g_sock, "bench", MDB_WRITE, &remote)))
		die("MAPIXOpenRemoteStore", hr);
	fill(local, n);
	fill(remote, n);
	LPMAPIFOLDER li = open_inbox(local), ri = open_inbox(remote);
	LPSRowSet lrows = entry_ids(li), rrows = entry_ids(ri);
	if (lrows->cRows != n || rrows->cRows != n) {
		fprintf(stderr, "bench_mapixd: expected %lu messages, found %u and %u\n", n, (unsigned)lrows->cRows,
		        (unsigned)rrows->cRows);
		stop_server();
		exit(2);
	}
	double best_l = 1e9, best_r = 1e9, cpu_l = 0, cpu_rc = 0, cpu_rs = 0;
	for (int round = 0; round < 5; round++) {
		double c0 = cpu_self();
		double l = read_round(li, lrows);
		double c1 = cpu_self(), s1 = cpu_server();
		double r = read_round(ri, rrows);
		double c2 = cpu_self(), s2 = cpu_server();
		cpu_l += c1 - c0;
		cpu_rc += c2 - c1;
		cpu_rs += s2 - s1;
		if (l < best_l)
			best_l = l;
		if (r < best_r)
			best_r = r;
	}
	printf("read: open + GetProps(8) + Release of %lu messages (best of 5 rounds)\n", n);
	printf("  local provider                : %8.3f s  (%8.0f msg/s, %6.1f us/msg)\n", best_l, n / best_l, 1e6 * best_l / n);
	printf("  remote over the UNIX socket   : %8.3f s  (%8.0f msg/s, %6.1f us/msg)\n", best_r, n / best_r, 1e6 * best_r / n);
	printf("  ratio remote/local (speed)    : %8.2f  (target >= 0.5: %s)\n", best_l / best_r,
	       best_l / best_r >= 0.5 ? "met" : "NOT met");
	/* CPU time is less sensitive to other load on the machine than the
	 * wall clock, for which three threads must be scheduled in turn. */
	printf("  CPU per message, local        : %8.1f us\n", 1e6 * cpu_l / (5.0 * n));
	printf("  CPU per message, remote       : %8.1f us  (client %.1f + mapixd %.1f)\n",
	       1e6 * (cpu_rc + cpu_rs) / (5.0 * n), 1e6 * cpu_rc / (5.0 * n), 1e6 * cpu_rs / (5.0 * n));
	FreeProws(lrows);
	FreeProws(rrows);
	IMAPIFolder_Release(li);
	IMAPIFolder_Release(ri);
	IMsgStore_Release(local);
	IMsgStore_Release(remote);
}

/* ---- idle connections ------------------------------------------------------------------------------ */

/* RSS and PSS of a process, KiB. */
static void mem_of(pid_t pid, long *rss, long *pss)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	*rss = *pss = -1;
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		long v;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss = v;
		else if (sscanf(line, "Pss: %ld kB", &v) == 1)
			*pss = v;
	}
	fclose(f);
}

/* A request on a raw connection and its reply's status. */
static HRESULT raw_call(int fd, uint32_t id, const MAPIXWIREBUF *req)
{
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	mapix_proto_header h;
	if (FAILED(mapix_proto_write_frame(fd, MAPIX_PROTO_REQUEST, id, req->pb, req->cb, 5000)) ||
	    FAILED(mapix_proto_read_full(fd, hdr, sizeof hdr, 5000, NULL)) ||
	    FAILED(mapix_proto_header_decode(hdr, MAPIX_PROTO_DEFAULT_MAX_FRAME, &h)))
		return MAPI_E_NETWORK_ERROR;
	BYTE *p = malloc(h.length ? h.length : 1);
	if (!p || (h.length && FAILED(mapix_proto_read_full(fd, p, h.length, 5000, NULL)))) {
		free(p);
		return MAPI_E_NETWORK_ERROR;
	}
	MAPIXWIRECURSOR c;
	ULONG result = (ULONG)MAPI_E_CALL_FAILED;
	mapix_wire_cursor_init(&c, p, h.length);
	(void)mapix_wire_get_u32(&c, &result);
	free(p);
	return (HRESULT)result;
}

static int idle_connection(void)
{
	struct sockaddr_un a;
	sock_addr(&a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("bench_mapixd: connect");
		return -1;
	}
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	mapix_wire_put_u32(&b, MAPIX_PROTO_CONN_HANDLE);
	mapix_wire_put_u32(&b, MPX_OP_HELLO);
	mapix_wire_put_u16(&b, MAPIX_PROTO_VERSION);
	mapix_wire_put_u16(&b, MAPIX_PROTO_VERSION);
	HRESULT hr = raw_call(fd, 1, &b);
	mapix_wire_buf_reset(&b);
	mapix_wire_put_u32(&b, MAPIX_PROTO_CONN_HANDLE);
	mapix_wire_put_u32(&b, MPX_OP_LOGON);
	mapix_proto_put_str(&b, "bench");
	mapix_wire_put_u32(&b, 0);
	mapix_wire_put_u32(&b, 0);
	if (SUCCEEDED(hr))
		hr = raw_call(fd, 2, &b);
	mapix_wire_buf_free(&b);
	if (FAILED(hr)) {
		fprintf(stderr, "bench_mapixd: HELLO/LOGON on an idle connection: 0x%08X\n", (unsigned)hr);
		close(fd);
		return -1;
	}
	return fd;
}

static void bench_idle(unsigned conns)
{
	int *fds = calloc(conns, sizeof *fds);
	long rss0, pss0, rss1, pss1;
	/* One logon first, so that the mailbox itself is open before the
	 * baseline: what is measured is the connections. */
	int first = idle_connection();
	if (first < 0 || !fds) {
		stop_server();
		exit(2);
	}
	usleep(200000);
	mem_of(g_server, &rss0, &pss0);
	double t0 = now();
	for (unsigned i = 0; i < conns; i++)
		if ((fds[i] = idle_connection()) < 0) {
			fprintf(stderr, "bench_mapixd: connection %u failed\n", i);
			stop_server();
			exit(2);
		}
	double took = now() - t0;
	usleep(500000);
	mem_of(g_server, &rss1, &pss1);
	double per_rss = (double)(rss1 - rss0) / conns, per_pss = (double)(pss1 - pss0) / conns;
	printf("idle: %u connections, each HELLO + LOGON, then silent (made in %.2f s)\n", conns, took);
	printf("  mapixd RSS                    : %8ld KiB -> %8ld KiB  (%6.1f KiB per connection)\n", rss0, rss1, per_rss);
	printf("  mapixd PSS                    : %8ld KiB -> %8ld KiB  (%6.1f KiB per connection)\n", pss0, pss1, per_pss);
	printf("  target < 100 KiB per connection: %s\n", per_rss < 100 && per_pss < 100 ? "met" : "NOT met");
	for (unsigned i = 0; i < conns; i++)
		close(fds[i]);
	close(first);
	free(fds);
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : getenv("MAPIX_BENCH_N") ? strtoul(getenv("MAPIX_BENCH_N"), NULL, 10) : 1000;
	unsigned conns = getenv("MAPIX_BENCH_CONNS") ? (unsigned)strtoul(getenv("MAPIX_BENCH_CONNS"), NULL, 10) : 1000;
	if (!n || !conns) {
		fprintf(stderr, "usage: bench_mapixd [N]  (MAPIX_BENCH_CONNS=C)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Descriptors for the connections on both sides (mapixd inherits). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < conns * 2 + 256) {
		rl.rlim_cur = conns * 2 + 256;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < conns + 64) {
			fprintf(stderr, "bench_mapixd: cannot raise RLIMIT_NOFILE to %u\n", conns * 2 + 256);
			return 2;
		}
	}
	start_server(argv[0], conns);
	bench_read(n);
	bench_idle(conns);
	stop_server();
	return 0;
}
