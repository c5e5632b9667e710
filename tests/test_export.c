/*
 * test_export.c — `mapix export` (tools/mapix/cmd_export.c, export_*.c):
 * mailboxes built through the public MAPI API, exported by the built
 * `mapix` program ($MAPIX_BUILD_DIR/mapix), and the files checked:
 *
 *   - the EML tree, mbox (Thunderbird's .sbd layout) and Maildir++ layouts
 *     with the folder hierarchy and file-system-safe names;
 *   - mboxrd quoting of From_ lines and the From_ line itself;
 *   - Maildir flags (D F R S T) and keyword letters with dovecot-keywords,
 *     special folders as .Sent .Drafts .Trash .Junk, no FAI exported;
 *   - refusal of a non-empty destination, --append;
 *   - the exported messages against the originals through Python's email
 *     package (tests/mime_compare.py): headers, addresses, decoded text,
 *     attachment bytes;
 *   - bounded memory: a message with a large attachment (64 MiB, 16 MiB in
 *     sanitizer builds) exports with a peak RSS far below its size.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include <glib.h>

#include <mapix/mapiguid.h>
#include <mapix/mapitags.h>
#include <mapix/mapiutil.h>
#include <mapix/mapix.h>
#include <mapix/mapixmime.h>
#include <mapix/mapixstore.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#ifndef MSGSTATUS_DRAFT
#define MSGSTATUS_DRAFT ((ULONG)0x00000100)
#endif
#ifndef MSGSTATUS_ANSWERED
#define MSGSTATUS_ANSWERED ((ULONG)0x00000200)
#endif

static char *tmpdir;
static char mapix_bin[4096];

/* ---- running the command line -------------------------------------------------------- */

typedef struct cli_result {
	int status;
	long max_rss_kib;
	char out[4096], err[4096];
} cli_result;

static void slurp(const char *path, char *buf, size_t cap)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* Runs mapix with args (NULL-terminated) in tmpdir; stdout and stderr are
 * captured, the peak RSS comes from wait4. */
static void run_mapix(cli_result *r, const char *const *args)
{
	char out[4200], err[4200];
	snprintf(out, sizeof out, "%s/cli.out", tmpdir);
	snprintf(err, sizeof err, "%s/cli.err", tmpdir);
	const char *argv[32] = {mapix_bin};
	int n = 1;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || chdir(tmpdir) != 0)
			_exit(127);
		dup2(o, 1);
		dup2(e, 2);
		/* ASan keeps freed memory in quarantine (256 MiB by default),
		 * which would count as RSS: keep it small for the RSS figure. */
		setenv("ASAN_OPTIONS", "quarantine_size_mb=4:detect_leaks=1", 1);
		execv(mapix_bin, (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->max_rss_kib = ru.ru_maxrss;
	slurp(out, r->out, sizeof r->out);
	slurp(err, r->err, sizeof r->err);
}

static void expect_ok(const cli_result *r)
{
	if (r->status != 0)
		fail_msg("mapix exited %d: %s%s", r->status, r->out, r->err);
}

/* The tests run the built program; without it they skip, visibly. */
static void need_cli(void)
{
	if (access(mapix_bin, X_OK) != 0)
		MAPIX_SKIP("%s not built: the export tests run the mapix program", mapix_bin);
}

/* ---- building mailboxes -------------------------------------------------------------- */

#define CHECK(call)                                                                                                \
	do {                                                                                                        \
		HRESULT hr_ = (call);                                                                               \
		if (FAILED(hr_))                                                                                    \
			fail_msg("%s: 0x%08X %s", #call, (unsigned)hr_, MAPIXGetLastErrorText());                   \
	} while (0)

typedef struct mailbox {
	char path[4200];
	LPMDB mdb;
	LPMAPIFOLDER subtree, inbox, sent, drafts, trash, junk;
	ULONG keywords_tag;
} mailbox;

static LPMAPIFOLDER open_eid(LPMDB mdb, ULONG cb, LPBYTE eid)
{
	LPMAPIFOLDER f = NULL;
	ULONG type = 0;
	CHECK(IMsgStore_OpenEntry(mdb, cb, (LPENTRYID)eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f));
	return f;
}

static LPMAPIFOLDER open_prop_folder(LPMDB mdb, LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	CHECK(HrGetOneProp(obj, tag, &v));
	LPMAPIFOLDER f = open_eid(mdb, v->Value.bin.cb, v->Value.bin.lpb);
	MAPIFreeBuffer(v);
	return f;
}

static void mailbox_create(mailbox *mb, const char *name)
{
	memset(mb, 0, sizeof *mb);
	snprintf(mb->path, sizeof mb->path, "%s/%s", tmpdir, name);
	CHECK(MAPIXOpenLocalStore(mb->path, MDB_WRITE | MAPIX_STORE_CREATE, &mb->mdb));
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	CHECK(IMsgStore_GetReceiveFolder(mb->mdb, (LPTSTR) "IPM", 0, &cb, &eid, NULL));
	mb->inbox = open_eid(mb->mdb, cb, (LPBYTE)eid);
	MAPIFreeBuffer(eid);
	mb->subtree = open_prop_folder(mb->mdb, (LPMAPIPROP)mb->mdb, PR_IPM_SUBTREE_ENTRYID);
	mb->sent = open_prop_folder(mb->mdb, (LPMAPIPROP)mb->mdb, PR_IPM_SENTMAIL_ENTRYID);
	mb->trash = open_prop_folder(mb->mdb, (LPMAPIPROP)mb->mdb, PR_IPM_WASTEBASKET_ENTRYID);
	mb->drafts = open_prop_folder(mb->mdb, (LPMAPIPROP)mb->inbox, PR_IPM_DRAFTS_ENTRYID);
	LPSPropValue v = NULL;
	CHECK(HrGetOneProp((LPMAPIPROP)mb->inbox, PR_ADDITIONAL_REN_ENTRYIDS, &v));
	assert_true(v->Value.MVbin.cValues > 4);
	mb->junk = open_eid(mb->mdb, v->Value.MVbin.lpbin[4].cb, v->Value.MVbin.lpbin[4].lpb);
	MAPIFreeBuffer(v);
	MAPINAMEID name_id = {(LPGUID)&PS_PUBLIC_STRINGS, MNID_STRING, {.lpwstrName = (LPWSTR)u"Keywords"}};
	LPMAPINAMEID names[1] = {&name_id};
	LPSPropTagArray tags = NULL;
	CHECK(IMsgStore_GetIDsFromNames(mb->mdb, 1, names, MAPI_CREATE, &tags));
	mb->keywords_tag = PROP_TAG(PT_MV_UNICODE, PROP_ID(tags->aulPropTag[0]));
	MAPIFreeBuffer(tags);
}

/* Releases everything, so that the export reads a closed, committed file. */
static void mailbox_close(mailbox *mb)
{
	LPMAPIFOLDER *fs[] = {&mb->subtree, &mb->inbox, &mb->sent, &mb->drafts, &mb->trash, &mb->junk};
	for (size_t i = 0; i < sizeof fs / sizeof *fs; i++)
		if (*fs[i]) {
			IMAPIFolder_Release(*fs[i]);
			*fs[i] = NULL;
		}
	IMsgStore_Release(mb->mdb);
	mb->mdb = NULL;
}

static LPMAPIFOLDER make_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	CHECK(IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, OPEN_IF_EXISTS, &f));
	return f;
}

