/* Control socket server (see server.h): a poll loop over the listening
 * socket, a wake-up pipe and the clients, all non-blocking.
 */
#define _GNU_SOURCE	/* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "channel.h"
#include "clock.h"
#include "commands.h"
#include "server.h"

/* What a connection came in through. */
enum client_kind {
	K_UNIX,		/* the control socket: trusted by its file mode */
	K_TCP,		/* --control-listen: sealed lines only (channel.h) */
	K_HTTP,		/* --metrics: one GET, one answer */
	K_COUNT,
};

/* How many connections of each kind at once, and how long each may stay
 * silent: a flood of metrics or TCP connections never takes the slots of
 * the local control socket, and a client that never finishes its greeting
 * or request is gone after CTL_HANDSHAKE_SECONDS.
 */
static const unsigned int max_of_kind[K_COUNT] = { CTL_MAX_CLIENTS, CTL_MAX_TCP_CLIENTS,
						   CTL_MAX_HTTP_CLIENTS };
#define CTL_ALL_CLIENTS (CTL_MAX_CLIENTS + CTL_MAX_TCP_CLIENTS + CTL_MAX_HTTP_CLIENTS)

struct client {
	int fd;			/* -1: free slot */
	uint8_t kind;		/* enum client_kind */
	bool open;		/* K_TCP: the client's nonce came, lines are sealed */
	bool authed;		/* K_TCP: a sealed line opened (it holds the key) */
	bool closing;		/* answered or refused: read nothing more, close once sent */
	bool eof;		/* the client closed its side: close once sent */
	bool discarding;	/* skipping the rest of an over-long line */
	size_t in_len;
	char in[CTL_MAX_LINE + 1];
	char *out;		/* pending reply bytes */
	size_t out_len;
	size_t out_off;
	time_t last_active;	/* monotonic s (pk_mono_s): the last complete line or request */
	time_t opened;
	struct sockaddr_storage from;	/* K_TCP, K_HTTP: the client's address */
	uint8_t server_nonce[CTL_CHAN_NONCE_LEN];
	struct ctl_channel chan;
};

struct listener {
	int fd;			/* -1: not listening */
	uint8_t kind;
};

struct ctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct listener ls[K_COUNT];
	int wake[2];
	pthread_t thread;
	struct ctl_host host;
	struct ctl_host commands_host;	/* <host>, its metrics through command_metrics */
	uint8_t secret[CTL_CHAN_SECRET_LEN];	/* the control key's secret (K_TCP) */
	struct client clients[CTL_ALL_CLIENTS];
	char reply[CTL_REPLY_MAX];
	char sealed[CTL_REPLY_MAX * 4 / 3 + 64];	/* a reply sealed for K_TCP */
	char metrics[CTL_METRICS_MAX];
	time_t warned_at;	/* the last authentication failure told to the host */
	uint64_t unwarned;	/* failures since, not told */
	size_t metrics_len;	/* the last rendering, reused for CTL_TICK_MS */
	uint64_t metrics_ms;
	struct ctl_server_stats stats;	/* written by the thread; read with atomics */
};

#define BUMP(s, f) __atomic_fetch_add(&(s)->stats.f, 1, __ATOMIC_RELAXED)

/* The exposition: the host's, then the control server's own counters.
 * Rendered at most once per CTL_TICK_MS: scrapes in a burst cost one.
 */
static size_t
metrics_text(struct ctl_server *s)
{
	uint64_t now_ms = pk_mono_ns() / 1000000u;
	size_t len;
	struct ctl_server_stats st;

	if (s->metrics_len > 0 && now_ms - s->metrics_ms < CTL_TICK_MS)
		return s->metrics_len;
	s->metrics_len = 0;
	if (s->host.metrics == NULL ||
	    (len = s->host.metrics(s->host.ctx, s->metrics, sizeof(s->metrics))) == 0)
		return 0;
	ctl_server_stats(s, &st);
#define PUT(name, help, v)                                                                  \
	if (len < sizeof(s->metrics))                                                       \
		len += (size_t)snprintf(s->metrics + len, sizeof(s->metrics) - len,          \
					"# HELP parnik_control_" name "_total " help "\n"           \
					"# TYPE parnik_control_" name "_total counter\n"            \
					"parnik_control_" name "_total %llu\n",                     \
					(unsigned long long)(v));
	PUT("connections", "connections accepted (control socket, TCP port, metrics port)",
	    st.connections)
	PUT("refused", "connections refused: too many of their kind or from their host",
	    st.refused)
	PUT("commands", "control commands run", st.commands)
	PUT("auth_failures", "TCP control connections closed: bad nonce or a line that did "
	    "not open under the control key", st.auth_failures)
	PUT("timed_out", "connections closed idle or past their greeting's deadline",
	    st.idle_closed)
	PUT("long_lines", "lines or requests over the size limit", st.long_lines)
	PUT("http_requests", "metrics requests answered", st.http_requests)
#undef PUT
	if (len >= sizeof(s->metrics))
		return 0;
	s->metrics_len = len;
	s->metrics_ms = now_ms;
	return len;
}

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
	c->open = false;
	c->authed = false;
	c->closing = false;
	c->eof = false;
	sodium_memzero(&c->chan, sizeof(c->chan));
}

