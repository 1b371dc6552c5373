/* Key files (parnik/keyfile.h): checked like ssh checks a private key, so
 * a secret that others could read is refused before it is ever used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "parnik/keyfile.h"

#define HEX_LEN (2 * PK_AUTH_SECRET_LEN)

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pk_keyfile_load(const char *path, uint8_t secret[PK_AUTH_SECRET_LEN], char *err, size_t errlen)
{
	char text[HEX_LEN + 3];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return pk_errf(err, errlen, "key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pk_errf(err, errlen, "key file %s: not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return pk_errf(err, errlen, "key file %s: owned by uid %u, not by this user (%u)", path,
			    (unsigned int)st.st_uid, (unsigned int)geteuid());
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return pk_errf(err, errlen,
			    "key file %s: mode %03o lets others read or change it; chmod 600 it",
			    path, (unsigned int)(st.st_mode & 0777));
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return pk_errf(err, errlen, "key file %s: %s", path, strerror(errno));
	if (n > HEX_LEN && text[HEX_LEN] == '\n')
		n--;
	if (n != HEX_LEN)
		return pk_errf(err, errlen, "key file %s: expected %d hex digits and a newline", path,
			    HEX_LEN);
	for (int i = 0; i < PK_AUTH_SECRET_LEN; i++) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return pk_errf(err, errlen, "key file %s: byte %d is not a hex digit", path,
				    hi < 0 ? 2 * i : 2 * i + 1);
		secret[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
pk_keyfile_create(const char *path, char *err, size_t errlen)
{
	uint8_t secret[PK_AUTH_SECRET_LEN];
	char text[HEX_LEN + 1];
	int fd;
	bool ok;

	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		return pk_errf(err, errlen, "getrandom: %s", strerror(errno));
	for (int i = 0; i < PK_AUTH_SECRET_LEN; i++)
		snprintf(text + 2 * i, 3, "%02x", secret[i]);
	text[HEX_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pk_errf(err, errlen, "%s: %s", path, strerror(errno));
	ok = write(fd, text, sizeof(text)) == (ssize_t)sizeof(text);
	ok = close(fd) == 0 && ok;
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(text, sizeof(text));
	if (!ok) {
		(void)unlink(path);
		return pk_errf(err, errlen, "%s: write failed", path);
	}
	return 0;
}
