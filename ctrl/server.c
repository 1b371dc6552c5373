/* Control socket server (see server.h): a poll loop over the listening
 * socket, a wake-up pipe and the clients, all non-blocking.
 */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "server.h"

struct client {
	int fd;			/* -1: free slot */
	bool discarding;	/* skipping the rest of an over-long line */
	size_t in_len;
	char in[CTL_MAX_LINE + 1];
	char *out;		/* pending reply bytes */
	size_t out_len;
	size_t out_off;
	time_t last_active;
};

struct ctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int wake[2];
	pthread_t thread;
	struct ctl_host host;
	struct client clients[CTL_MAX_CLIENTS];
	char reply[CTL_REPLY_MAX];
	struct ctl_server_stats stats;	/* written by the thread; read with atomics */
};

#define BUMP(s, f) __atomic_fetch_add(&(s)->stats.f, 1, __ATOMIC_RELAXED)

static void
client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->in_len = 0;
	c->discarding = false;
}

/* Queues <len> bytes and a newline; false when the client is too far
 * behind (its pending replies would pass CTL_REPLY_MAX * 2).
 */
static bool
client_queue(struct client *c, const char *data, size_t len)
{
	size_t pending = c->out_len - c->out_off;
	char *grown;

	if (pending + len + 1 > 2 * CTL_REPLY_MAX)
		return false;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	grown = realloc(c->out, c->out_len + len + 1);
	if (grown == NULL)
		return false;
	c->out = grown;
	memcpy(c->out + c->out_len, data, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return true;
}

static void
client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a client gone before its reply must not raise
		 * SIGPIPE, which would kill the whole replica.
		 */
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);

		if (n <= 0)
			return;	/* EAGAIN: poll says when; errors: the read side sees them */
		c->out_off += (size_t)n;
	}
}

static bool
reply(struct ctl_server *s, struct client *c, const char *line)
{
	size_t len = ctl_command_run(&s->host, line, s->reply, sizeof(s->reply));

	BUMP(s, commands);
	if (strncmp(s->reply, "{\"ok\":false", 11) == 0)
		BUMP(s, errors);
	if (!client_queue(c, s->reply, len)) {
		BUMP(s, slow_clients);
		return false;
	}
	return true;
}

/* Handles what arrived; false when the client is to be closed. */
static bool
client_read(struct ctl_server *s, struct client *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len, CTL_MAX_LINE - c->in_len);
		size_t start = 0;

		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		c->in_len += (size_t)n;
		for (size_t i = 0; i < c->in_len; i++) {
			if (c->in[i] != '\n')
				continue;
			c->in[i] = 0;
			if (!c->discarding && !reply(s, c, c->in + start))
				return false;
			c->discarding = false;
			start = i + 1;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len == CTL_MAX_LINE) {
			/* No newline in a whole buffer: refuse the line once,
			 * then skip it up to its newline.
			 */
			if (!c->discarding) {
				static const char msg[] =
					"{\"ok\":false,\"error\":\"line too long (max 4096 bytes)\"}";

				BUMP(s, long_lines);
				BUMP(s, errors);
				if (!client_queue(c, msg, sizeof(msg) - 1))
					return false;
			}
			c->discarding = true;
			c->in_len = 0;
		}
	}
}

static void
accept_clients(struct ctl_server *s, time_t now)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *slot = NULL;

		if (fd < 0)
			return;
		for (unsigned int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (s->clients[i].fd < 0) {
				slot = &s->clients[i];
				break;
			}
		if (slot == NULL) {
			static const char msg[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			BUMP(s, refused);
			(void)!send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		BUMP(s, connections);
		slot->fd = fd;
		slot->last_active = now;
	}
}

static void *
serve(void *arg)
{
	struct ctl_server *s = arg;
	struct pollfd pfd[CTL_MAX_CLIENTS + 2];
	int map[CTL_MAX_CLIENTS + 2];

	if (s->host.thread_begin != NULL)
		s->host.thread_begin(s->host.ctx);
	for (;;) {
		nfds_t n = 2;
		time_t now;

		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct client *c = &s->clients[i];

			if (c->fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			if (c->out_off < c->out_len)
				pfd[n].events |= POLLOUT;
			map[n++] = i;
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents != 0)
			break;
		now = time(NULL);
		if (pfd[1].revents & POLLIN)
			accept_clients(s, now);
		for (nfds_t k = 2; k < n; k++) {
			struct client *c = &s->clients[map[k]];
			bool keep = true;

			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				c->last_active = now;
				keep = client_read(s, c);
			}
			if (keep)
				client_flush(c);
			if (keep && now - c->last_active > CTL_IDLE_SECONDS) {
				BUMP(s, idle_closed);
				keep = false;
			}
			if (!keep) {
				client_close(c);
				BUMP(s, closed);
			}
		}
	}
	if (s->host.thread_end != NULL)
		s->host.thread_end(s->host.ctx);
	return NULL;
}

static int
make_dirs(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p != 0; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* The socket's directory must let nobody else replace the socket or
 * connect through a path they made: owned by us (or root), and not
 * writable by group or others unless sticky (like /tmp). Returns 0 or -1
 * with the reason in <err>.
 */
static int
check_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "control socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)) {
		snprintf(err, errlen,
			 "control socket directory %s is writable by others (mode %03o, owner "
			 "uid %u): anyone could replace the socket; use a private directory",
			 dir, (unsigned int)(st.st_mode & 0777), (unsigned int)st.st_uid);
		return -1;
	}
	return 0;
}

struct ctl_server *
ctl_server_start(const char *path, const struct ctl_host *host, char *err, size_t errlen)
{
	struct ctl_server *s;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	strcpy(addr.sun_path, path);
	s->host = *host;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || make_dirs(path) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (check_dir(path, err, errlen) != 0)
		goto fail;
	{
		/* Born private: bind creates the socket file with mode 0600
		 * under this umask, so there is no moment when others may
		 * connect (a chmod after bind leaves one). The EAL's threads
		 * make no files meanwhile; the umask is back at once.
		 */
		mode_t old_mask = umask(0177);
		int rc = (unlink(path) != 0 && errno != ENOENT) ? -1
			 : bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr));
		int saved = errno;

		umask(old_mask);
		errno = saved;
		if (rc != 0 || listen(s->listen_fd, 64) != 0 || pipe2(s->wake, O_CLOEXEC) != 0) {
			snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	if (pthread_create(&s->thread, NULL, serve, s) != 0) {
		snprintf(err, errlen, "control thread: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	free(s);
	return NULL;
}

void
ctl_server_stop(struct ctl_server *s)
{
	if (s == NULL)
		return;
	(void)!write(s->wake[1], "x", 1);
	pthread_join(s->thread, NULL);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(&s->clients[i]);
	close(s->listen_fd);
	close(s->wake[0]);
	close(s->wake[1]);
	unlink(s->path);
	free(s);
}

void
ctl_server_stats(const struct ctl_server *s, struct ctl_server_stats *out)
{
	const uint64_t *src = (const uint64_t *)&s->stats;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
