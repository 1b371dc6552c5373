/* Loopback cluster fixture (see udp_cluster.h): one thread polls every
 * replica's sockets, steps the core, and sends its outbox as datagrams.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "heap.h"
#include "parnik/worker.h"
#include "udp_cluster.h"

#define MAX_NODES 5
#define MAX_PARTS 4
#define CLIENT_ADDRS 4096

struct replica {
	uint16_t base;
	int fd[MAX_PARTS];
	struct pk_worker *w[MAX_PARTS];
	struct sockaddr_in clients[MAX_PARTS][CLIENT_ADDRS];	/* by reply cookie */
	uint32_t next_client[MAX_PARTS];
	atomic_bool killed;
	bool closed;
};

struct udp_cluster {
	struct pk_heap heap;
	unsigned int nodes, parts;
	uint32_t cluster_id;
	struct pk_config cfg;
	struct replica r[MAX_NODES];
	pthread_t thread;
	atomic_bool stop;
	char servers[256];
	struct pk_send sends[1024];
	struct pk_reply replies[1024];
	struct pk_out out;
};

static void
send_to(int fd, uint16_t port, const struct sockaddr_in *addr, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to;

	if (addr != NULL) {
		to = *addr;
	} else {
		memset(&to, 0, sizeof(to));
		to.sin_family = AF_INET;
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		to.sin_port = htons(port);
	}
	(void)sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Replica <n> partition <p>'s outbox on its way out: peer messages
 * batched into one datagram per node (sent when full and at the end),
 * each reply in a datagram of its own to the client's address.
 */
struct drain_batch {
	struct udp_cluster *uc;
	unsigned int n, p;
	struct pk_dgram_hdr hdr;
	struct pk_wbuf w[PK_MAX_NODES];
	uint8_t buf[PK_MAX_NODES][PK_MAX_DGRAM];
};

static void
batch_flush(struct drain_batch *b, uint16_t to)
{
	if (b->w[to].count > 0)
		send_to(b->uc->r[b->n].fd[b->p], (uint16_t)(b->uc->r[to].base + b->p), NULL,
			b->buf[to], b->w[to].len);
	pk_wire_begin(&b->w[to], b->buf[to], sizeof(b->buf[to]), &b->hdr);
}

static void
batch_peer(void *ctx, uint16_t to, const struct pk_msg *m)
{
	struct drain_batch *b = ctx;

	if (to >= b->uc->nodes)
		return;		/* no such replica here */
	if (pk_wire_add(&b->w[to], m) == -PK_E_NOSPACE) {
		batch_flush(b, to);
		(void)pk_wire_add(&b->w[to], m);
	}
}

/* The peer datagrams go out before the client replies. */
static void
batch_sent(void *ctx)
{
	struct drain_batch *b = ctx;

	for (uint16_t d = 0; d < b->uc->nodes; d++)
		batch_flush(b, d);
}

static void
batch_reply(void *ctx, const struct pk_reply *r)
{
	struct drain_batch *b = ctx;
	uint8_t buf[PK_MAX_DGRAM];
	struct pk_wbuf w;

	pk_wire_begin(&w, buf, sizeof(buf), &b->hdr);
	if (pk_wire_add(&w, &r->msg) == 0)
		send_to(b->uc->r[b->n].fd[b->p], 0, &b->uc->r[b->n].clients[b->p][r->cookie], buf,
			w.len);
}

static void
drain(struct udp_cluster *uc, unsigned int n, unsigned int p)
{
	static __thread struct drain_batch b;	/* one per cluster thread */
	const struct pk_out_sink sink = { .peer = batch_peer, .sent = batch_sent,
					  .reply = batch_reply, .ctx = &b };

	b.uc = uc;
	b.n = n;
	b.p = p;
	b.hdr = (struct pk_dgram_hdr){ .cluster_id = uc->cluster_id,
				       .partitions = (uint16_t)uc->parts, .partition = (uint16_t)p };
	for (uint16_t d = 0; d < uc->nodes; d++)
		pk_wire_begin(&b.w[d], b.buf[d], sizeof(b.buf[d]), &b.hdr);
	pk_out_drain(&uc->out, &sink);
}

static void
serve(struct udp_cluster *uc, unsigned int n, unsigned int p, uint64_t now)
{
	const struct pk_wire_expect exp = { .cluster_id = uc->cluster_id,
					    .partitions = (uint16_t)uc->parts };
	struct replica *r = &uc->r[n];
	uint8_t buf[65536];
	struct pk_msg msgs[PK_MAX_BATCH];
	struct pk_dgram_hdr hdr;

	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(r->fd[p], buf, sizeof(buf), MSG_DONTWAIT,
				       (struct sockaddr *)&from, &flen);
		int count;

		if (len < 0)
			return;
		count = pk_wire_decode(buf, (size_t)len, &exp, &hdr, msgs, PK_MAX_BATCH);
		if (count < 0 || hdr.partition != p)
			continue;	/* counted by parnikd; ignored here */
		for (int i = 0; i < count; i++) {
			if (msgs[i].type == PK_MSG_CLIENT_REQ) {
				uint32_t cookie = r->next_client[p]++ % CLIENT_ADDRS;

				r->clients[p][cookie] = from;
				pk_worker_client(r->w[p], &msgs[i], cookie, now, &uc->out);
			} else if (msgs[i].type != PK_MSG_CLIENT_REP) {
				pk_worker_peer(r->w[p], &msgs[i], now, &uc->out);
			}
			drain(uc, n, p);
		}
	}
}

