/*
 * cmd_store_ls.c — `mapix store ls`: without --folder, the folder tree with
 * each folder's message and unread counts (PR_CONTENT_COUNT,
 * PR_CONTENT_UNREAD, read from the one CONVENIENT_DEPTH hierarchy table of
 * the root); with --folder, that folder's contents table with chosen
 * columns, sort order, restriction (--where, cli_where.c) and row limit.
 * Rows are read in pages, so a large folder is never held in memory here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapitags.h>
#include <mapix/mapixprops.h>

#include "cli.h"
#include "cli_where.h"

#define PAGE_ROWS 100

/* Display width of UTF-8 text: one column per code point. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Appends s in exactly `width` columns: cut (ending in "…") or padded; right
 * aligned when asked. */
static void put_cell(cli_buf *line, const char *s, size_t width, int right)
{
	size_t w = text_width(s);
	if (w > width) {
		size_t cols = 0;
		const char *p = s;
		/* keep width-1 code points, then the ellipsis */
		while (*p) {
			if (((unsigned char)*p & 0xC0) != 0x80) {
				if (cols == width - 1)
					break;
				cols++;
			}
			p++;
		}
		cli_buf_add(line, s, (size_t)(p - s));
		cli_buf_add(line, "\xE2\x80\xA6", 3);
		return;
	}
	if (right)
		cli_buf_addf(line, "%*s%s", (int)(width - w), "", s);
	else
		cli_buf_addf(line, "%s%*s", s, (int)(width - w), "");
}

/* Prints a finished line without the padding of empty trailing cells. */
static void put_line(cli_buf *line)
{
	size_t n = line->len;
	while (n && line->text[n - 1] == ' ')
		n--;
	if (n)
		fwrite(line->text, 1, n, stdout);
	putchar('\n');
	cli_buf_free(line);
}

/* ---- the folder tree ----------------------------------------------------------- */

typedef struct tree_row {
	char *name;
	ULONG depth;
	char count[16], unread[16];
} tree_row;

static void count_text(char out[16], const SPropValue *v)
{
	if (PROP_TYPE(v->ulPropTag) == PT_LONG)
		snprintf(out, 16, "%ld", (long)v->Value.l);
	else
		snprintf(out, 16, "?");
}

static int ls_tree(LPMDB mdb, const char *mailbox)
{
	static const SizedSPropTagArray(4, cols) = {
		4, {PR_DISPLAY_NAME_W, PR_DEPTH, PR_CONTENT_COUNT, PR_CONTENT_UNREAD}};
	static const SizedSPropTagArray(2, root_cols) = {2, {PR_CONTENT_COUNT, PR_CONTENT_UNREAD}};
	LPMAPIFOLDER root = NULL;
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	LPSPropValue rootv = NULL;
	ULONG type = 0, n = 0;
	tree_row *tr = NULL;
	int rc = CLI_EXIT_OK;
	HRESULT hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root);
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_GetProps(root, (LPSPropTagArray)&root_cols, 0, &n, &rootv);
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_GetHierarchyTable(root, CONVENIENT_DEPTH | MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (FAILED(hr)) {
		rc = cli_fail(mailbox, hr);
		goto out;
	}
	ULONG nrows = rows->cRows + 1;
	tr = calloc(nrows, sizeof *tr);
	if (!tr) {
		rc = cli_error("out of memory");
		goto out;
	}
	tr[0].name = strdup("/");
	count_text(tr[0].count, &rootv[0]);
	count_text(tr[0].unread, &rootv[1]);
	for (ULONG i = 0; i < rows->cRows; i++) {
		const SPropValue *v = rows->aRow[i].lpProps;
		cli_buf b = {0};
		cli_format_value(&b, &v[0], CLI_FMT_CELL);
		tr[i + 1].name = b.text ? b.text : strdup("");
		tr[i + 1].depth = PROP_TYPE(v[1].ulPropTag) == PT_LONG ? (ULONG)v[1].Value.l + 1 : 1;
		count_text(tr[i + 1].count, &v[2]);
		count_text(tr[i + 1].unread, &v[3]);
	}
	size_t w = strlen("FOLDER");
	for (ULONG i = 0; i < nrows; i++) {
		if (!tr[i].name) {
			rc = cli_error("out of memory");
			goto out;
		}
		size_t x = 2 * tr[i].depth + text_width(tr[i].name);
		if (x > w)
			w = x;
	}
	printf("%-*s  %8s  %8s\n", (int)w, "FOLDER", "MESSAGES", "UNREAD");
	for (ULONG i = 0; i < nrows; i++) {
		cli_buf line = {0};
		cli_buf_addf(&line, "%*s", (int)(2 * tr[i].depth), "");
		put_cell(&line, tr[i].name, w - 2 * tr[i].depth, 0);
		cli_buf_addf(&line, "  %8s  %8s", tr[i].count, tr[i].unread);
		put_line(&line);
	}
out:
	if (tr)
		for (ULONG i = 0; i < (rows ? rows->cRows + 1 : 0); i++)
			free(tr[i].name);
	free(tr);
	if (rows)
		FreeProws(rows);
	MAPIFreeBuffer(rootv);
	if (table)
		IMAPITable_Release(table);
	if (root)
		IMAPIFolder_Release(root);
	return rc;
}

