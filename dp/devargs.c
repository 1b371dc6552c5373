/* Device arguments (see devargs.h). */
#include <string.h>

#include "devargs.h"

bool
dp_devarg(const char *args, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);

	for (const char *s = args; s != NULL && *s != 0;) {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);

		if (len > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			size_t vlen = len - klen - 1;

			if (vlen >= outlen)
				return false;
			memcpy(out, s + klen + 1, vlen);
			out[vlen] = 0;
			return true;
		}
		s = end != NULL ? end + 1 : NULL;
	}
	return false;
}
