/* libparnik's default transport: one nonblocking kernel UDP socket on an
 * ephemeral port, sending and receiving up to MMSG_BATCH datagrams per
 * system call (sendmmsg / recvmmsg). See include/parnik/transport.h.
 */
#define _GNU_SOURCE /* sendmmsg, recvmmsg, ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "parnik/transport.h"
#include "parnik/wire.h"

/* Datagrams sent or received per system call. */
#define MMSG_BATCH 32
/* Room for one received datagram: a reply never exceeds PK_MAX_DGRAM; a
 * larger one is truncated and dropped here.
 */
#define DGRAM_ROOM 2048

struct udp_transport {
	struct pk_transport t;	/* first: the client holds a pointer to it */
	int fd;
	struct mmsghdr msgs[MMSG_BATCH];
	struct iovec iov[MMSG_BATCH];
	struct sockaddr_in to[MMSG_BATCH];
	uint8_t rx[MMSG_BATCH][DGRAM_ROOM];
};

/* Sends <n> prepared messages in as few calls as the kernel allows; one it
 * refuses (a full socket buffer, an ICMP error) is skipped as lost.
 */
static int
send_prepared(struct udp_transport *u, unsigned int n)
{
	unsigned int sent = 0;

	while (sent < n) {
		int k = sendmmsg(u->fd, u->msgs + sent, n - sent, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
				return -1;
			k = 1;
		}
		sent += (unsigned int)k;
	}
	return 0;
}

static int
udp_send(struct pk_transport *t, const struct pk_dgram *d, unsigned int n)
{
	struct udp_transport *u = (struct udp_transport *)t;

	for (unsigned int done = 0; done < n;) {
		unsigned int k = n - done < MMSG_BATCH ? n - done : MMSG_BATCH;

		for (unsigned int i = 0; i < k; i++) {
			const struct pk_dgram *g = &d[done + i];

			u->to[i] = (struct sockaddr_in){ .sin_family = AF_INET,
							 .sin_port = htons(g->port),
							 .sin_addr = { .s_addr = g->ip } };
			u->iov[i] = (struct iovec){ .iov_base = (void *)g->data, .iov_len = g->len };
			u->msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &u->to[i],
								    .msg_namelen = sizeof(u->to[i]),
								    .msg_iov = &u->iov[i],
								    .msg_iovlen = 1 } };
		}
		if (send_prepared(u, k) != 0)
			return -1;
		done += k;
	}
	return 0;
}

static int
udp_receive(struct pk_transport *t, pk_deliver_fn deliver, void *arg)
{
	struct udp_transport *u = (struct udp_transport *)t;

	for (;;) {
		int n;

		for (unsigned int i = 0; i < MMSG_BATCH; i++) {
			u->iov[i] = (struct iovec){ .iov_base = u->rx[i], .iov_len = DGRAM_ROOM };
			u->msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &u->iov[i],
								    .msg_iovlen = 1 } };
		}
		n = recvmmsg(u->fd, u->msgs, MMSG_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return 0;	/* EAGAIN, or an ICMP error on a dead port: timeouts cover it */
		for (int i = 0; i < n; i++)
			if (!(u->msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
				deliver(arg, u->rx[i], u->msgs[i].msg_len);
		if (n < MMSG_BATCH)
			return 0;
	}
}

static int
udp_wait(struct pk_transport *t, uint64_t timeout_us)
{
	struct udp_transport *u = (struct udp_transport *)t;
	struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)(timeout_us / 1000000u),
			       .tv_nsec = (long)(timeout_us % 1000000u) * 1000 };

	if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
		return -1;
	return 0;
}

static void
udp_close(struct pk_transport *t)
{
	struct udp_transport *u = (struct udp_transport *)t;

	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

struct pk_transport *
pk_udp_transport_open(void *unused, char *err, size_t errlen)
{
	struct udp_transport *u = calloc(1, sizeof(*u));
	struct sockaddr_in any = { .sin_family = AF_INET };

	(void)unused;
	if (u == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->t = (struct pk_transport){ .send = udp_send, .receive = udp_receive,
				      .wait = udp_wait, .close = udp_close };
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || bind(u->fd, (struct sockaddr *)&any, sizeof(any)) != 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		udp_close(&u->t);
		return NULL;
	}
	return &u->t;
}