/* ---- a folder's contents ------------------------------------------------------- */

typedef struct column {
	char *label;
	ULONG tag;
	size_t width; /* 0: the last column, unpadded */
	int right;
} column;

static void free_columns(column *c, ULONG n)
{
	for (ULONG i = 0; i < n; i++)
		free(c[i].label);
	free(c);
}

/* Splits a comma-separated list into tags; labels are the words as given. */
static int parse_columns(const char *spec, column **out, ULONG *nout)
{
	ULONG n = 1;
	for (const char *p = spec; *p; p++)
		n += *p == ',';
	column *c = calloc(n, sizeof *c);
	if (!c)
		return cli_error("out of memory");
	ULONG k = 0;
	for (const char *p = spec;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' '))
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			ULONG tag = cli_prop_lookup(p, len);
			if (tag == PR_NULL) {
				int rc = cli_usage_error("--columns: unknown property '%.*s'", (int)len, p);
				free_columns(c, k);
				return rc;
			}
			c[k].tag = tag;
			c[k].label = strndup(p, len);
			k++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!k) {
		free_columns(c, k);
		return cli_usage_error("--columns: no columns given");
	}
	*out = c;
	*nout = k;
	return 0;
}

static void set_widths(column *c, ULONG n)
{
	for (ULONG i = 0; i < n; i++) {
		ULONG t = PROP_TYPE(c[i].tag);
		c[i].right = 0;
		switch (t) {
		case PT_SYSTIME:
			c[i].width = 20;
			break;
		case PT_SHORT:
		case PT_LONG:
		case PT_I8:
		case PT_FLOAT:
		case PT_DOUBLE:
		case PT_CURRENCY:
		case PT_APPTIME:
			c[i].width = 10;
			c[i].right = 1;
			break;
		case PT_BOOLEAN:
			c[i].width = 5;
			break;
		case PT_UNICODE:
		case PT_STRING8:
			c[i].width = PROP_ID(c[i].tag) == PROP_ID(PR_SUBJECT_W) ? 40 : 24;
			break;
		default:
			c[i].width = 32;
			break;
		}
		size_t lw = text_width(c[i].label);
		if (c[i].width < lw)
			c[i].width = lw;
	}
	/* The last column is as wide as its values (unless numbers, which stay
	 * aligned). */
	if (!c[n - 1].right)
		c[n - 1].width = 0;
}

