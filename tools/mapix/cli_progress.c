/*
 * cli_progress.c — the progress line of long commands (cli_progress.h).
 * It is drawn on stderr only when stderr is a terminal, so logs and test
 * output never see it, and at most four times a second, so a fast import
 * is not slowed down by its own display.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_progress.h"

#define REDRAW_INTERVAL 0.25

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_start(cli_progress *p, const char *verb, uint64_t total_bytes)
{
	memset(p, 0, sizeof *p);
	p->verb = verb;
	p->total_bytes = total_bytes;
	p->started = now();
	p->tty = isatty(STDERR_FILENO);
}

double cli_progress_elapsed(const cli_progress *p)
{
	return now() - p->started;
}

/* "1:02:03" or "2:03". */
static void format_duration(char *out, size_t n, double s)
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(out, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, n, "%lu:%02lu", t / 60, t % 60);
}

static void draw(cli_progress *p, double t)
{
	double elapsed = t - p->started;
	double rate = elapsed > 0 ? (double)p->items / elapsed : 0;
	double mib = elapsed > 0 ? (double)p->done_bytes / elapsed / 1048576.0 : 0;
	char line[160], left[32] = "";
	int n = snprintf(line, sizeof line, "%s: %llu messages, %.0f msg/s, %.1f MiB/s", p->verb,
	                 (unsigned long long)p->items, rate, mib);
	/* Time left only when the input's size is known and the rate has had
	 * a moment to settle. */
	if (p->total_bytes && p->done_bytes && elapsed > 1 && p->done_bytes <= p->total_bytes) {
		double pct = 100.0 * (double)p->done_bytes / (double)p->total_bytes;
		format_duration(left, sizeof left,
		                elapsed * (double)(p->total_bytes - p->done_bytes) / (double)p->done_bytes);
		snprintf(line + n, sizeof line - (size_t)n, ", %.0f%%, %s left", pct, left);
	}
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = 1;
	p->last_draw = t;
}

void cli_progress_step(cli_progress *p, uint64_t bytes)
{
	p->items++;
	p->done_bytes += bytes;
	if (!p->tty)
		return;
	double t = now();
	if (t - p->last_draw >= REDRAW_INTERVAL)
		draw(p, t);
}

void cli_progress_finish(cli_progress *p)
{
	if (p->tty && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}
