/* The one-line error message every parser outside the core returns:
 * formats into the caller's buffer and gives -1, so a check reads
 * "return pk_errf(err, errlen, ...)".
 */
#ifndef PK_UTIL_ERRF_H
#define PK_UTIL_ERRF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int pk_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int
pk_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
