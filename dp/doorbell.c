/* Doorbells on memif links (see doorbell.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devargs.h"
#include "doorbell.h"

#define BELL_MAGIC 0x706b6201u	/* "pkb", layout 1 */
#define BELL_PAGE 4096

struct dp_bell_slot {
	uint32_t asleep;	/* atomic: 1 while that side's queue may sleep */
	uint8_t pad[60];	/* one cache line per word: no false sharing */
};

struct dp_bell_page {
	uint32_t magic;
	uint32_t present[2];	/* per side: 1 while a Parnik end rings this link */
	uint8_t pad[52];
	struct dp_bell_slot slot[2][DP_BELL_MAXQ];
};

_Static_assert(sizeof(struct dp_bell_page) <= BELL_PAGE, "the doorbell page fits a page");

static int
fail(struct dp_bell *b, char *why, size_t whylen, const char *what, const char *path)
{
	snprintf(why, whylen, "doorbell %s %s: %s", what, path, strerror(errno));
	dp_bell_close(b);
	return -1;
}

/* Refuses a file that someone else could have planted or can change: not
 * of the kind expected, not ours, open to others, or linked twice. Whoever
 * can write the page as us could truncate it under our mapping (SIGBUS),
 * as they could the memif region itself: the trust is the same.
 */
static int
ours(int fd, mode_t kind)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -1;
	if ((st.st_mode & S_IFMT) != kind || st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
	    (kind == S_IFREG && st.st_nlink != 1)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
open_checked(const char *path, int flags, mode_t kind)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0 && ours(fd, kind) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
open_fifo(const char *path)
{
	if (mkfifo(path, 0600) != 0 && errno != EEXIST)
		return -1;
	/* O_RDWR: neither end waits for the other to open (Linux). */
	return open_checked(path, O_RDWR | O_NONBLOCK, S_IFIFO);
}

/* Where an abstract socket's doorbell lives: a directory of our own under
 * /dev/shm (abstract names have none), and in the name the network
 * namespace, since abstract names are per namespace while /dev/shm is not.
 * '/' and '_' are escaped so two socket names never meet.
 */
static int
abstract_prefix(const char *sock, char *prefix, size_t len)
{
	struct stat st;
	char dir[64];
	int n;

	snprintf(dir, sizeof(dir), "/dev/shm/parnik-bell-%u", (unsigned int)geteuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	if (stat("/proc/self/ns/net", &st) != 0)
		st.st_ino = 0;
	n = snprintf(prefix, len, "%s/%lu-", dir, (unsigned long)st.st_ino);
	for (const char *c = sock; *c != 0 && (size_t)n + 3 < len; c++) {
		if (*c == '/' || *c == '_') {
			prefix[n++] = '_';
			prefix[n++] = *c == '/' ? 's' : 'u';
		} else {
			prefix[n++] = *c;
		}
	}
	prefix[n] = 0;
	return 0;
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
	if (!dp_devarg(devargs, "socket", sock, sizeof(sock)))
		snprintf(sock, sizeof(sock), "/run/memif.sock");
	if (!dp_devarg(devargs, "role", role, sizeof(role)))
		snprintf(role, sizeof(role), "server");
	if (!dp_devarg(devargs, "id", id, sizeof(id)))
		snprintf(id, sizeof(id), "0");
	/* id=00 and id=0 are one interface to the PMD: one name here. */
	snprintf(id, sizeof(id), "%lu", strtoul(id, NULL, 10));
	if (!dp_devarg(devargs, "socket-abstract", abstract, sizeof(abstract)))
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
	if (strcmp(abstract, "no") == 0)
		snprintf(prefix, sizeof(prefix), "%s", sock);
	else if (abstract_prefix(sock, prefix, sizeof(prefix)) != 0)
		return fail(b, why, whylen, "directory for", sock);
	snprintf(path, sizeof(path), "%s.bell-%s", prefix, id);
	fd = open_checked(path, O_RDWR | O_CREAT, S_IFREG);
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
	{
		uint32_t zero = 0;

		/* A page of another layout (an older or newer Parnik) is not ours to use. */
		if (!__atomic_compare_exchange_n(&page->magic, &zero, BELL_MAGIC, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
		    zero != BELL_MAGIC) {
			errno = EPROTO;
			return fail(b, why, whylen, "page of another layout", path);
		}
	}
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
	/* Last: the peer counts on our rings from now on. */
	__atomic_store_n(&page->present[b->me], 1, __ATOMIC_RELEASE);
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
	if (b->page != NULL) {
		__atomic_store_n(&b->page->present[b->me], 0, __ATOMIC_RELEASE);
		munmap(b->page, BELL_PAGE);
	}
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

bool
dp_bell_peer_present(const struct dp_bell *b)
{
	return b->page != NULL && __atomic_load_n(&b->page->present[b->peer], __ATOMIC_ACQUIRE) != 0;
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
	while (read(b->in[q], buf, sizeof(buf)) > 0)
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
