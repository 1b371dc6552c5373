/* Wake sources of a polling thread (see wake.h). */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "devargs.h"
#include "wake.h"

void
dp_wake_init(struct dp_wake *w)
{
	memset(w, 0, sizeof(*w));
	w->complete = true;
	w->epfd = -1;
}

/* The queue's Rx interrupt descriptor, or -1 if the PMD has none; ethdev logs an
 * error for every PMD that has none, which here is the common case and not
 * an error: the probe runs with ethdev's log quiet.
 */
static int
rx_intr_fd(uint16_t port, uint16_t q)
{
	int type = rte_log_register("lib.ethdev");
	int before = type >= 0 ? rte_log_get_level((uint32_t)type) : -1;
	int fd;

	if (type >= 0)
		(void)rte_log_set_level((uint32_t)type, RTE_LOG_CRIT);
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, q);
	if (type >= 0 && before >= 0)
		(void)rte_log_set_level((uint32_t)type, (uint32_t)before);
	return fd;
}

/* A packet socket that receives a copy of each IPv4 frame arriving on
 * <iface>, and nothing it sends. IPv4 only, not every protocol: the kernel
 * hands a frame to the every-protocol sockets (the PMD's among them) first,
 * so this copy comes after the PMD's ring has the frame, and a worker woken
 * by it finds the frame there. (ARP waits for the timer.) Its receive
 * buffer is the kernel's smallest: while the owner polls, the few copies it
 * holds stay unread and the kernel drops the rest before cloning them.
 */
static int
wake_socket(const char *iface)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int one = 1, small = 1;	/* the kernel rounds it up to its minimum */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex(iface);
	if (sll.sll_ifindex == 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what a wake socket holds: copies that came while the owner polled. */
static void
drain_socket(int fd)
{
	char buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) > 0)
		;
}

enum dp_wake_kind
dp_wake_add(struct dp_wake *w, struct dp_idle_state *idle, const struct dp_port *port,
	    uint16_t q)
{
	enum dp_wake_kind kind = DP_WAKE_NONE;
	char iface[IF_NAMESIZE];
	bool in_epoll = false;
	int fd = -1;

	if (w->n == DP_WAKE_MAX) {
		w->complete = false;
		return DP_WAKE_NONE;
	}
	if (dp_bell_present(&port->bell)) {
		if (dp_idle_watch(idle, dp_bell_fd(&port->bell, q), DP_IDLE_FD_DRAIN) == 0)
			kind = DP_WAKE_BELL;
	} else if (port->rx_intr && strcmp(port->driver, "net_tap") == 0 &&
		   (fd = rx_intr_fd(port->id, q)) >= 0) {
		/* net_tap's Rx interrupt is the queue's own descriptor, and the
		 * PMD reads it only after its SIGIO handler ran: watched edge-
		 * triggered (DPDK's epoll), a wake-up that came before the
		 * signal would be lost. Level-triggered, it holds until read.
		 */
		if (dp_idle_watch(idle, fd, DP_IDLE_FD_LEVEL) == 0)
			kind = DP_WAKE_RX_INTR;
		fd = -1;	/* the PMD's */
	} else if (port->rx_intr && rx_intr_fd(port->id, q) >= 0) {
		if (w->epfd < 0) {
			w->epfd = epoll_create1(EPOLL_CLOEXEC);
			if (w->epfd >= 0 && dp_idle_watch(idle, w->epfd, DP_IDLE_FD_RTE_EPOLL) != 0) {
				close(w->epfd);
				w->epfd = -1;
			}
		}
		if (w->epfd >= 0 &&
		    rte_eth_dev_rx_intr_ctl_q(port->id, q, w->epfd, RTE_INTR_EVENT_ADD, NULL) == 0) {
			kind = DP_WAKE_RX_INTR;
			in_epoll = true;
		}
	} else if (strcmp(port->driver, "net_af_packet") == 0 &&
		   dp_devarg(port->devargs, "iface", iface, sizeof(iface)) && iface[0] != 0 &&
		   (fd = wake_socket(iface)) >= 0) {
		if (dp_idle_watch(idle, fd, DP_IDLE_FD_DRAIN) == 0) {
			kind = DP_WAKE_SOCKET;
		} else {
			close(fd);
			fd = -1;
		}
	}
	w->src[w->n].fd = fd;
	w->src[w->n].in_epoll = in_epoll;
	w->src[w->n].port = port;
	w->src[w->n].q = q;
	w->src[w->n].kind = (uint8_t)kind;
	w->n++;
	if (kind == DP_WAKE_NONE)
		w->complete = false;
	return kind;
}

