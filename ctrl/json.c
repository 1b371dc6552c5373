/* JSON writer (see json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void
ctl_json_init(struct ctl_json *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = false;
	j->need_comma = false;
	if (cap > 0)
		buf[0] = 0;
}

static void
put(struct ctl_json *j, const char *s, size_t n)
{
	if (j->len + n + 1 > j->cap) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static void
putf(struct ctl_json *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(j, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void
escaped(struct ctl_json *j, const uint8_t *p, size_t len)
{
	put(j, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			put(j, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes, not UTF-8: each one as \u00XX keeps it exact. */
			putf(j, "\\u%04x", c);
		} else {
			put(j, (const char *)&c, 1);
		}
	}
	put(j, "\"", 1);
}

/* The separator and "key": before a value. */
static void
lead(struct ctl_json *j, const char *key)
{
	if (j->need_comma)
		put(j, ",", 1);
	if (key != NULL) {
		escaped(j, (const uint8_t *)key, strlen(key));
		put(j, ":", 1);
	}
	j->need_comma = true;
}

void
ctl_json_open(struct ctl_json *j, const char *key)
{
	lead(j, key);
	put(j, "{", 1);
	j->need_comma = false;
}

void
ctl_json_close(struct ctl_json *j)
{
	put(j, "}", 1);
	j->need_comma = true;
}

void
ctl_json_open_array(struct ctl_json *j, const char *key)
{
	lead(j, key);
	put(j, "[", 1);
	j->need_comma = false;
}

void
ctl_json_close_array(struct ctl_json *j)
{
	put(j, "]", 1);
	j->need_comma = true;
}

void
ctl_json_u64(struct ctl_json *j, const char *key, uint64_t v)
{
	lead(j, key);
	putf(j, "%llu", (unsigned long long)v);
}

void
ctl_json_i64(struct ctl_json *j, const char *key, int64_t v)
{
	lead(j, key);
	putf(j, "%lld", (long long)v);
}

void
ctl_json_double(struct ctl_json *j, const char *key, double v)
{
	lead(j, key);
	putf(j, "%.3f", v);
}

void
ctl_json_bool(struct ctl_json *j, const char *key, bool v)
{
	lead(j, key);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
ctl_json_str(struct ctl_json *j, const char *key, const char *s)
{
	lead(j, key);
	escaped(j, (const uint8_t *)s, strlen(s));
}

void
ctl_json_bytes(struct ctl_json *j, const char *key, const uint8_t *p, size_t len)
{
	lead(j, key);
	escaped(j, p, len);
}
