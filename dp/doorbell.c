/* Doorbells on memif links (see doorbell.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doorbell.h"

#define BELL_MAGIC 0x706b626cu	/* "pkbl" */
#define BELL_PAGE 4096

struct dp_bell_slot {
	uint32_t asleep;	/* atomic: 1 while that side's queue may sleep */
	uint8_t pad[60];	/* one cache line per word: no false sharing */
};

struct dp_bell_page {
	uint32_t magic;
	uint8_t pad[60];
	struct dp_bell_slot slot[2][DP_BELL_MAXQ];
};

_Static_assert(sizeof(struct dp_bell_page) <= BELL_PAGE, "the doorbell page fits a page");

/* Copies the value of <key> in "k=v,k=v" <args> into <out>; false if absent. */
static bool
devarg(const char *args, const char *key, char *out, size_t outlen)
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

static int
fail(struct dp_bell *b, char *why, size_t whylen, const char *what, const char *path)
{
	snprintf(why, whylen, "doorbell %s %s: %s", what, path, strerror(errno));
	dp_bell_close(b);
	return -1;
}

static int
open_fifo(const char *path)
{
	if (mkfifo(path, 0600) != 0 && errno != EEXIST)
		return -1;
	/* O_RDWR: neither end waits for the other to open (Linux). */
	return open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

void
dp_bell_init(struct dp_bell *b)
{
	memset(b, 0, sizeof(*b));
	for (unsigned int q = 0; q < DP_BELL_MAXQ; q++)
		b->in[q] = b->out[q] = -1;
}

int
dp_bell_open(struct dp_bell *b, const char *devargs, uint16_t nq, char *why, size_t whylen)
{
	char sock[PATH_MAX], role[16], id[16], abstract[8], prefix[PATH_MAX], path[PATH_MAX + 32];
	struct dp_bell_page *page;
	int fd;

	dp_bell_init(b);
	if (nq == 0 || nq > DP_BELL_MAXQ) {
		snprintf(why, whylen, "doorbell: %u queues (1..%u)", nq, DP_BELL_MAXQ);
		return -1;
	}
	/* The PMD's defaults (22.11): role server, id 0, /run/memif.sock, abstract. */
	if (!devarg(devargs, "socket", sock, sizeof(sock)))
		snprintf(sock, sizeof(sock), "/run/memif.sock");
	if (!devarg(devargs, "role", role, sizeof(role)))
		snprintf(role, sizeof(role), "server");
	if (!devarg(devargs, "id", id, sizeof(id)))
		snprintf(id, sizeof(id), "0");
	if (!devarg(devargs, "socket-abstract", abstract, sizeof(abstract)))
		snprintf(abstract, sizeof(abstract), "yes");
	if (strcmp(role, "server") == 0 || strcmp(role, "master") == 0)
		b->me = 0;
	else if (strcmp(role, "client") == 0 || strcmp(role, "slave") == 0)
		b->me = 1;
	else {
		snprintf(why, whylen, "doorbell: memif role '%s'", role);
		return -1;
	}
	b->peer = (uint8_t)(1 - b->me);
	b->nq = nq;
	if (strcmp(abstract, "no") == 0) {
		snprintf(prefix, sizeof(prefix), "%s", sock);
	} else {
		/* An abstract socket has no directory: /dev/shm, with the name flattened. */
		int n = snprintf(prefix, sizeof(prefix), "/dev/shm/parnik-bell");

		for (const char *s = sock; *s != 0 && (size_t)n + 1 < sizeof(prefix); s++)
			prefix[n++] = *s == '/' ? '_' : *s;
		prefix[n] = 0;
	}
	snprintf(path, sizeof(path), "%s.bell-%s", prefix, id);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(b, why, whylen, "page", path);
	/* Both ends may create it: extending to the same size twice is harmless. */
	if (ftruncate(fd, BELL_PAGE) != 0) {
		close(fd);
		return fail(b, why, whylen, "page size", path);
	}
	page = mmap(NULL, BELL_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (page == MAP_FAILED)
		return fail(b, why, whylen, "page map", path);
	b->page = page;
	__atomic_store_n(&page->magic, BELL_MAGIC, __ATOMIC_RELAXED);
	for (uint16_t q = 0; q < nq; q++) {
		/* A word left set by an earlier life of this side costs the peer
		 * one needless write, no more; clear it anyway.
		 */
		__atomic_store_n(&page->slot[b->me][q].asleep, 0, __ATOMIC_RELAXED);
		snprintf(path, sizeof(path), "%s.bell-%s-%u-%u", prefix, id, b->me, q);
		b->in[q] = open_fifo(path);
		if (b->in[q] < 0)
			return fail(b, why, whylen, "fifo", path);
		snprintf(path, sizeof(path), "%s.bell-%s-%u-%u", prefix, id, b->peer, q);
		b->out[q] = open_fifo(path);
		if (b->out[q] < 0)
			return fail(b, why, whylen, "fifo", path);
	}
	return 0;
}

void
dp_bell_close(struct dp_bell *b)
{
	for (unsigned int q = 0; q < DP_BELL_MAXQ; q++) {
		if (b->in[q] >= 0)
			close(b->in[q]);
		if (b->out[q] >= 0)
			close(b->out[q]);
		b->in[q] = b->out[q] = -1;
	}
	if (b->page != NULL)
		munmap(b->page, BELL_PAGE);
	b->page = NULL;
}

void
dp_bell_arm(const struct dp_bell *b, uint16_t q)
{
	if (b->page != NULL && q < b->nq)
		__atomic_store_n(&b->page->slot[b->me][q].asleep, 1, __ATOMIC_RELAXED);
}

void
dp_bell_disarm(const struct dp_bell *b, uint16_t q)
{
	if (b->page != NULL && q < b->nq)
		__atomic_store_n(&b->page->slot[b->me][q].asleep, 0, __ATOMIC_RELAXED);
}

int
dp_bell_fd(const struct dp_bell *b, uint16_t q)
{
	return b->page != NULL && q < b->nq ? b->in[q] : -1;
}

void
dp_bell_drain(const struct dp_bell *b, uint16_t q)
{
	char buf[64];

	if (b->page == NULL || q >= b->nq)
		return;
	while (read(b->in[q], buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

bool
dp_bell_ring(const struct dp_bell *b, uint16_t q)
{
	uint32_t *asleep;

	if (b->page == NULL || q >= b->nq)
		return false;
	asleep = &b->page->slot[b->peer][q].asleep;
	/* The frames are on the ring (stored); now look at the word. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(asleep, __ATOMIC_RELAXED) == 0)
		return false;
	/* One sender of many rings: whoever takes the word writes. */
	if (__atomic_exchange_n(asleep, 0, __ATOMIC_ACQ_REL) == 0)
		return false;
	if (write(b->out[q], "", 1) < 0 && errno != EAGAIN)
		return false;	/* its timer wakes it anyway */
	return true;
}
