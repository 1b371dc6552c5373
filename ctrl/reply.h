/* Replies of the control socket as parnikctl reads them: one JSON object
 * per line, parsed with jansson, so a reply's key order or nesting may
 * change without parnikctl misreading it. Every getter names a path of
 * object keys ("job.state") and answers false when it is absent or of
 * another type.
 */
#ifndef CTL_REPLY_H
#define CTL_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses <text>; NULL (with a one-line reason in <err>) when it is not a
 * JSON object. The caller json_decref()s the result.
 */
json_t *ctl_reply_parse(const char *text, char *err, size_t errlen);

/* True when the reply says "ok": true (the replica did it). */
bool ctl_reply_ok(const json_t *r);

/* The reply's "error" text, or "" when it has none. */
const char *ctl_reply_error(const json_t *r);

/* The value at <path> (keys separated by dots), or NULL. */
json_t *ctl_reply_at(const json_t *r, const char *path);

bool ctl_reply_u64(const json_t *r, const char *path, uint64_t *v);
bool ctl_reply_bool(const json_t *r, const char *path, bool *v);
/* A string's text (owned by <r>), or NULL. */
const char *ctl_reply_str(const json_t *r, const char *path);

/* A JSON string the replica wrote from bytes (each byte as one code point,
 * \u00XX for the unprintable ones) back into bytes: false when it is not a
 * string, holds a code point above 0xff, or is longer than <cap>.
 */
bool ctl_reply_bytes(const json_t *s, uint8_t *out, size_t cap, size_t *len);

/* A lists reply's list <name> ("prepare" or "accept": {"members":[ids],
 * "quorum":q}) as a mask of node ids and its quorum; false when it is
 * absent or malformed.
 */
bool ctl_reply_list(const json_t *reply, const char *name, uint16_t *mask, uint8_t *quorum);

#endif
