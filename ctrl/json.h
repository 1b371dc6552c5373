/* A small JSON writer into a caller-owned buffer, for the control socket's
 * one-line replies. Strings are escaped (keys may be binary); a reply that
 * does not fit is flagged, never truncated silently.
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_json {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;		/* something did not fit */
	bool need_comma;	/* a value was written at this nesting level */
};

void ctl_json_init(struct ctl_json *j, char *buf, size_t cap);

void ctl_json_open(struct ctl_json *j, const char *key);	/* {  (key NULL in arrays/top) */
void ctl_json_close(struct ctl_json *j);			/* }  */
void ctl_json_open_array(struct ctl_json *j, const char *key);	/* [  */
void ctl_json_close_array(struct ctl_json *j);			/* ]  */
void ctl_json_u64(struct ctl_json *j, const char *key, uint64_t v);
void ctl_json_i64(struct ctl_json *j, const char *key, int64_t v);
void ctl_json_double(struct ctl_json *j, const char *key, double v);
void ctl_json_bool(struct ctl_json *j, const char *key, bool v);
void ctl_json_str(struct ctl_json *j, const char *key, const char *s);
void ctl_json_bytes(struct ctl_json *j, const char *key, const uint8_t *p, size_t len);

#endif
