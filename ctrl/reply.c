/* Control-socket replies read with jansson (see reply.h). */
#include <stdio.h>
#include <string.h>

#include "parnik/types.h"
#include "reply.h"

json_t *
ctl_reply_parse(const char *text, char *err, size_t errlen)
{
	json_error_t e;
	json_t *r = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);

	if (r == NULL) {
		snprintf(err, errlen, "unreadable reply (%s at column %d)", e.text, e.column);
		return NULL;
	}
	if (!json_is_object(r)) {
		snprintf(err, errlen, "unreadable reply (not a JSON object)");
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *
ctl_reply_at(const json_t *r, const char *path)
{
	char key[64];
	json_t *v = (json_t *)r;

	while (v != NULL && *path != 0) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_is_object(v))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

bool
ctl_reply_ok(const json_t *r)
{
	return json_is_true(ctl_reply_at(r, "ok"));
}

const char *
ctl_reply_error(const json_t *r)
{
	const char *s = ctl_reply_str(r, "error");

	return s != NULL ? s : "";
}

bool
ctl_reply_u64(const json_t *r, const char *path, uint64_t *v)
{
	json_t *j = ctl_reply_at(r, path);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

bool
ctl_reply_bool(const json_t *r, const char *path, bool *v)
{
	json_t *j = ctl_reply_at(r, path);

	if (!json_is_boolean(j))
		return false;
	*v = json_is_true(j);
	return true;
}

const char *
ctl_reply_str(const json_t *r, const char *path)
{
	json_t *j = ctl_reply_at(r, path);

	return json_is_string(j) ? json_string_value(j) : NULL;
}

bool
ctl_reply_bytes(const json_t *s, uint8_t *out, size_t cap, size_t *len)
{
	const unsigned char *p;
	size_t n, have = 0;

	if (!json_is_string(s))
		return false;
	p = (const unsigned char *)json_string_value(s);
	n = json_string_length(s);
	/* jansson hands back UTF-8: code points up to 0x7f are one byte,
	 * 0x80..0xff two (0xc2 or 0xc3, then the low six bits).
	 */
	for (size_t i = 0; i < n; i++) {
		unsigned int c = p[i];

		if (c >= 0x80) {
			if ((c != 0xc2 && c != 0xc3) || i + 1 == n || (p[i + 1] & 0xc0) != 0x80)
				return false;
			c = ((c & 0x03u) << 6) | (p[++i] & 0x3fu);
		}
		if (have == cap)
			return false;
		out[have++] = (uint8_t)c;
	}
	*len = have;
	return true;
}

bool
ctl_reply_list(const json_t *reply, const char *name, uint16_t *mask, uint8_t *quorum)
{
	json_t *members = ctl_reply_at(reply, name), *id;
	char path[32];
	uint64_t q;
	size_t k;

	members = json_object_get(members, "members");
	snprintf(path, sizeof(path), "%s.quorum", name);
	if (!json_is_array(members) || !ctl_reply_u64(reply, path, &q) || q > PK_MAX_NODES)
		return false;
	*mask = 0;
	json_array_foreach(members, k, id) {
		if (!json_is_integer(id) || json_integer_value(id) < 0 ||
		    json_integer_value(id) >= PK_MAX_NODES)
			return false;
		*mask |= (uint16_t)(1u << json_integer_value(id));
	}
	*quorum = (uint8_t)q;
	return true;
}