static void *
loop(void *arg)
{
	struct udp_cluster *uc = arg;

	while (!atomic_load(&uc->stop)) {
		struct pollfd pfd[MAX_NODES * MAX_PARTS];
		unsigned int nfd = 0;
		uint64_t now;

		for (unsigned int n = 0; n < uc->nodes; n++) {
			struct replica *r = &uc->r[n];

			if (atomic_load(&r->killed) && !r->closed) {
				for (unsigned int p = 0; p < uc->parts; p++)
					close(r->fd[p]);
				r->closed = true;
			}
			for (unsigned int p = 0; !r->closed && p < uc->parts; p++)
				pfd[nfd++] = (struct pollfd){ .fd = r->fd[p], .events = POLLIN };
		}
		(void)poll(pfd, nfd, 1);
		now = dp_mono_us();
		for (unsigned int n = 0; n < uc->nodes; n++) {
			if (uc->r[n].closed)
				continue;
			for (unsigned int p = 0; p < uc->parts; p++) {
				serve(uc, n, p, now);
				if (pk_worker_next_deadline(uc->r[n].w[p]) <= now) {
					pk_worker_tick(uc->r[n].w[p], now, &uc->out);
					drain(uc, n, p);
				}
			}
		}
	}
	return NULL;
}

/* Binds replica <n>'s partition sockets at <base>.. Returns 0 or -1. */
static int
bind_replica(struct replica *r, unsigned int parts, uint16_t base)
{
	for (unsigned int p = 0; p < parts; p++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)(base + p)),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		r->fd[p] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (r->fd[p] < 0 || bind(r->fd[p], (struct sockaddr *)&a, sizeof(a)) != 0) {
			for (unsigned int q = 0; q <= p; q++)
				if (r->fd[q] >= 0)
					close(r->fd[q]);
			return -1;
		}
	}
	r->base = base;
	return 0;
}

struct udp_cluster *
udp_cluster_start(unsigned int nodes, unsigned int parts, uint32_t cluster_id)
{
	struct udp_cluster *uc;
	struct pk_worker_params wp;
	size_t at = 0;
	uint16_t port = (uint16_t)(20000 + (getpid() * 37) % 20000);

	if (nodes == 0 || nodes > MAX_NODES || parts == 0 || parts > MAX_PARTS)
		return NULL;
	uc = calloc(1, sizeof(*uc));
	if (uc == NULL)
		return NULL;
	uc->nodes = nodes;
	uc->parts = parts;
	uc->cluster_id = cluster_id;
	uc->out = (struct pk_out){ .sends = uc->sends, .send_cap = 1024, .replies = uc->replies,
				   .reply_cap = 1024 };
	pk_config_majority(&uc->cfg, nodes, 1);
	memset(&wp, 0, sizeof(wp));
	pk_tuning_default(&wp.tuning);
	wp.tuning.max_keys = 1u << 14;
	wp.tuning.max_ops = 4096;
	wp.cluster_id = cluster_id;
	wp.partitions = (uint16_t)parts;
	wp.incarnation = (uint32_t)time(NULL);
	wp.admitted = true;
	wp.env = pk_heap_env(&uc->heap);
	for (unsigned int n = 0; n < nodes; n++) {
		struct replica *r = &uc->r[n];
		int tries;

		for (tries = 0; tries < 50 && bind_replica(r, parts, port) != 0; tries++)
			port = (uint16_t)(20000 + (port - 20000 + 97) % 40000);
		if (tries == 50)
			goto err;
		port = (uint16_t)(port + 16);
		for (unsigned int p = 0; p < parts; p++) {
			wp.node = (uint16_t)n;
			wp.worker = (uint16_t)p;
			wp.seed = n * 16 + p + 1;
			r->w[p] = pk_worker_new(&wp, &uc->cfg);
			if (r->w[p] == NULL)
				goto err;
		}
		at += (size_t)snprintf(uc->servers + at, sizeof(uc->servers) - at, "%s127.0.0.1:%u",
				       n > 0 ? "," : "", r->base);
	}
	if (pthread_create(&uc->thread, NULL, loop, uc) != 0)
		goto err;
	return uc;
err:
	fprintf(stderr, "udp_cluster: cannot start (%s)\n", strerror(errno));
	abort();
}

const char *
udp_cluster_servers(const struct udp_cluster *uc)
{
	return uc->servers;
}

void
udp_cluster_kill(struct udp_cluster *uc, unsigned int node)
{
	atomic_store(&uc->r[node].killed, true);
}

void
udp_cluster_stop(struct udp_cluster *uc)
{
	atomic_store(&uc->stop, true);
	pthread_join(uc->thread, NULL);
	for (unsigned int n = 0; n < uc->nodes; n++)
		for (unsigned int p = 0; p < uc->parts; p++) {
			if (!uc->r[n].closed)
				close(uc->r[n].fd[p]);
			pk_worker_free(uc->r[n].w[p]);
		}
	free(uc);
}
