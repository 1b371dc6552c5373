/* Control socket client (see ctl_client.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_client.h"

#define TIMEOUT_MS 10000

int
ctl_client_call(const char *path, const char *line, char *reply, size_t cap, char *err,
		size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t got = 0, len = strlen(line);
	char *nl = NULL;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		/* A running parnikd always listens: no file or no listener
		 * means no replica process.
		 */
		return fd >= 0 && (e == ENOENT || e == ECONNREFUSED) ? -2 : -1;
	}
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (got < cap - 1 && nl == NULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			break;
		n = read(fd, reply + got, cap - 1 - got);
		if (n <= 0)
			break;
		reply[got + (size_t)n] = 0;
		nl = strchr(reply + got, '\n');
		got += (size_t)n;
	}
	close(fd);
	if (nl == NULL) {
		snprintf(err, errlen, "%s: no answer", path);
		return -1;
	}
	*nl = 0;
	return 0;
}