typedef struct msg_spec {
	const char *subject, *sender, *body;
	ULONG message_flags, msg_status;
	LONG flag_status, last_verb;
	const WCHAR *keywords[4];
	int day;
} msg_spec;

static LPWSTR wide(const char *s)
{
	LPWSTR w = NULL;
	CHECK(mapix_utf8_to_utf16(s, NULL, &w));
	return w;
}

static void add_message(mailbox *mb, LPMAPIFOLDER folder, const msg_spec *s)
{
	LPMESSAGE m = NULL;
	CHECK(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
	struct tm tm = {.tm_year = 124, .tm_mon = 2, .tm_mday = s->day ? s->day : 1, .tm_hour = 9, .tm_min = 30};
	FILETIME ft = mapix_filetime_from_unix((int64_t)timegm(&tm), 0);
	LPWSTR subj = wide(s->subject), body = wide(s->body), from = wide(s->sender);
	SPropValue v[16];
	ULONG n = 0;
	v[n].ulPropTag = PR_MESSAGE_CLASS_A, v[n++].Value.lpszA = (LPSTR) "IPM.Note";
	v[n].ulPropTag = PR_SUBJECT_W, v[n++].Value.lpszW = subj;
	v[n].ulPropTag = PR_BODY_W, v[n++].Value.lpszW = body;
	v[n].ulPropTag = PR_SENDER_NAME_W, v[n++].Value.lpszW = from;
	v[n].ulPropTag = PR_SENDER_EMAIL_ADDRESS_W, v[n++].Value.lpszW = from;
	v[n].ulPropTag = PR_SENDER_ADDRTYPE_W, v[n++].Value.lpszW = (LPWSTR)u"SMTP";
	v[n].ulPropTag = PR_SENT_REPRESENTING_NAME_W, v[n++].Value.lpszW = from;
	v[n].ulPropTag = PR_SENT_REPRESENTING_EMAIL_ADDRESS_W, v[n++].Value.lpszW = from;
	v[n].ulPropTag = PR_SENT_REPRESENTING_ADDRTYPE_W, v[n++].Value.lpszW = (LPWSTR)u"SMTP";
	v[n].ulPropTag = PR_MESSAGE_DELIVERY_TIME, v[n++].Value.ft = ft;
	v[n].ulPropTag = PR_CLIENT_SUBMIT_TIME, v[n++].Value.ft = ft;
	v[n].ulPropTag = PR_MESSAGE_FLAGS, v[n++].Value.l = (LONG)s->message_flags;
	v[n].ulPropTag = PR_MSG_STATUS, v[n++].Value.l = (LONG)s->msg_status;
	if (s->flag_status)
		v[n].ulPropTag = PR_FLAG_STATUS, v[n++].Value.l = s->flag_status;
	if (s->last_verb)
		v[n].ulPropTag = PR_LAST_VERB_EXECUTED, v[n++].Value.l = s->last_verb;
	ULONG nk = 0;
	while (nk < 4 && s->keywords[nk])
		nk++;
	if (nk) {
		v[n].ulPropTag = mb->keywords_tag;
		v[n].Value.MVszW.cValues = nk;
		v[n++].Value.MVszW.lppszW = (LPWSTR *)s->keywords;
	}
	CHECK(IMessage_SetProps(m, n, v, NULL));
	CHECK(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	MAPIFreeBuffer(subj);
	MAPIFreeBuffer(body);
	MAPIFreeBuffer(from);
}

/* ---- reading the results ------------------------------------------------------------- */

static char *path_in(const char *rel)
{
	char *p = malloc(strlen(tmpdir) + strlen(rel) + 2);
	sprintf(p, "%s/%s", tmpdir, rel);
	return p;
}

static BOOL exists(const char *rel)
{
	char *p = path_in(rel);
	struct stat st;
	BOOL ok = stat(p, &st) == 0;
	free(p);
	return ok;
}

static char *read_all(const char *rel, size_t *len)
{
	char *p = path_in(rel);
	FILE *f = fopen(p, "rb");
	if (!f)
		fail_msg("%s: %s", p, strerror(errno));
	free(p);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* The names in a directory (sorted, newline-separated, "." entries left out). */
static char *list_dir(const char *rel)
{
	char *p = path_in(rel);
	DIR *d = opendir(p);
	if (!d)
		fail_msg("%s: %s", p, strerror(errno));
	free(p);
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += strlen(names[i]) + 1;
	char *out = calloc(1, cap);
	for (int i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, "\n");
		free(names[i]);
	}
	return out;
}

/* The flags part (after ":2,") of the one file in a Maildir's cur/ whose
 * message has this subject. */
static char *maildir_flags_of(const char *cur_rel, const char *subject)
{
	char *names = list_dir(cur_rel), *result = NULL;
	for (char *line = strtok(names, "\n"); line && !result; line = strtok(NULL, "\n")) {
		char rel[1024];
		snprintf(rel, sizeof rel, "%s/%s", cur_rel, line);
		char *text = read_all(rel, NULL), want[256];
		snprintf(want, sizeof want, "\nSubject: %s\n", subject);
		if (strstr(text, want)) {
			const char *info = strstr(line, ":2,");
			assert_non_null(info);
			result = strdup(info + 3);
		}
		free(text);
	}
	free(names);
	if (!result)
		fail_msg("%s: no message \"%s\"", cur_rel, subject);
	return result;
}

/* ---- tests ------------------------------------------------------------------------------ */

static const char from_body[] = "Line one\n"
                                "From the start of a line\n"
                                ">From an already quoted line\n"
                                ">>From twice quoted\n"
                                "Fromage is not a From_ line\n"
                                " From indented\n"
                                "From";

/* The usual test mailbox: Inbox with a subfolder whose name has dots,
 * a folder whose name has a slash and a percent sign, a message in each
 * special folder, and a folder-associated message that must not appear. */
static void build_mailbox(mailbox *mb, const char *name)
{
	mailbox_create(mb, name);
	static const msg_spec inbox_msgs[] = {
		{"Plain read", "alice@example.com", "Hello\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 1},
		{"All flags", "bob@example.com", "Everything set\n", MSGFLAG_READ | MSGFLAG_UNSENT,
		 MSGSTATUS_DELMARKED, 2, 102, {u"Red Category", u"work"}, 2},
		{"Answered unread", "carol@example.com", "Replied to\n", 0, MSGSTATUS_ANSWERED, 0, 0, {u"work"}, 3},
		{"From lines", "dan@example.com", from_body, MSGFLAG_READ, 0, 0, 0, {NULL}, 4},
	};
	for (size_t i = 0; i < sizeof inbox_msgs / sizeof *inbox_msgs; i++)
		add_message(mb, mb->inbox, &inbox_msgs[i]);
	LPMAPIFOLDER dotted = make_folder(mb->inbox, "Sub.With.Dots");
	msg_spec sub = {"In the subfolder", "erin@example.com", "Deep\n", 0, MSGSTATUS_DRAFT, 0, 103, {NULL}, 5};
	add_message(mb, dotted, &sub);
	LPMAPIFOLDER deeper = make_folder(dotted, "Deeper");
	msg_spec deep = {"Deepest", "erin@example.com", "Deeper still\n", MSGFLAG_READ, 0, 2, 0, {NULL}, 6};
	add_message(mb, deeper, &deep);
	IMAPIFolder_Release(deeper);
	IMAPIFolder_Release(dotted);
	LPMAPIFOLDER odd = make_folder(mb->subtree, "A/B 100%");
	msg_spec o = {"Odd folder", "frank@example.com", "Odd\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 7};
	add_message(mb, odd, &o);
	IMAPIFolder_Release(odd);
	msg_spec s1 = {"Sent one", "me@example.com", "Sent\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 8};
	add_message(mb, mb->sent, &s1);
	msg_spec s2 = {"Draft one", "me@example.com", "Draft\n", MSGFLAG_READ | MSGFLAG_UNSENT, 0, 0, 0, {NULL}, 9};
	add_message(mb, mb->drafts, &s2);
	msg_spec s3 = {"Deleted one", "spam@example.com", "Gone\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 10};
	add_message(mb, mb->trash, &s3);
	msg_spec s4 = {"Junk one", "spam@example.com", "Buy\n", 0, 0, 0, 0, {NULL}, 11};
	add_message(mb, mb->junk, &s4);
	/* A folder-associated message (a view, a rule): never exported. */
	LPMESSAGE fai = NULL;
	CHECK(IMAPIFolder_CreateMessage(mb->inbox, NULL, MAPI_ASSOCIATED, &fai));
	SPropValue fv[2] = {{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Microsoft.FolderDesign"},
	                    {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR) "FAI must not be exported"}};
	CHECK(IMessage_SetProps(fai, 2, fv, NULL));
	CHECK(IMessage_SaveChanges(fai, 0));
	IMessage_Release(fai);
	mailbox_close(mb);
}

static void test_mbox_layout_and_quoting(void **state)
{
	(void)state;
	need_cli();
	mailbox mb;
	build_mailbox(&mb, "mbox.mapix");
	cli_result r;
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--format", "mbox", "out-mbox", NULL});
	expect_ok(&r);
	assert_non_null(strstr(r.out, "exported 11 messages from "));
	assert_non_null(strstr(r.out, "; 0 skipped"));

	/* Thunderbird's layout: a file per folder, subfolders in <Name>.sbd/. */
	assert_true(exists("out-mbox/Inbox"));
	assert_true(exists("out-mbox/Inbox.sbd/Sub.With.Dots"));
	assert_true(exists("out-mbox/Inbox.sbd/Sub.With.Dots.sbd/Deeper"));
	assert_true(exists("out-mbox/A%2FB 100%25"));
	assert_true(exists("out-mbox/Sent Items"));
	assert_true(exists("out-mbox/Junk E-mail"));

	size_t len = 0;
	char *inbox = read_all("out-mbox/Inbox", &len);
	/* Four messages, each opened by its From_ line... */
	int froms = 0;
	for (const char *p = inbox; (p = strstr(p, "\nFrom ")); p++)
		froms++;
	assert_int_equal(froms + (strncmp(inbox, "From ", 5) == 0), 4);
	assert_int_equal(strncmp(inbox, "From alice@example.com Fri Mar  1 09:30:00 2024\n", 48), 0);
	/* ...mboxrd quoting: one more '>' on every ^>*From_ line, nothing else... */
	assert_non_null(strstr(inbox, "\n>From the start of a line\n"));
	assert_non_null(strstr(inbox, "\n>>From an already quoted line\n"));
	assert_non_null(strstr(inbox, "\n>>>From twice quoted\n"));
	assert_non_null(strstr(inbox, "\nFromage is not a From_ line\n"));
	assert_non_null(strstr(inbox, "\n From indented\n"));
	/* ...and a blank line after every message, the file ending in one. */
	assert_true(len > 2 && inbox[len - 1] == '\n' && inbox[len - 2] == '\n');
	assert_null(strstr(inbox, "FAI must not be exported"));
	free(inbox);

	/* Appending adds the same messages again after the old ones. */
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--format", "mbox", "--folder",
	                                    "Inbox", "--no-recurse", "--append", "out-mbox", NULL});
	expect_ok(&r);
	assert_non_null(strstr(r.out, "exported 4 messages from 1 folders"));
	inbox = read_all("out-mbox/Inbox", &len);
	froms = 0;
	for (const char *p = inbox; (p = strstr(p, "\nFrom ")); p++)
		froms++;
	assert_int_equal(froms + 1, 8);
	free(inbox);
}

static void test_maildir_flags_and_folders(void **state)
{
	(void)state;
	need_cli();
	mailbox mb;
	build_mailbox(&mb, "maildir.mapix");
	cli_result r;
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--format", "maildir", "md", NULL});
	expect_ok(&r);

	/* The Inbox is the top maildir; the others are .A.B with their own
	 * cur/new/tmp and a maildirfolder marker; special folders by role. */
	char *top = list_dir("md");
	const char *want_dirs[] = {"cur\n", "new\n", "tmp\n", ".INBOX.Sub\\2eWith\\2eDots\n",
	                           ".INBOX.Sub\\2eWith\\2eDots.Deeper\n", ".A\\2fB 100%\n", ".Sent\n", ".Drafts\n",
	                           ".Trash\n", ".Junk\n", "dovecot-keywords\n"};
	for (size_t i = 0; i < sizeof want_dirs / sizeof *want_dirs; i++)
		if (!strstr(top, want_dirs[i]))
			fail_msg("md/ lacks %s(has:\n%s)", want_dirs[i], top);
	assert_null(strstr(top, "Sent Items"));
	free(top);
	assert_true(exists("md/.Sent/maildirfolder"));
	assert_true(exists("md/.INBOX.Sub\\2eWith\\2eDots/cur"));
	char *tmp = list_dir("md/tmp");
	assert_string_equal(tmp, "");
	free(tmp);

	/* Keywords are numbered in the order they are first met. */
	char *kw = read_all("md/dovecot-keywords", NULL);
	assert_string_equal(kw, "0 Red_Category\n1 work\n");
	free(kw);

	char *f;
	f = maildir_flags_of("md/cur", "Plain read");
	assert_string_equal(f, "S");
	free(f);
	f = maildir_flags_of("md/cur", "All flags");
	assert_string_equal(f, "DFRSTab");
	free(f);
	f = maildir_flags_of("md/cur", "Answered unread");
	assert_string_equal(f, "Rb");
	free(f);
	f = maildir_flags_of("md/.INBOX.Sub\\2eWith\\2eDots/cur", "In the subfolder");
	assert_string_equal(f, "DR");
	free(f);
	f = maildir_flags_of("md/.INBOX.Sub\\2eWith\\2eDots.Deeper/cur", "Deepest");
	assert_string_equal(f, "FS");
	free(f);
	f = maildir_flags_of("md/.Drafts/cur", "Draft one");
	assert_string_equal(f, "DS");
	free(f);
	f = maildir_flags_of("md/.Junk/cur", "Junk one");
	assert_string_equal(f, "");
	free(f);
	char *cur = list_dir("md/cur");
	int n = 0;
	for (char *p = cur; *p; p++)
		n += *p == '\n';
	assert_int_equal(n, 4); /* no FAI */
	free(cur);

	/* --append: new files beside the old ones, keyword numbers kept. */
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--format", "maildir", "--append",
	                                    "md", NULL});
	expect_ok(&r);
	cur = list_dir("md/cur");
	n = 0;
	for (char *p = cur; *p; p++)
		n += *p == '\n';
	assert_int_equal(n, 8);
	assert_non_null(strstr(cur, ":2,DFRSTab\n"));
	free(cur);
	kw = read_all("md/dovecot-keywords", NULL);
	assert_string_equal(kw, "0 Red_Category\n1 work\n");
	free(kw);
}

static void test_eml_tree_refusal_append(void **state)
{
	(void)state;
	need_cli();
	mailbox mb;
	build_mailbox(&mb, "eml.mapix");
	cli_result r;
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "out-eml", NULL});
	expect_ok(&r);
	char *inbox = list_dir("out-eml/Inbox");
	assert_string_equal(inbox, "000001.eml\n000002.eml\n000003.eml\n000004.eml\nSub.With.Dots\n");
	free(inbox);
	assert_true(exists("out-eml/Inbox/Sub.With.Dots/Deeper/000001.eml"));
	assert_true(exists("out-eml/A%2FB 100%25/000001.eml"));
	assert_true(exists("out-eml/Deleted Items/000001.eml"));
	char *text = read_all("out-eml/Inbox/000001.eml", NULL);
	assert_non_null(strstr(text, "Subject: Plain read\n"));
	assert_null(strchr(text, '\r')); /* LF line endings */
	free(text);

	/* A destination that is not empty is refused, with one line. */
	run_mapix(&r, (const char *const[]){"export", "--mailbox", mb.path, "out-eml", NULL});
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "mapix: export: out-eml: not empty (--append adds to it)\n");
	assert_string_equal(r.out, "");
	/* --append numbers on after the files already there. */
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Inbox",
	                                    "--no-recurse", "--append", "out-eml", NULL});
	expect_ok(&r);
	assert_true(exists("out-eml/Inbox/000008.eml"));
	assert_false(exists("out-eml/Inbox/000009.eml"));
	/* Usage errors. */
	run_mapix(&r, (const char *const[]){"export", "--mailbox", mb.path, "--format", "pst", "x", NULL});
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "mapix: export: --format pst: not eml, mbox or maildir\n");
	run_mapix(&r, (const char *const[]){"export", "--mailbox", mb.path, NULL});
	assert_int_equal(r.status, 2);
}

