/* Control client (see ctl_client.h): the local socket, or the TCP control
 * port with every line sealed (channel.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "channel.h"
#include "ctl_client.h"

#define TIMEOUT_MS 10000
#define CONNECT_MS 3000
#define TCP_PREFIX "tcp://"

static uint8_t secret[CTL_CHAN_SECRET_LEN];
static bool have_secret;

void
ctl_client_set_key(const uint8_t key[32])
{
	memcpy(secret, key, sizeof(secret));
	have_secret = true;
}

/* Connects to the Unix socket <path>; -2 when nothing listens there. */
static int
connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
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
	return fd;
}

/* connect() that gives up after <ms>: a host that is down for good would
 * otherwise hold parnikctl for the kernel's SYN retries (minutes).
 */
static int
connect_within(int fd, const struct sockaddr *a, socklen_t len, int ms)
{
	int flags = fcntl(fd, F_GETFL), e = 0;
	socklen_t elen = sizeof(e);
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return -1;
	if (connect(fd, a, len) != 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&p, 1, ms) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
			errno = e != 0 ? e : EIO;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);	/* blocking again: poll() guards each read */
}

/* Connects to "tcp://HOST:PORT"; -2 when the host refuses (no listener). */
static int
connect_tcp(const char *url, char *err, size_t errlen)
{
	char host[256];
	const char *hp = url + strlen(TCP_PREFIX), *colon = strrchr(hp, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *p;
	int fd = -1, rc, e = 0;

	if (colon == NULL || colon == hp || (size_t)(colon - hp) >= sizeof(host) ||
	    colon[1] == 0) {
		snprintf(err, errlen, "%s: expected tcp://HOST:PORT", url);
		return -1;
	}
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = 0;
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", url, gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd >= 0 && connect_within(fd, p->ai_addr, p->ai_addrlen, CONNECT_MS) == 0)
			break;
		e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		/* Refused: the host runs and nothing listens on the port, so
		 * no replica runs there (as for a socket file without a
		 * listener). Unreachable or silent: unknown, and so an error.
		 */
		if (e == ECONNREFUSED)
			snprintf(err, errlen, "%s: connection refused (no replica listens there)", url);
		else
			snprintf(err, errlen, "%s: %s%s", url, e == ETIMEDOUT ? "no answer to connect in "
				 "3 s" : strerror(e), " (a host down for good: leave it out of -s)");
		return e == ECONNREFUSED ? -2 : -1;
	}
	return fd;
}

/* Reads one line into <buf> (<cap> bytes, NUL-terminated, newline
 * removed). The peer sends nothing past it before our next line, so
 * nothing is read beyond. 0, or -1 (closed, timed out, too long).
 */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			return -1;
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0)
			return -1;
		buf[got + (size_t)n] = 0;
		nl = strchr(buf + got, '\n');
		got += (size_t)n;
		if (nl != NULL) {
			*nl = 0;
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = 0;
			return 0;
		}
	}
	return -1;
}

static bool
send_line(int fd, const char *line, size_t len)
{
	return send(fd, line, len, MSG_NOSIGNAL) == (ssize_t)len &&
	       send(fd, "\n", 1, MSG_NOSIGNAL) == 1;
}

/* The greeting, then <line> sealed and the reply opened. */
static int
call_sealed(int fd, const char *url, const char *line, char *reply, size_t cap, char *err,
	    size_t errlen)
{
	char greeting[128], nonce_hex[2 * CTL_CHAN_NONCE_LEN + 1];
	uint8_t server_nonce[CTL_CHAN_NONCE_LEN], client_nonce[CTL_CHAN_NONCE_LEN];
	size_t big = ctl_channel_sealed_len(cap) + 64;
	char *sealed = malloc(big > 8192 ? big : 8192);
	struct ctl_channel ch;
	size_t len;
	int rc = -1;

	if (sealed == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_line(fd, greeting, sizeof(greeting)) != 0 ||
	    strncmp(greeting, CTL_CHAN_GREETING, sizeof(CTL_CHAN_GREETING) - 1) != 0 ||
	    !ctl_channel_nonce_parse(greeting + sizeof(CTL_CHAN_GREETING) - 1, server_nonce)) {
		snprintf(err, errlen, "%s: closed or silent before the Parnik control greeting (too "
			 "many control connections, or not a --control-listen port)", url);
		goto out;
	}
	randombytes_buf(client_nonce, sizeof(client_nonce));
	ctl_channel_init(&ch, secret, server_nonce, client_nonce, false);
	ctl_channel_nonce_hex(client_nonce, nonce_hex);
	len = ctl_channel_seal(&ch, line, strlen(line), sealed, big);
	if (len == 0 || !send_line(fd, nonce_hex, strlen(nonce_hex)) ||
	    !send_line(fd, sealed, len)) {
		snprintf(err, errlen, "%s: write: %s", url, len == 0 ? "command too long"
			 : strerror(errno));
		goto out;
	}
	if (read_line(fd, sealed, big) != 0) {
		snprintf(err, errlen, "%s: the replica closed the connection without an answer: it "
			 "does not hold this control key (--control-key), or the line was damaged",
			 url);
		goto out;
	}
	if (ctl_channel_open(&ch, sealed, strlen(sealed), reply, cap) < 0) {
		snprintf(err, errlen, "%s: a reply that does not open under the control key "
			 "(forged or damaged)", url);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(&ch, sizeof(ch));
	free(sealed);
	return rc;
}

int
ctl_client_call(const char *path, const char *line, char *reply, size_t cap, char *err,
		size_t errlen)
{
	bool tcp = strncmp(path, TCP_PREFIX, strlen(TCP_PREFIX)) == 0;
	int fd, rc;

	if (tcp && !have_secret) {
		snprintf(err, errlen, "%s: a TCP control port needs --control-key FILE (or "
			 "PARNIKCTL_CONTROL_KEY)", path);
		return -1;
	}
	if (tcp && !ctl_channel_ready()) {
		snprintf(err, errlen, "libsodium does not start");
		return -1;
	}
	fd = tcp ? connect_tcp(path, err, errlen) : connect_unix(path, err, errlen);
	if (fd < 0)
		return fd;
	if (tcp) {
		rc = call_sealed(fd, path, line, reply, cap, err, errlen);
	} else if (!send_line(fd, line, strlen(line))) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		rc = -1;
	} else {
		rc = read_line(fd, reply, cap);
		if (rc != 0)
			snprintf(err, errlen, "%s: no answer", path);
	}
	close(fd);
	return rc;
}
