/*
 * cmd_archive.c — `mapix archive`: every message that appeared in many
 * mailboxes since the last run, into a Maildir++ tree (or mbox files) per
 * mailbox, exactly once (archive_pass.c says how).
 *
 *   mapix archive --dest DIR [--format maildir|mbox] [--jobs N] [--versions]
 *                 [--watch] [--quiet]
 *                 (--server A [--mailboxes NAME,NAME...] |
 *                  [--runas | --runas-pool SOCKET] --mailbox PATH [--mailbox PATH...])
 *   mapix archive --stdout-stream [--versions] --mailbox PATH   (a --runas worker)
 *
 * With --server the caller is the service identity: one identity for every
 * mailbox, each opened by entry ID (MAPIXMailboxLogon: CreateStoreEntryID,
 * then the open; with OPENSTORE_USE_ADMIN_PRIVILEGE when the plain open is
 * refused), the list from GetMailboxTable unless --mailboxes names them.
 * A bounded pool of threads (--jobs) archives the mailboxes; MAPI objects
 * belong to the security context, not the thread, and every thread here
 * runs as the same identity. A mailbox that cannot be opened or archived is
 * reported and skipped; the others go on; the exit status is then 1.
 *
 * --watch: after the first pass, each store is advised for new mail and for
 * objects created, moved and copied, and a notification runs that mailbox's
 * pass again (the journal says what is new, whatever the notification
 * said). Every two seconds a light check reads each remote journal's last
 * change number: a number that moved (changes made while the connection
 * was being re-established notify nobody) runs a pass, and a lost server
 * gets the mailbox opened again, advised again and caught up.
 * SIGINT/SIGTERM stop it at the next batch boundary of a pass.
 *
 * --runas: each mailbox file is read by its owner, in a worker that
 * mapix-runas starts (archive_stream.c); the threads here then only write
 * what the workers stream back.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>
#include <mapix/mapitags.h>

#include "archive.h"
#include "cli_progress.h"

typedef struct mbjob {
	char *name;  /* file path or account name */
	char *label; /* directory below DEST */
	BOOL remote;
	LPMDB mdb;   /* kept open in --watch mode */
	ULONG_PTR conn; /* advise connection */
	LPMAPIADVISESINK sink;
	BOOL pending, busy, failed, ever_ok;
	double retry_at;
	ULONGLONG checked_cn; /* the journal's last change number at the last liveness check */
	HRESULT hr;
	char why[256];
	archive_counts counts;
} mbjob;

typedef struct archiver {
	archive_options opts;
	const char *server;
	BOOL watch;
	BOOL runas;              /* --runas: each mailbox file read by its owner through mapix-runas */
	const char *runas_pool;  /* --runas-pool SOCKET: through the pool instead of one process each */
	mbjob *jobs;
	int njobs;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	BOOL quit;
	cli_progress progress;
	char verb[512];
} archiver;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress line names each mailbox with its count so far. Called with
 * the lock held. */
static void progress_verb(archiver *a)
{
	size_t at = (size_t)snprintf(a->verb, sizeof a->verb, "archiving");
	for (int i = 0; i < a->njobs && at < sizeof a->verb - 40; i++)
		at += (size_t)snprintf(a->verb + at, sizeof a->verb - at, "%s %s %llu", i ? "," : "", a->jobs[i].label,
		                       (unsigned long long)a->jobs[i].counts.archived);
}

typedef struct step_ctx {
	archiver *a;
	mbjob *j;
} step_ctx;

static void on_step(void *ctx, uint64_t bytes)
{
	step_ctx *s = ctx;
	if (s->a->opts.quiet)
		return;
	pthread_mutex_lock(&s->a->lock);
	progress_verb(s->a);
	cli_progress_step(&s->a->progress, bytes);
	pthread_mutex_unlock(&s->a->lock);
}

/* The advise sink's context: the archiver and the job. */
typedef struct sink_ctx {
	archiver *a;
	mbjob *j;
} sink_ctx;

static LONG STDAPICALLTYPE on_change(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	(void)n, (void)notifs;
	sink_ctx *s = ctx;
	pthread_mutex_lock(&s->a->lock);
	s->j->pending = TRUE;
	pthread_cond_broadcast(&s->a->cond);
	pthread_mutex_unlock(&s->a->lock);
	return 0;
}

