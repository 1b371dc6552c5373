/* parnik-udp-pingpong: the kernel UDP round trip, the baseline Parnik's
 * latencies are read against (issue: "p50 of a single GET and PUT next to a
 * kernel UDP ping-pong RTT measured in the same run").
 *
 *   parnik-udp-pingpong --server IPV4:PORT [--seconds S]   echo datagrams back
 *   parnik-udp-pingpong --client IPV4:PORT [--count N] [--size B]
 *   parnik-udp-pingpong --self [--count N] [--size B]      both, on 127.0.0.1
 *
 * The client sends one datagram at a time (concurrency 1) and prints the
 * RTT percentiles from a log-linear histogram.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "parnik/hist.h"

static int
parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 && a->sin_port != 0 ? 0 : -1;
}

struct server_args {
	int fd;
	unsigned int seconds;
	bool quit_on_q;		/* --self: the client's 'Q' ends the server */
};

static void *
serve(void *arg)
{
	struct server_args *sa = arg;
	uint64_t end = pk_mono_ns() + (uint64_t)sa->seconds * 1000000000u;
	uint8_t buf[65536];

	while (pk_mono_ns() < end) {
		struct pollfd p = { .fd = sa->fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(sa->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n > 0 && buf[0] == 'Q') {
			if (sa->quit_on_q)
				break;	/* the --self client is done */
			continue;
		}
		if (n > 0)
			(void)sendto(sa->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int
bind_udp(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (const struct sockaddr *)a, sizeof(*a)) != 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

static int
client(const struct sockaddr_in *to, unsigned int count, unsigned int size)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	int fd = bind_udp(&any);
	uint8_t buf[65536] = { 'P' };
	struct pk_hist h;
	unsigned int lost = 0;

	pk_hist_reset(&h);
	for (unsigned int i = 0; i < count + 100; i++) {	/* 100 warm-up rounds */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t t0 = pk_mono_ns();

		memcpy(buf + 1, &i, sizeof(i));
		if (sendto(fd, buf, size, 0, (const struct sockaddr *)to, sizeof(*to)) < 0) {
			perror("sendto");
			return 2;
		}
		for (;;) {
			unsigned int got;

			if (poll(&p, 1, 1000) <= 0) {
				lost++;
				break;
			}
			if (recv(fd, buf, sizeof(buf), 0) < 5)
				continue;
			memcpy(&got, buf + 1, sizeof(got));
			if (got != i)
				continue;	/* a late echo of a lost round */
			if (i >= 100)
				pk_hist_record(&h, pk_mono_ns() - t0);
			break;
		}
	}
	printf("kernel UDP ping-pong: %u round trips of %u bytes, %u lost\n", count, size, lost);
	printf("rtt us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       (double)pk_hist_quantile(&h, 0.5) / 1e3, (double)pk_hist_quantile(&h, 0.9) / 1e3,
	       (double)pk_hist_quantile(&h, 0.99) / 1e3, (double)pk_hist_quantile(&h, 0.999) / 1e3,
	       (double)h.max / 1e3);
	buf[0] = 'Q';
	(void)sendto(fd, buf, 1, 0, (const struct sockaddr *)to, sizeof(*to));
	close(fd);
	return h.count > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "self", no_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *to = NULL;
	unsigned int count = 10000, size = 64, seconds = 600;
	bool self = false;
	struct sockaddr_in a;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'c':
			to = optarg;
			break;
		case 'S':
			self = true;
			break;
		case 'n':
			count = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			size = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (size < 5 || size > 65000 || count == 0 || (server == NULL) + (to == NULL) + !self != 2)
		goto usage;
	if (server != NULL) {
		struct server_args sa = { .seconds = seconds };

		if (parse_addr(server, &a) != 0)
			goto usage;
		sa.fd = bind_udp(&a);
		serve(&sa);
		return 0;
	}
	if (to != NULL) {
		if (parse_addr(to, &a) != 0)
			goto usage;
		return client(&a, count, size);
	}
	{
		struct server_args sa = { .seconds = seconds, .quit_on_q = true };
		socklen_t alen = sizeof(a);
		pthread_t t;
		int rc;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.fd = bind_udp(&a);
		getsockname(sa.fd, (struct sockaddr *)&a, &alen);
		pthread_create(&t, NULL, serve, &sa);
		rc = client(&a, count, size);
		pthread_join(t, NULL);
		close(sa.fd);
		return rc;
	}
usage:
	fprintf(stderr, "usage: parnik-udp-pingpong --server IPV4:PORT [--seconds S] |\n"
			"       --client IPV4:PORT [--count N] [--size B] | --self [--count N] [--size B]\n");
	return 2;
}