void
dp_wake_arm(struct dp_wake *w)
{
	if (w->armed)
		return;
	for (unsigned int i = 0; i < w->n; i++) {
		const struct dp_port *p = w->src[i].port;

		/* Stale bytes and copies would end the coming sleep at once. A
		 * byte read here was written after its frame was on the ring,
		 * which the caller's last look then sees.
		 */
		if (w->src[i].kind == DP_WAKE_BELL) {
			dp_bell_drain(&p->bell, w->src[i].q);
			dp_bell_arm(&p->bell, w->src[i].q);
		} else if (w->src[i].kind == DP_WAKE_RX_INTR) {
			(void)rte_eth_dev_rx_intr_enable(p->id, w->src[i].q);
		} else if (w->src[i].kind == DP_WAKE_SOCKET) {
			drain_socket(w->src[i].fd);
		}
	}
	/* Our words are stored before the caller's last look at the rings. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w->armed = true;
}

void
dp_wake_disarm(struct dp_wake *w)
{
	if (!w->armed)
		return;
	for (unsigned int i = 0; i < w->n; i++) {
		const struct dp_port *p = w->src[i].port;

		if (w->src[i].kind == DP_WAKE_BELL)
			dp_bell_disarm(&p->bell, w->src[i].q);
		else if (w->src[i].kind == DP_WAKE_RX_INTR)
			(void)rte_eth_dev_rx_intr_disable(p->id, w->src[i].q);
	}
	w->armed = false;
}

/* A doorbell wakes us if the other end rings it, or if there is no other
 * end (the link is down: no frame can come).
 */
static bool
bell_wakes(const struct dp_port *p)
{
	struct rte_eth_link link;

	if (dp_bell_peer_present(&p->bell))
		return true;
	memset(&link, 0, sizeof(link));
	return rte_eth_link_get_nowait(p->id, &link) == 0 && link.link_status == RTE_ETH_LINK_DOWN;
}

bool
dp_wake_on_arrival(const struct dp_wake *w)
{
	if (!w->complete)
		return false;
	for (unsigned int i = 0; i < w->n; i++)
		if (w->src[i].kind == DP_WAKE_BELL && !bell_wakes(w->src[i].port))
			return false;
	return true;
}

void
dp_wake_fini(struct dp_wake *w)
{
	dp_wake_disarm(w);
	for (unsigned int i = 0; i < w->n; i++) {
		if (w->src[i].fd >= 0)
			close(w->src[i].fd);
		if (w->src[i].in_epoll)
			(void)rte_eth_dev_rx_intr_ctl_q(w->src[i].port->id, w->src[i].q, w->epfd,
							RTE_INTR_EVENT_DEL, NULL);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
	w->n = 0;
}

enum dp_wake_kind
dp_wake_kind_of(const struct dp_wake *w, const struct dp_port *port)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (w->src[i].port == port)
			return (enum dp_wake_kind)w->src[i].kind;
	return DP_WAKE_NONE;
}

const char *
dp_wake_kind_name(enum dp_wake_kind k)
{
	switch (k) {
	case DP_WAKE_BELL:
		return "doorbell";
	case DP_WAKE_RX_INTR:
		return "rx interrupt";
	case DP_WAKE_SOCKET:
		return "packet socket";
	default:
		return "timer";
	}
}