/* Queues <len> bytes (and a newline when <line>); false when the client is
 * too far behind (its pending bytes would pass CTL_REPLY_MAX * 2).
 */
static bool
client_put(struct client *c, const char *data, size_t len, bool line)
{
	size_t pending = c->out_len - c->out_off, more = len + (line ? 1 : 0);
	char *grown;

	if (pending + more > 2 * CTL_REPLY_MAX)
		return false;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	grown = realloc(c->out, c->out_len + more);
	if (grown == NULL)
		return false;
	c->out = grown;
	memcpy(c->out + c->out_len, data, len);
	if (line)
		c->out[c->out_len + len] = '\n';
	c->out_len += more;
	return true;
}

/* A reply line: <len> bytes and a newline. */
static bool
client_queue(struct client *c, const char *data, size_t len)
{
	return client_put(c, data, len, true);
}

/* Sends what is pending; false when the client is gone (nothing more can
 * reach it).
 */
static bool
client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a client gone before its reply must not raise
		 * SIGPIPE, which would kill the whole replica.
		 */
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return true;	/* poll says when */
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	return true;
}

/* The server this control thread runs: the `metrics` command (commands.c)
 * reaches metrics_text through it, so the command and the HTTP endpoint
 * serve one text, the server's own counters included.
 */
static __thread struct ctl_server *serving;

static size_t
command_metrics(void *ctx, char *buf, size_t cap)
{
	size_t len = metrics_text(serving);

	(void)ctx;
	if (len == 0 || len >= cap)
		return 0;
	memcpy(buf, serving->metrics, len + 1);
	return len;
}

static bool
reply(struct ctl_server *s, struct client *c, const char *line)
{
	size_t len = ctl_command_run(&s->commands_host, line, s->reply, sizeof(s->reply));
	const char *out = s->reply;

	BUMP(s, commands);
	if (strncmp(s->reply, "{\"ok\":false", 11) == 0)
		BUMP(s, errors);
	if (c->kind == K_TCP) {
		len = ctl_channel_seal(&c->chan, s->reply, len, s->sealed, sizeof(s->sealed));
		out = s->sealed;
		if (len == 0)
			return false;
	}
	if (!client_queue(c, out, len)) {
		BUMP(s, slow_clients);
		return false;
	}
	return true;
}

/* Counts a TCP client that failed to authenticate and tells the host who
 * it was: one line a second at most, with how many more were not told.
 */
static void
auth_failed(struct ctl_server *s, struct client *c, const char *why)
{
	char addr[INET6_ADDRSTRLEN] = "?", msg[192];
	time_t now = (time_t)pk_mono_s();

	BUMP(s, auth_failures);
	if (s->host.warn == NULL)
		return;
	if (now == s->warned_at) {
		s->unwarned++;
		return;
	}
	if (c->from.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&c->from)->sin_addr, addr, sizeof(addr));
	else if (c->from.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&c->from)->sin6_addr, addr,
			  sizeof(addr));
	snprintf(msg, sizeof(msg), "TCP control client %s refused: %s%s", addr, why,
		 s->unwarned > 0 ? " (and earlier refusals not logged)" : "");
	s->warned_at = now;
	s->unwarned = 0;
	s->host.warn(s->host.ctx, msg);
}

/* A TCP client's line: its nonce first, then sealed commands. Anything
 * that does not open under the session key ends the connection, with no
 * answer but a plain refusal to a greeting gone wrong.
 */
