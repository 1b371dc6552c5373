/* parnikd's log stream (see log.h). */
#define _GNU_SOURCE	/* fopencookie */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "log.h"

static int log_type = RTE_LOGTYPE_USER1;	/* until registered */
static bool to_syslog;
static bool at_line_start = true;
static char prefix[32];	/* "parnikd: " once dp_log_open names the program */
static char prefix_ident[32];	/* syslog's ident: the program */

static const char *
level_name(uint32_t level)
{
	static const char *const names[] = { "", "EMERG", "ALERT", "CRIT", "ERROR",
					     "WARNING", "NOTICE", "INFO", "DEBUG" };

	return level < sizeof(names) / sizeof(names[0]) ? names[level] : "DEBUG";
}

/* One write of the stream: what one rte_log call printed (it flushes after
 * each message). Each line gets the time and level of the message.
 */
static ssize_t
stream_write(void *cookie, const char *buf, size_t size)
{
	int level = rte_log_cur_msg_loglevel();
	struct timespec ts;
	struct tm tm;
	char stamp[64];
	size_t off = 0;

	(void)cookie;
	if (level <= 0)
		level = RTE_LOG_INFO;	/* before any rte_log: plain prints */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ts.tv_nsec / 1000000), level_name((uint32_t)level));
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (buf + off)) : size - off;

		if (at_line_start)
			fputs(stamp, stderr);
		fwrite(buf + off, 1, len, stderr);
		if (nl != NULL)
			fputc('\n', stderr);
		if (to_syslog && len > 0)
			syslog(level - 1, "%.*s", (int)len, buf + off);	/* rte levels are syslog's + 1 */
		at_line_start = nl != NULL;
		off += len + (nl != NULL);
	}
	fflush(stderr);
	return (ssize_t)size;
}

void
dp_log_open(const char *program, bool syslog)
{
	static const cookie_io_functions_t fns = { .write = stream_write };
	FILE *f = fopencookie(NULL, "w", fns);

	snprintf(prefix, sizeof(prefix), "%s: ", program);
	snprintf(prefix_ident, sizeof(prefix_ident), "%s", program);
	if (syslog) {
		openlog(prefix_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		to_syslog = true;
	}
	if (f == NULL)
		return;	/* rte_log keeps stderr: lines without a time, none lost */
	/* Unbuffered: glibc formats each vfprintf whole and writes it once,
	 * under the stream's lock, so every message reaches stream_write on
	 * its own, with its own thread's level (rte_log's vfprintf and fflush
	 * are two calls: a buffer would let another thread's message in
	 * between).
	 */
	setvbuf(f, NULL, _IONBF, 0);
	rte_openlog_stream(f);
}

void
dp_log_register(uint8_t level)
{
	/* The EAL opened syslog under its own ident meanwhile: ours again. */
	if (to_syslog)
		openlog(prefix_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	int t = rte_log_register_type_and_pick_level("parnik", RTE_LOG_INFO);

	if (t >= 0)
		log_type = t;
	if (level != 0)
		rte_log_set_level((uint32_t)log_type, level);
}

bool
dp_log_enabled(uint8_t level)
{
	return rte_log_can_log((uint32_t)log_type, level);
}

void
dp_log(uint8_t level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!dp_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rte_log(level, (uint32_t)log_type, "%s%s\n", prefix, line);
}