static HRESULT open_mailbox(archiver *a, mbjob *j, LPMDB *out)
{
	if (!j->remote)
		return MAPIXOpenLocalStore(j->name, 0, out);
	HRESULT hr = MAPIXMailboxLogon(a->server, NULL, j->name, 0, 0, out);
	if (hr == MAPI_E_NO_ACCESS)
		hr = MAPIXMailboxLogon(a->server, NULL, j->name, OPENSTORE_USE_ADMIN_PRIVILEGE, 0, out);
	return hr;
}

static void drop_store(mbjob *j)
{
	if (j->mdb) {
		if (j->conn)
			IMsgStore_Unadvise(j->mdb, j->conn);
		IMsgStore_Release(j->mdb);
	}
	j->mdb = NULL;
	j->conn = 0;
}

/* One pass over one mailbox, on a worker thread (the lock not held). */
static void run_job(archiver *a, mbjob *j, sink_ctx *sc)
{
	HRESULT hr = S_OK;
	char why[256] = "";
	LPMDB mdb = j->mdb;
	step_ctx st = {a, j};
	if (a->runas) {
		hr = archive_runas_mailbox(j->name, j->label, a->runas_pool, &a->opts, &j->counts, on_step, &st, why);
		goto done;
	}
	if (!mdb) {
		hr = open_mailbox(a, j, &mdb);
		if (FAILED(hr))
			snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		if (SUCCEEDED(hr) && a->watch) {
			/* Advise before the pass: a change during the pass then runs
			 * another one, so nothing waits for the next notification. */
			if (!j->sink && FAILED(hr = HrAllocAdviseSink(on_change, sc, &j->sink)))
				snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
			if (SUCCEEDED(hr) &&
			    FAILED(hr = IMsgStore_Advise(mdb, 0, NULL,
			                                 fnevNewMail | fnevObjectCreated | fnevObjectMoved | fnevObjectCopied,
			                                 j->sink, &j->conn)))
				snprintf(why, sizeof why, "Advise: %s", MAPIXGetLastErrorText());
			j->mdb = mdb;
		}
	}
	if (SUCCEEDED(hr))
		hr = archive_pass(mdb, j->label, &a->opts, &j->counts, on_step, &st, why);
	if (!a->watch && mdb)
		IMsgStore_Release(mdb);
	else if (FAILED(hr) && a->watch)
		drop_store(j);
done:
	pthread_mutex_lock(&a->lock);
	j->hr = hr;
	j->failed = FAILED(hr);
	j->ever_ok |= SUCCEEDED(hr);
	if (FAILED(hr)) {
		snprintf(j->why, sizeof j->why, "%s", why);
		if (a->watch && hr == MAPI_E_NETWORK_ERROR)
			j->retry_at = now() + 1.0; /* the server is away: open again later */
		if (!a->opts.quiet && a->progress.drawn)
			cli_progress_finish(&a->progress);
		fprintf(stderr, "mapix: archive: %s: %s (%s)%s\n", j->label, why, MAPIXErrorName(hr),
		        a->watch ? ", will retry" : ", skipped");
	}
	pthread_mutex_unlock(&a->lock);
}

static sink_ctx *sink_ctxs;

static void *worker_main(void *arg)
{
	archiver *a = arg;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		mbjob *j = NULL;
		int idx = -1;
		for (int i = 0; i < a->njobs && !j; i++)
			if (a->jobs[i].pending && !a->jobs[i].busy && a->jobs[i].retry_at <= now()) {
				j = &a->jobs[i];
				idx = i;
			}
		if (!j) {
			BOOL any = FALSE;
			for (int i = 0; i < a->njobs; i++)
				any |= a->jobs[i].pending || a->jobs[i].busy;
			if (a->quit || (!a->watch && !any))
				break;
			pthread_cond_wait(&a->cond, &a->lock);
			continue;
		}
		j->pending = FALSE;
		j->busy = TRUE;
		pthread_mutex_unlock(&a->lock);
		run_job(a, j, &sink_ctxs[idx]);
		pthread_mutex_lock(&a->lock);
		j->busy = FALSE;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Whether a remote store still answers (the journal's last change number
 * is one round trip; *cn receives it). Called on the main thread while no
 * worker uses it. */
static BOOL store_alive(LPMDB mdb, ULONGLONG *cn)
{
	LPMAPIXCHANGEJOURNAL jn = NULL;
	HRESULT hr = IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&jn);
	*cn = 0;
	if (SUCCEEDED(hr)) {
		hr = IMAPIXChangeJournal_GetLastChangeNumber(jn, cn);
		IMAPIXChangeJournal_Release(jn);
	}
	return hr != MAPI_E_NETWORK_ERROR;
}