static bool
tcp_line(struct ctl_server *s, struct client *c, const char *line)
{
	static char plain[CTL_MAX_LINE + 1];
	uint8_t client_nonce[CTL_CHAN_NONCE_LEN];
	long n;

	if (!c->open) {
		if (!ctl_channel_nonce_parse(line, client_nonce)) {
			static const char msg[] = "{\"ok\":false,\"error\":\"expected the client "
						  "nonce (parnikctl -s tcp://HOST:PORT --control-key "
						  "FILE)\"}";

			auth_failed(s, c, "no client nonce");
			(void)client_queue(c, msg, sizeof(msg) - 1);
			c->closing = true;
			return true;
		}
		ctl_channel_init(&c->chan, s->secret, c->server_nonce, client_nonce, true);
		c->open = true;
		return true;
	}
	n = ctl_channel_open(&c->chan, line, strlen(line), plain, sizeof(plain));
	if (n < 0) {
		auth_failed(s, c, c->authed ? "a line that does not open (damaged, replayed or forged)"
					    : "no line opens under the control key (a wrong key?)");
		return false;
	}
	c->authed = true;
	return reply(s, c, plain);
}

/* A complete line from a client of the control socket or the TCP port. */
static bool
line_in(struct ctl_server *s, struct client *c, const char *line)
{
	if (c->closing)
		return true;	/* past a refusal: nothing more is read */
	return c->kind == K_TCP ? tcp_line(s, c, line) : reply(s, c, line);
}

/* The metrics endpoint: GET /metrics answered, the rest refused, then the
 * connection closes (HTTP/1.0 style, no keep-alive).
 */
static void
http_answer(struct ctl_server *s, struct client *c, const char *request)
{
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	static const char not_allowed[] = "only GET is served here\n";
	char head[320];
	const char *status = "200 OK", *body = s->metrics;
	size_t body_len = 0;
	int n;

	BUMP(s, http_requests);
	c->last_active = (time_t)pk_mono_s();
	if (strncmp(request, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
		body = not_allowed;
		body_len = sizeof(not_allowed) - 1;
	} else if (strncmp(request + 4, "/metrics", 8) != 0 ||
		   (request[12] != ' ' && request[12] != '?' && request[12] != '\r' &&
		    request[12] != '\n' && request[12] != 0)) {
		status = "404 Not Found";
		body = not_found;
		body_len = sizeof(not_found) - 1;
	} else if ((body_len = metrics_text(s)) == 0) {
		status = "500 Internal Server Error";
		body = "metrics too large\n";
		body_len = strlen(body);
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status, body_len,
		     body == not_allowed ? "Allow: GET\r\n" : "");
	if (client_put(c, head, (size_t)n, false))
		(void)client_put(c, body, body_len, false);
	c->closing = true;
}

/* What arrived for an HTTP client: answered once its headers are whole
 * (the blank line), refused past CTL_MAX_LINE bytes.
 */
static void
http_take(struct ctl_server *s, struct client *c)
{
	c->in[c->in_len] = 0;
	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL) {
		http_answer(s, c, c->in);
	} else if (c->in_len == CTL_MAX_LINE) {
		static const char msg[] = "HTTP/1.0 431 Request Header Fields Too Large\r\n"
					  "Connection: close\r\n\r\n";

		BUMP(s, long_lines);
		(void)client_put(c, msg, sizeof(msg) - 1, false);
		c->closing = true;
	}
}

/* What arrived for a client of the control socket or the TCP port: each
 * complete line handled; false when the client is to be closed now.
 */
