/* parnikd's log: DPDK's rte_log under the type "parnik", so one stream
 * carries the EAL's, the PMDs' and our own lines, and the EAL's
 * --log-level=parnik:LEVEL works as for any DPDK library. Every line goes
 * to stderr (journald keeps it under systemd) prefixed with a UTC time and
 * its level, and to syslog (facility daemon) as well with --log-syslog.
 *
 * The levels are rte_log's numbers; this header stays DPDK-free so that
 * option parsing can name them.
 */
#ifndef DP_LOG_H
#define DP_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum dp_log_level {
	DP_LOG_ERR = 4,		/* RTE_LOG_ERR */
	DP_LOG_WARNING = 5,
	DP_LOG_NOTICE = 6,
	DP_LOG_INFO = 7,
	DP_LOG_DEBUG = 8,
};

/* Before the EAL starts: every rte_log line (the EAL's too) goes through
 * the timestamping stream from now on, dp_log's lines begin "<program>: ";
 * <syslog> sends each line to syslog as well (ident <program>). Without
 * it (parnik-bench) lines go to rte_log's stream as they are.
 */
void dp_log_open(const char *program, bool syslog);

/* After the EAL started (its --log-level patterns are known): registers
 * the "parnik" type; <level> non-zero overrides the EAL's choice (default
 * info).
 */
void dp_log_register(uint8_t level);

/* One line (no trailing newline needed) at <level>. */
void dp_log(uint8_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether a line at <level> would be written (to skip building it). */
bool dp_log_enabled(uint8_t level);

#endif