static int parse_sort(const char *spec, LPSSortOrderSet *out)
{
	ULONG n = 1;
	for (const char *p = spec; *p; p++)
		n += *p == ',';
	LPSSortOrderSet s = NULL;
	if (MAPIAllocateBuffer((ULONG)CbNewSSortOrderSet(n), (LPVOID *)&s) != S_OK)
		return cli_error("out of memory");
	s->cSorts = 0;
	s->cCategories = 0;
	s->cExpanded = 0;
	for (const char *p = spec;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		ULONG order = TABLE_SORT_ASCEND;
		while (len && *p == ' ')
			p++, len--;
		if (len && (*p == '-' || *p == '+')) {
			order = *p == '-' ? TABLE_SORT_DESCEND : TABLE_SORT_ASCEND;
			p++, len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			ULONG tag = cli_prop_lookup(p, len);
			if (tag == PR_NULL) {
				MAPIFreeBuffer(s);
				return cli_usage_error("--sort: unknown property '%.*s'", (int)len, p);
			}
			s->aSort[s->cSorts].ulPropTag = tag;
			s->aSort[s->cSorts].ulOrder = order;
			s->cSorts++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!s->cSorts) {
		MAPIFreeBuffer(s);
		return cli_usage_error("--sort: no keys given");
	}
	*out = s;
	return 0;
}

static int parse_count(const char *opt, const char *text, ULONG *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-' || v > 0x7FFFFFFFUL)
		return cli_usage_error("%s: '%s' is not a count", opt, text);
	*out = (ULONG)v;
	return 0;
}

typedef struct ls_options {
	const char *folder, *columns, *sort, *where, *limit, *associated, *tsv;
} ls_options;

/* What the options ask for, parsed before the mailbox is opened so that a
 * bad --where or --columns is a usage error whatever the file. */
typedef struct ls_plan {
	column *cols;
	ULONG ncols, limit;
	LPSSortOrderSet sort;
	LPSRestriction res;
	LPSPropTagArray tags;
} ls_plan;

static void free_plan(ls_plan *pl)
{
	MAPIFreeBuffer(pl->tags);
	MAPIFreeBuffer(pl->res);
	MAPIFreeBuffer(pl->sort);
	free_columns(pl->cols, pl->ncols);
	memset(pl, 0, sizeof *pl);
}

static int make_plan(const ls_options *o, ls_plan *pl)
{
	int rc;
	HRESULT hr;
	if ((rc = parse_columns(o->columns ? o->columns : "date,from,size,subject", &pl->cols, &pl->ncols)))
		return rc;
	if (o->sort && (rc = parse_sort(o->sort, &pl->sort)))
		return rc;
	if (o->limit && (rc = parse_count("--limit", o->limit, &pl->limit)))
		return rc;
	if (o->where) {
		char err[256];
		hr = cli_where_parse(o->where, &pl->res, err, sizeof err);
		if (FAILED(hr))
			return hr == MAPI_E_INVALID_PARAMETER ? cli_usage_error("--where: %s", err)
			                                      : cli_error("--where: %s", err);
	}
	if (MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(pl->ncols), (LPVOID *)&pl->tags) != S_OK)
		return cli_error("out of memory");
	pl->tags->cValues = pl->ncols;
	for (ULONG i = 0; i < pl->ncols; i++)
		pl->tags->aulPropTag[i] = pl->cols[i].tag;
	set_widths(pl->cols, pl->ncols);
	return 0;
}