/* ---- the exports against the originals, through Python's email package ----------------- */

static const char *const corpus[] = {
	"plain.eml", "rfc2047.eml", "alternative.eml", "related.eml", "attachments.eml", "rfc822.eml", "charsets.eml",
};

static int python_compare(const char *a, const char *b)
{
	char *script = mapix_test_source_path("tests/mime_compare.py");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s'", script, a, b);
	free(script);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_python_compare(void **state)
{
	(void)state;
	need_cli();
	if (system("python3 -c 'import email' >/dev/null 2>&1") != 0)
		MAPIX_SKIP("python3 not installed: exports not compared");
	mailbox mb;
	mailbox_create(&mb, "corpus.mapix");
	LPMAPIFOLDER folder = make_folder(mb.subtree, "Corpus");
	size_t n = sizeof corpus / sizeof *corpus;
	for (size_t i = 0; i < n; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "tests/data/mime/%s", corpus[i]);
		char *src = mapix_test_source_path(rel);
		int fd = open(src, O_RDONLY);
		assert_true(fd >= 0);
		LPMESSAGE m = NULL;
		CHECK(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
		CHECK(mapix_mime_fd_to_message(fd, m, 0, NULL));
		CHECK(IMessage_SaveChanges(m, 0));
		IMessage_Release(m);
		close(fd);
		free(src);
	}
	IMAPIFolder_Release(folder);
	mailbox_close(&mb);

	static const char *const formats[] = {"eml", "maildir"};
	for (int k = 0; k < 2; k++) {
		cli_result r;
		char dest[64];
		snprintf(dest, sizeof dest, "cmp-%s", formats[k]);
		run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Corpus",
		                                    "--format", formats[k], dest, NULL});
		expect_ok(&r);
		char dir[128];
		snprintf(dir, sizeof dir, k == 0 ? "%s/Corpus" : "%s/.Corpus/cur", dest);
		char *names = list_dir(dir);
		size_t i = 0;
		for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n"), i++) {
			char rel[512];
			snprintf(rel, sizeof rel, "%s/%s", dir, line);
			char *exported = path_in(rel);
			/* EML files are numbered in table order; Maildir names are
			 * not, so find the original by its Subject. */
			size_t orig = i;
			if (k == 1) {
				char *text = read_all(rel, NULL);
				orig = n;
				for (size_t j = 0; j < n && orig == n; j++) {
					char crel[256];
					snprintf(crel, sizeof crel, "tests/data/mime/%s", corpus[j]);
					char *cpath = mapix_test_source_path(crel);
					FILE *f = fopen(cpath, "rb");
					char line_buf[1024];
					while (f && fgets(line_buf, sizeof line_buf, f))
						if (!strncmp(line_buf, "Message-ID:", 11) || !strncmp(line_buf, "Message-Id:", 11)) {
							if (strstr(text, line_buf + 11))
								orig = j;
							break;
						}
					if (f)
						fclose(f);
					free(cpath);
				}
				free(text);
				if (orig == n)
					fail_msg("%s: no original with its Message-ID", rel);
			}
			assert_true(orig < n);
			char crel[256];
			snprintf(crel, sizeof crel, "tests/data/mime/%s", corpus[orig]);
			char *cpath = mapix_test_source_path(crel);
			if (python_compare(cpath, exported) != 0)
				fail_msg("%s export of %s differs from the original", formats[k], corpus[orig]);
			free(cpath);
			free(exported);
		}
		assert_int_equal(i, n);
		free(names);
	}
}

