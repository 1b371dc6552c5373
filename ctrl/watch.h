/* parnikctl stats --watch: a per-second table per replica (requests/s,
 * p50 / p99 of that second, conflicts and retries per second, 1RTT hit
 * rate), from differences of consecutive `stats` replies, histogram
 * included, so each row's percentiles are that second's own.
 */
#ifndef CTL_WATCH_H
#define CTL_WATCH_H

/* Watches the <n> sockets for <seconds> (0: until interrupted). Returns
 * 0, or 6 when a replica stops answering.
 */
int ctl_watch(const char *const *paths, unsigned int n, unsigned int seconds);

#endif