static bool
lines_take(struct ctl_server *s, struct client *c)
{
	size_t start = 0;

	for (size_t i = 0; i < c->in_len; i++) {
		if (c->in[i] != '\n')
			continue;
		c->in[i] = 0;
		if (i > start && c->in[i - 1] == '\r')
			c->in[i - 1] = 0;	/* telnet, nc -C */
		if (!c->discarding && !c->closing) {
			c->last_active = (time_t)pk_mono_s();
			if (!line_in(s, c, c->in + start))
				return false;
		}
		c->discarding = false;
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == CTL_MAX_LINE) {
		/* No newline in a whole buffer: refuse the line once, then
		 * skip it up to its newline.
		 */
		if (c->kind == K_TCP) {
			BUMP(s, long_lines);
			return false;	/* no sealed line is this long */
		}
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
	return true;
}

/* Reads what a client sent, at most CTL_READS_PER_WAKE times per wake-up
 * so that no client holds the thread; false when it is to be closed now.
 * A client at its end of input (eof), answered or refused (closing) is
 * not read again and is kept until what it is owed has gone.
 */
static bool
client_read(struct ctl_server *s, struct client *c)
{
	for (int k = 0; k < CTL_READS_PER_WAKE && !c->closing && !c->eof; k++) {
		ssize_t n = read(c->fd, c->in + c->in_len, CTL_MAX_LINE - c->in_len);

		if (n == 0)
			c->eof = true;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		if (n <= 0)
			return true;
		c->in_len += (size_t)n;
		if (c->kind == K_HTTP)
			http_take(s, c);
		else if (!lines_take(s, c))
			return false;
	}
	return true;
}

/* Whether two client addresses are the same host (the port aside). */
static bool
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

static void
accept_clients(struct ctl_server *s, const struct listener *l, time_t now)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		int fd = accept4(l->fd, (struct sockaddr *)&from, &from_len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *slot = NULL;
		unsigned int same = 0, same_source = 0;

		if (fd < 0)
			return;
		for (unsigned int i = 0; i < CTL_ALL_CLIENTS; i++) {
			const struct client *c = &s->clients[i];

			if (c->fd >= 0) {
				same += c->kind == l->kind;
				same_source += c->kind == l->kind && l->kind != K_UNIX &&
					       same_host(&c->from, &from);
			} else if (slot == NULL) {
				slot = &s->clients[i];
			}
		}
		/* One host may not take every slot of a port: the others' share
		 * stays, whatever it opens.
		 */
		if (slot == NULL || same >= max_of_kind[l->kind] ||
		    same_source >= CTL_MAX_PER_SOURCE) {
			static const char msg[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			BUMP(s, refused);
			if (l->kind == K_UNIX)
				(void)!send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		BUMP(s, connections);
		slot->fd = fd;
		slot->kind = l->kind;
		slot->from = from;
		slot->last_active = slot->opened = now;
		if (l->kind == K_TCP) {
			char hello[sizeof(CTL_CHAN_GREETING) + 2 * CTL_CHAN_NONCE_LEN];

			randombytes_buf(slot->server_nonce, sizeof(slot->server_nonce));
			memcpy(hello, CTL_CHAN_GREETING, sizeof(CTL_CHAN_GREETING) - 1);
			ctl_channel_nonce_hex(slot->server_nonce,
					      hello + sizeof(CTL_CHAN_GREETING) - 1);
			(void)client_queue(slot, hello, strlen(hello));
		}
	}
}

/* Whether <c> has been quiet, or half-way through its greeting or request,
 * too long.
 */
static bool
overstayed(const struct client *c, time_t now)
{
	/* Until a sealed line opens, a TCP client has proved nothing: the
	 * nonce line needs no key.
	 */
	if (((c->kind == K_HTTP && !c->closing) || (c->kind == K_TCP && !c->authed)) &&
	    now - c->opened > CTL_HANDSHAKE_SECONDS)
		return true;	/* (an answer on its way has the idle timeout to go) */
	return now - c->last_active > CTL_IDLE_SECONDS;
}

static void *
serve(void *arg)
{
	struct ctl_server *s = arg;
	struct pollfd pfd[CTL_ALL_CLIENTS + 1 + K_COUNT];
	int map[CTL_ALL_CLIENTS + 1 + K_COUNT];

	serving = s;
	if (s->host.thread_begin != NULL)
		s->host.thread_begin(s->host.ctx);
	for (;;) {
		nfds_t n = 1 + K_COUNT;
		time_t now;

		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		for (int k = 0; k < K_COUNT; k++)	/* fd -1: poll skips it */
			pfd[1 + k] = (struct pollfd){ .fd = s->ls[k].fd, .events = POLLIN };
		for (int i = 0; i < CTL_ALL_CLIENTS; i++) {
			struct client *c = &s->clients[i];

			if (c->fd < 0)
				continue;
			/* Answered, refused or at its end: only what it is owed goes out. */
			pfd[n] = (struct pollfd){ .fd = c->fd,
						  .events = c->closing || c->eof ? 0 : POLLIN };
			if (c->out_off < c->out_len)
				pfd[n].events |= POLLOUT;
			map[n++] = i;
		}
		if (poll(pfd, n, CTL_TICK_MS) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents != 0)
			break;
		now = (time_t)pk_mono_s();
		for (int k = 0; k < K_COUNT; k++)
			if (pfd[1 + k].revents & POLLIN)
				accept_clients(s, &s->ls[k], now);
		for (nfds_t k = 1 + K_COUNT; k < n; k++) {
			struct client *c = &s->clients[map[k]];
			bool keep = true;

			if ((pfd[k].revents & POLLIN) != 0 ||
			    ((pfd[k].revents & (POLLHUP | POLLERR)) != 0 && !c->closing && !c->eof))
				keep = client_read(s, c);
			if (keep)
				keep = client_flush(c);
			if (keep && (c->closing || c->eof) && c->out_off == c->out_len)
				keep = false;	/* all it is owed is sent */
			/* Hung up both ways, or broken: nothing more gets through. */
			if (keep && (pfd[k].revents & (POLLERR | POLLHUP)) != 0 &&
			    (c->closing || c->eof || (pfd[k].revents & POLLERR) != 0))
				keep = false;
			if (keep && overstayed(c, now)) {
				BUMP(s, idle_closed);
				keep = false;
			}
			if (!keep) {
				client_close(c);
				BUMP(s, closed);
			}
		}
		if (s->host.tick != NULL)
			s->host.tick(s->host.ctx);
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

/* A TCP listener on <ip>:<port> (network order ip, host order port). */
static int
tcp_listen(uint32_t ip, uint16_t port, const char *what, char *err, size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = ip,
				 .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char addr[INET_ADDRSTRLEN];

	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 64) == 0)
		return fd;
	inet_ntop(AF_INET, &ip, addr, sizeof(addr));
	snprintf(err, errlen, "%s %s:%u: %s", what, addr, port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The control socket file: private from birth. */
static int
unix_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || make_dirs(path) != 0) {
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
			 : bind(fd, (struct sockaddr *)&addr, sizeof(addr));
		int saved = errno;

		umask(old_mask);
		errno = saved;
		if (rc != 0 || listen(fd, 64) != 0) {
			snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void
close_listeners(struct ctl_server *s)
{
	for (int k = 0; k < K_COUNT; k++)
		if (s->ls[k].fd >= 0) {
			close(s->ls[k].fd);
			s->ls[k].fd = -1;
		}
}

struct ctl_server *
ctl_server_start_with(const struct ctl_server_config *cfg, const struct ctl_host *host,
		      char *err, size_t errlen)
{
	struct ctl_server *s;

	if (cfg->control_port != 0 && cfg->control_secret == NULL) {
		snprintf(err, errlen, "a TCP control port needs a control key");
		return NULL;
	}
	if (cfg->control_port != 0 && !ctl_channel_ready()) {
		snprintf(err, errlen, "libsodium does not start: no TCP control port");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(s->path, sizeof(s->path), "%s", cfg->path);
	s->host = *host;
	s->commands_host = *host;
	if (host->metrics != NULL)
		s->commands_host.metrics = command_metrics;
	for (int i = 0; i < CTL_ALL_CLIENTS; i++)
		s->clients[i].fd = -1;
	for (int k = 0; k < K_COUNT; k++)
		s->ls[k] = (struct listener){ .fd = -1, .kind = (uint8_t)k };
	if (cfg->control_secret != NULL)
		memcpy(s->secret, cfg->control_secret, sizeof(s->secret));
	s->wake[0] = s->wake[1] = -1;
	s->ls[K_UNIX].fd = unix_listen(cfg->path, err, errlen);
	if (s->ls[K_UNIX].fd < 0)
		goto fail;
	if (cfg->control_port != 0 &&
	    (s->ls[K_TCP].fd = tcp_listen(cfg->control_ip, cfg->control_port,
					  "control listener", err, errlen)) < 0)
		goto fail_unlink;
	if (cfg->metrics_port != 0 &&
	    (s->ls[K_HTTP].fd = tcp_listen(cfg->metrics_ip, cfg->metrics_port,
					   "metrics listener", err, errlen)) < 0)
		goto fail_unlink;
	if (pipe2(s->wake, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "control thread pipe: %s", strerror(errno));
		goto fail_unlink;
	}
	if (pthread_create(&s->thread, NULL, serve, s) != 0) {
		snprintf(err, errlen, "control thread: %s", strerror(errno));
		goto fail_unlink;
	}
	return s;
fail_unlink:
	unlink(s->path);
fail:
	close_listeners(s);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	sodium_memzero(s->secret, sizeof(s->secret));
	free(s);
	return NULL;
}

struct ctl_server *
ctl_server_start(const char *path, const struct ctl_host *host, char *err, size_t errlen)
{
	const struct ctl_server_config cfg = { .path = path };

	return ctl_server_start_with(&cfg, host, err, errlen);
}

void
ctl_server_stop(struct ctl_server *s)
{
	if (s == NULL)
		return;
	(void)!write(s->wake[1], "x", 1);
	pthread_join(s->thread, NULL);
	for (int i = 0; i < CTL_ALL_CLIENTS; i++)
		client_close(&s->clients[i]);
	close_listeners(s);
	close(s->wake[0]);
	close(s->wake[1]);
	unlink(s->path);
	sodium_memzero(s->secret, sizeof(s->secret));
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