/* ---- bounded memory ------------------------------------------------------------------- */

static void fill_pattern(BYTE *buf, size_t len, uint64_t offset)
{
	/* Not compressible and not all one byte: a simple LCG per position. */
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (offset + i) * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[i] = (BYTE)(x >> 56);
	}
}

static void test_big_attachment_rss(void **state)
{
	(void)state;
	need_cli();
	const size_t mib = UNDER_SANITIZER ? 16 : 64;
	const size_t size = mib << 20;
	mailbox mb;
	mailbox_create(&mb, "big.mapix");
	LPMAPIFOLDER small = make_folder(mb.subtree, "Small"), bigf = make_folder(mb.subtree, "Big");
	msg_spec s = {"Small", "alice@example.com", "Small message\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 1};
	add_message(&mb, small, &s);
	s.subject = "Big";
	add_message(&mb, bigf, &s);
	/* The big attachment, written through a stream in pieces. */
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	CHECK(IMAPIFolder_GetContentsTable(bigf, 0, &t));
	CHECK(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	LPMESSAGE m = NULL;
	ULONG type = 0;
	CHECK(IMAPIFolder_OpenEntry(bigf, rows->aRow[0].lpProps[0].Value.bin.cb,
	                            (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                            (LPUNKNOWN *)&m));
	FreeProws(rows);
	IMAPITable_Release(t);
	LPATTACH a = NULL;
	ULONG num = 0;
	CHECK(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue av[3] = {{.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
	                    {.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = (LPSTR) "big.bin"},
	                    {.ulPropTag = PR_ATTACH_MIME_TAG_A, .Value.lpszA = (LPSTR) "application/octet-stream"}};
	CHECK(IAttach_SetProps(a, 3, av, NULL));
	LPSTREAM stm = NULL;
	CHECK(IAttach_OpenProperty(a, PR_ATTACH_DATA_BIN, &IID_IStream, STGM_WRITE, MAPI_CREATE | MAPI_MODIFY,
	                           (LPUNKNOWN *)&stm));
	BYTE *piece = malloc(1 << 20);
	char *orig_path = path_in("big.bin");
	FILE *orig = fopen(orig_path, "wb");
	assert_non_null(orig);
	for (size_t off = 0; off < size; off += 1 << 20) {
		fill_pattern(piece, 1 << 20, off);
		ULONG w = 0;
		CHECK(IStream_Write(stm, piece, 1 << 20, &w));
		assert_int_equal(w, 1 << 20);
		assert_int_equal(fwrite(piece, 1, 1 << 20, orig), 1 << 20);
	}
	fclose(orig);
	free(piece);
	CHECK(IStream_Commit(stm, 0));
	IStream_Release(stm);
	CHECK(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	CHECK(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	IMAPIFolder_Release(small);
	IMAPIFolder_Release(bigf);
	mailbox_close(&mb);

	cli_result base, big;
	run_mapix(&base, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Small", "rss-small",
	                                       NULL});
	expect_ok(&base);
	run_mapix(&big, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Big", "rss-big",
	                                      NULL});
	expect_ok(&big);
	long delta = big.max_rss_kib - base.max_rss_kib;
	print_message("export of a message with a %zu MiB attachment: peak RSS %.1f MiB (a small message: %.1f MiB, "
	              "delta %.1f MiB)\n",
	              mib, big.max_rss_kib / 1024.0, base.max_rss_kib / 1024.0, delta / 1024.0);
	/* Far below the attachment (whole-buffer conversion needed several
	 * times its size; streamed it is a few MiB, and the baseline itself
	 * moves by a few): under a quarter of it. */
	assert_true(delta < (long)(size / 4 / 1024));

	/* And the bytes came through: base64 decoded by Python equals the file. */
	if (system("python3 -c 'import email' >/dev/null 2>&1") != 0)
		MAPIX_SKIP("python3 not installed: attachment bytes not compared");
	char *eml = path_in("rss-big/Big/000001.eml");
	char cmd[16384];
	snprintf(cmd, sizeof cmd,
	         "python3 -c 'import email,sys\n"
	         "m=email.message_from_binary_file(open(sys.argv[1],\"rb\"))\n"
	         "parts=[p for p in m.walk() if p.get_filename()==\"big.bin\"]\n"
	         "sys.exit(0 if len(parts)==1 and parts[0].get_payload(decode=True)==open(sys.argv[2],\"rb\").read() else 1)'"
	         " '%s' '%s'",
	         eml, orig_path);
	int st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(eml);
	free(orig_path);
}

/* Bodies too large for GetProps go through the streamed path: PR_BODY_W is
 * read as UTF-16 in 64 KiB pieces and turned into UTF-8 on the way, so
 * characters (surrogate pairs included) cut by a piece boundary must come
 * out whole; PR_HTML likewise as bytes. */
static void test_large_bodies(void **state)
{
	(void)state;
	need_cli();
	if (system("python3 -c 'import email' >/dev/null 2>&1") != 0)
		MAPIX_SKIP("python3 not installed: bodies not compared");
	/* Text: ASCII runs of varying length between an e-acute and a
	 * U+1F600 (a surrogate pair), so every alignment meets a boundary. */
	GString *text = g_string_new(NULL);
	for (int i = 0; text->len < 300000; i++) {
		for (int k = 0; k < i % 7; k++)
			g_string_append_c(text, 'a' + k);
		g_string_append(text, i % 3 ? "\xC3\xA9" : "\xF0\x9F\x98\x80");
		if (i % 40 == 39)
			g_string_append_c(text, '\n');
	}
	g_string_append_c(text, '\n');
	GString *html = g_string_new("<html><body>");
	while (html->len < 200000)
		g_string_append(html, "<p>caf\xC3\xA9 \xE2\x98\x95 and more text</p>\n");
	g_string_append(html, "</body></html>\n");
	char *text_path = path_in("large-body.txt"), *html_path = path_in("large-body.html");
	FILE *f = fopen(text_path, "wb");
	fwrite(text->str, 1, text->len, f);
	fclose(f);
	f = fopen(html_path, "wb");
	fwrite(html->str, 1, html->len, f);
	fclose(f);

	mailbox mb;
	mailbox_create(&mb, "bodies.mapix");
	LPMAPIFOLDER folder = make_folder(mb.subtree, "Bodies");
	msg_spec spec = {"Large bodies", "alice@example.com", text->str, MSGFLAG_READ, 0, 0, 0, {NULL}, 1};
	add_message(&mb, folder, &spec);
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	CHECK(IMAPIFolder_GetContentsTable(folder, 0, &t));
	CHECK(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	LPMESSAGE m = NULL;
	ULONG type = 0;
	CHECK(IMAPIFolder_OpenEntry(folder, rows->aRow[0].lpProps[0].Value.bin.cb,
	                            (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                            (LPUNKNOWN *)&m));
	FreeProws(rows);
	IMAPITable_Release(t);
	LPSTREAM stm = NULL;
	CHECK(IMessage_OpenProperty(m, PR_HTML, &IID_IStream, STGM_WRITE, MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&stm));
	ULONG w = 0;
	CHECK(IStream_Write(stm, html->str, (ULONG)html->len, &w));
	CHECK(IStream_Commit(stm, 0));
	IStream_Release(stm);
	CHECK(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	IMAPIFolder_Release(folder);
	mailbox_close(&mb);

	cli_result r;
	run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Bodies", "bodies",
	                                    NULL});
	expect_ok(&r);
	char *eml = path_in("bodies/Bodies/000001.eml");
	char cmd[16384];
	snprintf(cmd, sizeof cmd,
	         "python3 -c 'import email,sys\n"
	         "m=email.message_from_binary_file(open(sys.argv[1],\"rb\"))\n"
	         "got={p.get_content_type():p.get_payload(decode=True) for p in m.walk() if not p.is_multipart()}\n"
	         "ok=got.get(\"text/plain\")==open(sys.argv[2],\"rb\").read() and got.get(\"text/html\")==open(sys.argv[3],\"rb\").read()\n"
	         "sys.exit(0 if ok else 1)' '%s' '%s' '%s'",
	         eml, text_path, html_path);
	int st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the exported bodies differ from the stored ones (%s)", eml);
	free(eml);
	free(text_path);
	free(html_path);
	g_string_free(text, TRUE);
	g_string_free(html, TRUE);
}

/* A message the converter cannot write (an attachment that says it is an
 * embedded message but holds none) is reported with its folder and entry ID, counted, and
 * leaves nothing behind; the messages around it are exported. */
static void test_skipped_message(void **state)
{
	(void)state;
	need_cli();
	mailbox mb;
	mailbox_create(&mb, "skip.mapix");
	LPMAPIFOLDER folder = make_folder(mb.subtree, "Mixed");
	msg_spec before = {"Before", "alice@example.com", "first\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 1};
	add_message(&mb, folder, &before);
	LPMESSAGE m = NULL;
	CHECK(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
	SPropValue v[2] = {{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"},
	                   {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR) "Too deep"}};
	CHECK(IMessage_SetProps(m, 2, v, NULL));
	LPATTACH a = NULL;
	ULONG num = 0;
	CHECK(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue av = {.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_EMBEDDED_MSG};
	CHECK(IAttach_SetProps(a, 1, &av, NULL));
	CHECK(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	CHECK(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	msg_spec after = {"After", "bob@example.com", "last\n", MSGFLAG_READ, 0, 0, 0, {NULL}, 2};
	add_message(&mb, folder, &after);
	IMAPIFolder_Release(folder);
	mailbox_close(&mb);

	static const char *const formats[] = {"eml", "mbox", "maildir"};
	for (int k = 0; k < 3; k++) {
		cli_result r;
		char dest[32];
		snprintf(dest, sizeof dest, "skip-%s", formats[k]);
		run_mapix(&r, (const char *const[]){"export", "--quiet", "--mailbox", mb.path, "--folder", "Mixed", "--format",
		                                    formats[k], dest, NULL});
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "exported 2 messages from 1 folders"));
		assert_non_null(strstr(r.out, "; 1 skipped\n"));
		if (strncmp(r.err, "mapix: export: Mixed: message ", 30) != 0 || !strstr(r.err, "(MAPI_E_") ||
		    strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
			fail_msg("%s: unexpected report: %s", formats[k], r.err);
		if (k == 0)
			print_message("%s", r.err);
		char rel[64];
		if (k == 0) {
			snprintf(rel, sizeof rel, "%s/Mixed", dest);
			char *names = list_dir(rel);
			assert_string_equal(names, "000001.eml\n000002.eml\n"); /* no .tmp left */
			free(names);
		} else if (k == 1) {
			snprintf(rel, sizeof rel, "%s/Mixed", dest);
			char *text = read_all(rel, NULL);
			assert_null(strstr(text, "Too deep"));
			assert_non_null(strstr(text, "Subject: Before\n"));
			assert_non_null(strstr(text, "Subject: After\n"));
			assert_int_equal(strncmp(text, "From alice@example.com ", 23), 0);
			assert_non_null(strstr(text, "\n\nFrom bob@example.com "));
			free(text);
		} else {
			snprintf(rel, sizeof rel, "%s/.Mixed/tmp", dest);
			char *names = list_dir(rel);
			assert_string_equal(names, "");
			free(names);
			snprintf(rel, sizeof rel, "%s/.Mixed/cur", dest);
			names = list_dir(rel);
			int n = 0;
			for (char *p = names; *p; p++)
				n += *p == '\n';
			assert_int_equal(n, 2);
			free(names);
		}
	}
}

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("MAPIX_BUILD_DIR");
	snprintf(mapix_bin, sizeof mapix_bin, "%s/mapix", build ? build : ".");
	tmpdir = mapix_test_tmpdir("export");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mapix_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_layout_and_quoting),
		cmocka_unit_test(test_maildir_flags_and_folders),
		cmocka_unit_test(test_eml_tree_refusal_append),
		cmocka_unit_test(test_python_compare),
		cmocka_unit_test(test_large_bodies),
		cmocka_unit_test(test_skipped_message),
		cmocka_unit_test(test_big_attachment_rss),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
