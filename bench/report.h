/* parnik-bench's output: the per-second table, the final summary and the
 * --json document, from one set of figures gathered over the threads.
 */
#ifndef PARNIK_BENCH_REPORT_H
#define PARNIK_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "parnik/hist.h"

/* One second of the run, summed over the threads. */
struct sec_row {
	uint64_t sent;		/* requests submitted that second */
	uint64_t done;		/* completions that second (latency in <lat>) */
	uint64_t errors;	/* completions with an error status (BUSY, timeouts apart) */
	uint64_t busy;		/* completions BUSY: shed by the replicas, not applied */
	uint64_t timeouts;	/* given up without any reply */
	struct pk_hist lat;
};

enum lin_verdict { LIN_UNCHECKED, LIN_YES, LIN_NO, LIN_UNDECIDED };

/* Why an open-loop run fell short of its rate. */
enum rate_verdict { RATE_REACHED, RATE_SATURATED, RATE_CLIENT_LIMIT };

struct run_report {
	/* the setup, as given */
	const char *servers;
	unsigned int partitions, threads, depth, keys, value_size, seconds;
	const char *mix, *dist, *mode;
	const char *transport;	/* "kernel UDP" or the DPDK ports */
	double rate;		/* open loop: the offered rate; 0 closed loop */
	/* the outcome */
	double elapsed;		/* seconds from start to the last completion */
	double window;		/* seconds the rate is computed over */
	uint64_t ops, sent;
	uint64_t by_status[64];
	uint64_t errors, busy, timeouts;
	uint64_t throttled;	/* of <busy>: refused by the client itself */
	struct pk_hist lat;	/* closed loop: from submit; open loop: from intended send */
	/* open loop */
	uint64_t intended;	/* requests due before the end */
	uint64_t not_sent;	/* due, never sent: the window stayed full */
	uint64_t window_waits;	/* sent late because the window was full */
	uint64_t late_sends;	/* sent over 1 ms late with the window open */
	struct pk_hist client_lag;	/* send lateness with the window open */
	/* Admitted requests from their submit to their answer: the cluster's
	 * part of <lat>, without the time a due request waited for the
	 * client's window.
	 */
	struct pk_hist service;
	enum rate_verdict rate_verdict;
	enum lin_verdict lin;
	uint64_t history_ops;
	unsigned int nrows;
	const struct sec_row *rows;
};

void report_header(FILE *f, bool open_loop);
void report_row(FILE *f, unsigned int second, const struct sec_row *r, bool open_loop);
void report_summary(FILE *f, const struct run_report *r);
/* Returns 0, or -1 when the file cannot be written. */
int report_json(const char *path, const struct run_report *r);

#endif