/* The mailboxes the service identity may open: GetMailboxTable on its own
 * store, or (an administrator without a mailbox) the account list. */
static int list_mailboxes(const char *server, char ***names, int *n)
{
	LPMDB own = NULL;
	LPEXCHANGEMANAGESTORE ems = NULL;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_ACCOUNT_A}};
	HRESULT hr = MAPIXOpenRemoteStore(server, NULL, 0, &own);
	if (SUCCEEDED(hr))
		hr = IMsgStore_QueryInterface(own, &IID_IExchangeManageStore, (LPVOID *)&ems);
	if (SUCCEEDED(hr))
		hr = IExchangeManageStore_GetMailboxTable(ems, NULL, &t, 0);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (t)
		IMAPITable_Release(t);
	if (ems)
		IExchangeManageStore_Release(ems);
	if (own)
		IMsgStore_Release(own);
	*n = 0;
	if (SUCCEEDED(hr)) {
		*names = calloc(rows->cRows + 1, sizeof **names);
		for (ULONG i = 0; *names && i < rows->cRows; i++)
			if (rows->aRow[i].lpProps[0].ulPropTag == PR_ACCOUNT_A)
				(*names)[(*n)++] = strdup(rows->aRow[i].lpProps[0].Value.lpszA);
		FreeProws(rows);
		return *names ? 0 : cli_error("archive: out of memory");
	}
	if (hr != MAPI_E_NOT_FOUND)
		return cli_fail("archive: GetMailboxTable", hr);
	/* No mailbox of its own: an administrator may list the accounts. */
	ULONG c = 0;
	LPMAPIXACCOUNT acc = NULL;
	if (FAILED(hr = MAPIXRemoteListAccounts(server, &c, &acc)))
		return cli_fail("archive: the service identity has no mailbox to list grants from, and listing accounts",
		                hr);
	*names = calloc(c + 1, sizeof **names);
	for (ULONG i = 0; *names && i < c; i++)
		(*names)[(*n)++] = strdup(acc[i].lpszName);
	MAPIFreeBuffer(acc);
	return *names ? 0 : cli_error("archive: out of memory");
}

static char *label_of(const char *name, BOOL remote)
{
	if (remote)
		return strdup(name);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".db") == 0)
		n -= 3;
	char *l = strndup(base, n);
	/* A label starting with '.' would hide among the archive's own files. */
	if (l && (l[0] == '.' || !l[0])) {
		char *x = malloc(n + 2);
		if (x)
			snprintf(x, n + 2, "_%s", l);
		free(l);
		l = x;
	}
	return l;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: mapix archive --dest DIR [--format maildir|mbox] [--jobs N] [--versions] [--watch] [--quiet]\n"
	        "                     (--server A [--mailboxes NAME,...] | [--runas | --runas-pool S] --mailbox PATH...)\n"
	        "       mapix archive --stdout-stream [--versions] --mailbox PATH   (a --runas worker)\n"
	        "\n"
	        "Archives every message that appeared in the mailboxes since the last run into\n"
	        "DIR/<mailbox>/ (Maildir++ or mbox), exactly once; DIR/.mapix-archive/ keeps the state.\n"
	        "  --server A        archive the mailboxes of mapixd at A that you have a grant on\n"
	        "  --mailboxes LIST  only these accounts (comma separated)\n"
	        "  --mailbox PATH    a local mailbox file (may be given several times)\n"
	        "  --jobs N          mailboxes archived at once (default 4)\n"
	        "  --versions        also a new version of a message at each change (flags, moves)\n"
	        "  --watch           keep running: archive again when a mailbox notifies a change\n"
	        "  --runas           read each mailbox file as its owner, through mapix-runas (root)\n"
	        "  --runas-pool S    the same through the mapix-runas pool at socket S\n");
}

