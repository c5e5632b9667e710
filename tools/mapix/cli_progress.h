/*
 * cli_progress.h — the progress line of long commands (import, export):
 * count, rate and time left, redrawn at most a few times a second on a
 * terminal (stderr), silent when stderr is not one.
 */
#ifndef MAPIX_CLI_PROGRESS_H
#define MAPIX_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
	const char *verb;       /* "importing", "exporting" */
	uint64_t total_bytes;   /* 0 when unknown: no time left then */
	uint64_t done_bytes;
	uint64_t items;
	double started, last_draw; /* CLOCK_MONOTONIC seconds */
	int tty;
	int drawn;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *verb, uint64_t total_bytes);
/* Adds one item of `bytes` and redraws when due. */
void cli_progress_step(cli_progress *p, uint64_t bytes);
/* Clears the line (the summary is printed after it). */
void cli_progress_finish(cli_progress *p);
/* Seconds since cli_progress_start. */
double cli_progress_elapsed(const cli_progress *p);

#endif