static int ls_contents(LPMDB mdb, const char *mailbox, const ls_options *o, const ls_plan *pl)
{
	column *cols = pl->cols;
	ULONG ncols = pl->ncols, limit = pl->limit;
	LPMAPIFOLDER folder = NULL;
	LPMAPITABLE table = NULL;
	int rc;
	HRESULT hr;

	if (FAILED(hr = cli_open_folder(mdb, mailbox, o->folder, &folder))) {
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	const char *step = "GetContentsTable";
	hr = IMAPIFolder_GetContentsTable(folder, MAPI_UNICODE | (o->associated ? MAPI_ASSOCIATED : 0), &table);
	if (SUCCEEDED(hr) && (step = "SetColumns", 1))
		hr = IMAPITable_SetColumns(table, pl->tags, 0);
	if (SUCCEEDED(hr) && pl->res && (step = "--where", 1))
		hr = IMAPITable_Restrict(table, pl->res, 0);
	if (SUCCEEDED(hr) && pl->sort && (step = "--sort", 1))
		hr = IMAPITable_SortTable(table, pl->sort, 0);
	ULONG total = 0;
	if (SUCCEEDED(hr) && (step = "GetRowCount", 1))
		hr = IMAPITable_GetRowCount(table, 0, &total);
	if (FAILED(hr)) {
		char what[512];
		snprintf(what, sizeof what, "%s: %s", mailbox, step);
		rc = cli_fail(what, hr);
		goto out;
	}
	ULONG shown_max = limit && limit < total ? limit : total;
	int numw = 1;
	for (ULONG x = shown_max; x >= 10; x /= 10)
		numw++;
	const char *sep = o->tsv ? "\t" : "  ";
	cli_buf head = {0};
	if (o->tsv)
		cli_buf_addf(&head, "#");
	else
		cli_buf_addf(&head, "%*s", numw, "#");
	for (ULONG i = 0; i < ncols; i++) {
		cli_buf_addf(&head, "%s", sep);
		if (o->tsv || (!cols[i].width && !cols[i].right))
			cli_buf_addf(&head, "%s", cols[i].label);
		else
			put_cell(&head, cols[i].label, cols[i].width, cols[i].right);
	}
	put_line(&head);
	ULONG shown = 0;
	while (!limit || shown < limit) {
		LPSRowSet rows = NULL;
		ULONG want = PAGE_ROWS;
		if (limit && limit - shown < want)
			want = limit - shown;
		if (FAILED(hr = IMAPITable_QueryRows(table, (LONG)want, 0, &rows))) {
			char what[512];
			snprintf(what, sizeof what, "%s: QueryRows", mailbox);
			rc = cli_fail(what, hr);
			goto out;
		}
		ULONG got = rows->cRows;
		for (ULONG r = 0; r < got; r++) {
			cli_buf line = {0};
			shown++;
			if (o->tsv)
				cli_buf_addf(&line, "%lu", (unsigned long)shown);
			else
				cli_buf_addf(&line, "%*lu", numw, (unsigned long)shown);
			for (ULONG c = 0; c < ncols && c < rows->aRow[r].cValues; c++) {
				cli_buf b = {0};
				cli_format_value(&b, &rows->aRow[r].lpProps[c], CLI_FMT_CELL);
				cli_buf_addf(&line, "%s", sep);
				if (o->tsv || (!cols[c].width && !cols[c].right))
					cli_buf_add(&line, cli_buf_str(&b), b.len);
				else
					put_cell(&line, cli_buf_str(&b), cols[c].width, cols[c].right);
				cli_buf_free(&b);
			}
			if (o->tsv) {
				/* Empty trailing cells are data in TSV: keep the tabs. */
				if (line.len)
					fwrite(line.text, 1, line.len, stdout);
				putchar('\n');
				cli_buf_free(&line);
			} else {
				put_line(&line);
			}
		}
		FreeProws(rows);
		if (!got)
			break;
	}
	if (!o->tsv) {
		if (shown < total)
			printf("(%lu of %lu messages)\n", (unsigned long)shown, (unsigned long)total);
		else
			printf("(%lu message%s)\n", (unsigned long)total, total == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	if (table)
		IMAPITable_Release(table);
	if (folder)
		IMAPIFolder_Release(folder);
	return rc;
}

int cmd_store_ls(int argc, char **argv)
{
	cli_mailbox mb = {0};
	ls_options o = {0};
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb),
	                           {"folder", 1, &o.folder},
	                           {"columns", 1, &o.columns},
	                           {"sort", 1, &o.sort},
	                           {"where", 1, &o.where},
	                           {"limit", 1, &o.limit},
	                           {"associated", 0, &o.associated},
	                           {"tsv", 0, &o.tsv},
	                           {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	free(pos);
	if (npos)
		return cli_usage_error("store ls: unexpected argument (give the folder with --folder PATH)");
	if (!o.folder && (o.columns || o.sort || o.where || o.limit || o.associated || o.tsv))
		return cli_usage_error("store ls: --columns, --sort, --where, --limit, --associated and --tsv need --folder");
	ls_plan plan = {0};
	if (o.folder && (rc = make_plan(&o, &plan))) {
		free_plan(&plan);
		return rc;
	}
	LPMDB mdb = cli_open_mailbox(&mb, 0, &rc);
	if (mdb) {
		rc = o.folder ? ls_contents(mdb, mb.mailbox, &o, &plan) : ls_tree(mdb, mb.mailbox);
		IMsgStore_Release(mdb);
	}
	free_plan(&plan);
	return rc;
}