int cmd_archive(int argc, char **argv)
{
	const char *dest = NULL, *format = NULL, *jobs = NULL, *versions = NULL, *watch = NULL, *quiet = NULL,
	           *server = NULL, *list = NULL, *mailbox = NULL, *help = NULL, *runas = NULL, *pool = NULL,
	           *stream = NULL;
	const cli_option opts[] = {{"dest", 1, &dest},         {"format", 1, &format}, {"jobs", 1, &jobs},
	                           {"versions", 0, &versions}, {"watch", 0, &watch},   {"quiet", 0, &quiet},
	                           {"server", 1, &server},     {"mailboxes", 1, &list}, {"mailbox", 1, &mailbox},
	                           {"runas", 0, &runas},       {"runas-pool", 1, &pool}, {"stdout-stream", 0, &stream},
	                           {"help", 0, &help},         {NULL, 0, NULL}};
	const char **pos = NULL;
	int npos = 0, rc = cli_parse(argc, argv, opts, &pos, &npos);
	if (rc)
		return rc;
	free(pos);
	if (help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (npos)
		return cli_usage_error("archive: unexpected argument (see mapix archive --help)");
	if (stream) {
		/* A --runas worker: one mailbox, frames on stdout. */
		if (!mailbox || server || watch || runas || dest)
			return cli_usage_error("archive: --stdout-stream takes one --mailbox PATH and nothing else");
		archive_options wo = {.format = ARCHIVE_MAILDIR, .versions = versions != NULL, .quiet = TRUE};
		return archive_stream_worker(mailbox, &wo);
	}
	if (!dest)
		return cli_usage_error("archive: --dest DIR is required");
	if (pool)
		runas = "1";
	if (runas && (server || watch || (format && strcmp(format, "maildir") != 0)))
		return cli_usage_error("archive: --runas archives local mailbox files into Maildir, without --watch");
	if (format && strcmp(format, "maildir") != 0 && strcmp(format, "mbox") != 0)
		return cli_usage_error("archive: --format is maildir or mbox, not '%s'", format);
	long njobs = 4;
	if (jobs) {
		char *end;
		njobs = strtol(jobs, &end, 10);
		if (*end || njobs < 1 || njobs > 64)
			return cli_usage_error("archive: --jobs takes a number from 1 to 64");
	}
	if (!!server == !!mailbox && !(server && !mailbox))
		return cli_usage_error("archive: give --server A, or --mailbox PATH (not both)");
	if (list && !server)
		return cli_usage_error("archive: --mailboxes needs --server");

	archiver a;
	memset(&a, 0, sizeof a);
	a.opts.dest = dest;
	a.opts.format = format && strcmp(format, "mbox") == 0 ? ARCHIVE_MBOX : ARCHIVE_MAILDIR;
	a.opts.versions = versions != NULL;
	a.opts.quiet = quiet != NULL;
	a.server = server;
	a.watch = watch != NULL;
	a.runas = runas != NULL;
	a.runas_pool = pool;
	if (a.runas)
		signal(SIGPIPE, SIG_IGN); /* a worker that dies early: EPIPE, not death */

	/* The mailboxes: every --mailbox (cli_parse keeps only the last). */
	char **names = NULL;
	int nnames = 0;
	if (mailbox) {
		names = calloc((size_t)argc + 1, sizeof *names);
		for (int i = 0; names && i < argc; i++) {
			if (strcmp(argv[i], "--mailbox") == 0 && i + 1 < argc)
				names[nnames++] = strdup(argv[++i]);
			else if (strncmp(argv[i], "--mailbox=", 10) == 0)
				names[nnames++] = strdup(argv[i] + 10);
		}
	} else if (list) {
		names = calloc(strlen(list) + 2, sizeof *names);
		char *copy = strdup(list), *save = NULL;
		for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; names && tok; tok = strtok_r(NULL, ", ", &save))
			names[nnames++] = strdup(tok);
		free(copy);
	} else if (list_mailboxes(server, &names, &nnames) != 0) {
		return CLI_EXIT_FAILURE;
	}
	if (!names)
		return cli_error("archive: out of memory");
	if (export_mkdirs(dest) != 0) {
		for (int i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		return cli_error("archive: %s: %s", dest, strerror(errno));
	}

	a.jobs = calloc((size_t)nnames + 1, sizeof *a.jobs);
	sink_ctxs = calloc((size_t)nnames + 1, sizeof *sink_ctxs);
	if (!a.jobs || !sink_ctxs)
		return cli_error("archive: out of memory");
	for (int i = 0; i < nnames; i++) {
		mbjob *j = &a.jobs[a.njobs];
		j->name = names[i];
		j->remote = server != NULL;
		j->label = label_of(names[i], j->remote);
		j->pending = TRUE;
		BOOL dup = FALSE;
		for (int k = 0; k < a.njobs; k++)
			dup |= strcmp(a.jobs[k].label, j->label) == 0;
		if (dup) {
			rc = cli_usage_error("archive: two mailboxes would share the archive directory '%s'", j->label);
			break;
		}
		sink_ctxs[a.njobs] = (sink_ctx){&a, j};
		a.njobs++;
	}
	free(names);
	if (rc)
		goto out;

	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (!a.opts.quiet)
		cli_progress_start(&a.progress, a.verb, 0);
	progress_verb(&a);
	if (a.watch) {
		/* --watch ends cleanly on SIGINT/SIGTERM (after the batch in
		 * progress); a single run keeps the default: killed at any point,
		 * the next run resumes from the last checkpoint. */
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		a.opts.stop = &stop_signal;
	}

	int nthreads = (int)(njobs < a.njobs ? njobs : a.njobs);
	pthread_t *threads = calloc((size_t)nthreads + 1, sizeof *threads);
	int started = 0;
	for (int i = 0; threads && i < nthreads; i++)
		started += pthread_create(&threads[i], NULL, worker_main, &a) == 0;
	if (started == 0 && a.njobs > 0) {
		rc = cli_error("archive: no worker thread could be started");
		a.quit = TRUE;
	}
	if (a.watch) {
		/* Wait for signals; every two seconds make sure the servers are
		 * still there (a lost connection sends no notification). */
		double next_check = now() + 2.0;
		while (!stop_signal && started) {
			usleep(100000);
			pthread_mutex_lock(&a.lock);
			double t = now();
			for (int i = 0; i < a.njobs; i++) {
				mbjob *j = &a.jobs[i];
				if (!j->busy && !j->pending && !j->mdb && j->retry_at > 0 && j->retry_at <= t) {
					j->pending = TRUE;
					pthread_cond_broadcast(&a.cond);
				}
			}
			if (t >= next_check) {
				next_check = t + 2.0;
				for (int i = 0; i < a.njobs; i++) {
					mbjob *j = &a.jobs[i];
					if (!j->remote || j->busy || j->pending || !j->mdb)
						continue;
					j->busy = TRUE;
					pthread_mutex_unlock(&a.lock);
					ULONGLONG cn;
					BOOL alive = store_alive(j->mdb, &cn);
					if (!alive)
						drop_store(j);
					pthread_mutex_lock(&a.lock);
					j->busy = FALSE;
					/* A lost server: open again, advise again, catch up. A
					 * journal that moved since the last check also gets a
					 * pass: the remote provider reconnects by itself on this
					 * very call and advises again, but changes made while
					 * it was away sent no notification (the pass is cheap
					 * when nothing is new). */
					BOOL moved = alive && cn != j->checked_cn;
					if (alive)
						j->checked_cn = cn;
					if (!alive || moved) {
						j->pending = TRUE;
						pthread_cond_broadcast(&a.cond);
					}
				}
			}
			pthread_mutex_unlock(&a.lock);
		}
		pthread_mutex_lock(&a.lock);
		a.quit = TRUE;
		pthread_cond_broadcast(&a.cond);
		pthread_mutex_unlock(&a.lock);
	}
	for (int i = 0; i < nthreads && threads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (!a.opts.quiet)
		cli_progress_finish(&a.progress);

	/* The summary. */
	archive_counts total = {0};
	int failed = 0;
	for (int i = 0; i < a.njobs; i++) {
		mbjob *j = &a.jobs[i];
		drop_store(j);
		if (j->sink)
			IMAPIAdviseSink_Release(j->sink);
		archive_counts *c = &j->counts;
		total.archived += c->archived;
		total.versions += c->versions;
		total.present += c->present;
		total.skipped += c->skipped;
		total.bytes += c->bytes;
		failed += j->failed || (!j->ever_ok);
		if (!a.opts.quiet)
			printf("%s: %llu archived (%llu versions), %llu already there, %llu skipped%s\n", j->label,
			       (unsigned long long)c->archived, (unsigned long long)c->versions,
			       (unsigned long long)c->present, (unsigned long long)c->skipped,
			       j->failed || !j->ever_ok ? ", FAILED" : "");
	}
	if (!a.opts.quiet) {
		double secs = a.njobs ? cli_progress_elapsed(&a.progress) : 0;
		printf("archived %llu messages from %d mailboxes (%d failed) in %.1f s, %.0f msg/s\n",
		       (unsigned long long)total.archived, a.njobs - failed, failed, secs,
		       secs > 0 ? (double)total.archived / secs : 0.0);
	}
	if (failed && rc == 0)
		rc = CLI_EXIT_FAILURE;
	pthread_mutex_destroy(&a.lock);
	pthread_cond_destroy(&a.cond);
out:
	for (int i = 0; i < a.njobs; i++) {
		free(a.jobs[i].name);
		free(a.jobs[i].label);
	}
	free(a.jobs);
	free(sink_ctxs);
	sink_ctxs = NULL;
	return rc;
}
