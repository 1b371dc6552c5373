/* The memif doorbell: the two ends of one link find the same page and
 * FIFOs from the device arguments alone; a sender rings only a queue that
 * armed, exactly once per arming, and the ring makes the sleeper's FIFO
 * readable; bad arguments and planted files are refused with a reason; an
 * end knows whether the other rings.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "doorbell.h"

static char dir[64];
static char server_args[256], client_args[256];

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_a_ring_wakes_only_an_armed_queue_once(void)
{
	struct dp_bell s, c;
	char why[256];

	CHECK_EQ(dp_bell_open(&s, server_args, 2, why, sizeof(why)), 0);
	CHECK_EQ(dp_bell_open(&c, client_args, 2, why, sizeof(why)), 0);
	CHECK(dp_bell_present(&s) && dp_bell_present(&c));
	/* Nobody asleep: a ring costs a look, no write. */
	CHECK(!dp_bell_ring(&c, 0));
	CHECK(!readable(dp_bell_fd(&s, 0)));
	/* The server's queue 1 sleeps: a ring on queue 0 does not wake it. */
	dp_bell_arm(&s, 1);
	CHECK(!dp_bell_ring(&c, 0));
	CHECK(dp_bell_ring(&c, 1));
	CHECK(readable(dp_bell_fd(&s, 1)));
	CHECK(!readable(dp_bell_fd(&s, 0)));
	/* The first ring took the word: more frames before it wakes, no more writes. */
	CHECK(!dp_bell_ring(&c, 1));
	dp_bell_drain(&s, 1);
	CHECK(!readable(dp_bell_fd(&s, 1)));
	/* Disarmed: silence. */
	dp_bell_arm(&s, 1);
	dp_bell_disarm(&s, 1);
	CHECK(!dp_bell_ring(&c, 1));
	/* And the other way round. */
	dp_bell_arm(&c, 0);
	CHECK(dp_bell_ring(&s, 0));
	CHECK(readable(dp_bell_fd(&c, 0)));
	/* A queue beyond the link's: neither armed nor rung. */
	dp_bell_arm(&s, 5);
	CHECK(!dp_bell_ring(&c, 5));
	CHECK_EQ(dp_bell_fd(&s, 5), -1);
	dp_bell_close(&s);
	dp_bell_close(&c);
	CHECK(!dp_bell_present(&s));
}

static void
test_a_restarted_end_clears_its_stale_words(void)
{
	struct dp_bell s, c;
	char why[256];

	CHECK_EQ(dp_bell_open(&s, server_args, 1, why, sizeof(why)), 0);
	dp_bell_arm(&s, 0);
	dp_bell_close(&s);	/* died asleep */
	CHECK_EQ(dp_bell_open(&s, server_args, 1, why, sizeof(why)), 0);
	CHECK_EQ(dp_bell_open(&c, client_args, 1, why, sizeof(why)), 0);
	CHECK(!dp_bell_ring(&c, 0));
	dp_bell_close(&s);
	dp_bell_close(&c);
}

static void
test_bad_arguments_are_refused_with_a_reason(void)
{
	struct dp_bell b;
	char why[256], args[300];

	snprintf(args, sizeof(args), "role=boss,socket=%s/m.sock,socket-abstract=no", dir);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	CHECK(strstr(why, "role 'boss'") != NULL);
	CHECK(!dp_bell_present(&b));
	CHECK_EQ(dp_bell_open(&b, server_args, 0, why, sizeof(why)), -1);
	CHECK_EQ(dp_bell_open(&b, server_args, DP_BELL_MAXQ + 1, why, sizeof(why)), -1);
	snprintf(args, sizeof(args), "role=server,socket=%s/no/such/dir/m.sock,socket-abstract=no",
		 dir);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	CHECK(strstr(why, "no/such/dir") != NULL);
	dp_bell_close(&b);	/* harmless after a refusal */
}

static void
test_an_abstract_socket_puts_the_files_in_a_private_directory(void)
{
	struct dp_bell s, c;
	char why[256], sargs[300], cargs[300], page[400], dirpath[64];
	struct stat st;
	int n;

	snprintf(sargs, sizeof(sargs), "role=server,id=3,socket=%s/a_b.sock", dir);
	snprintf(cargs, sizeof(cargs), "id=03,role=client,socket=%s/a_b.sock", dir);
	CHECK_EQ(dp_bell_open(&s, sargs, 1, why, sizeof(why)), 0);
	CHECK_EQ(dp_bell_open(&c, cargs, 1, why, sizeof(why)), 0);	/* id=03 is id=3 */
	dp_bell_arm(&s, 0);
	CHECK(dp_bell_ring(&c, 0));
	snprintf(dirpath, sizeof(dirpath), "/dev/shm/parnik-bell-%u", (unsigned int)geteuid());
	CHECK(lstat(dirpath, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0);
	if (stat("/proc/self/ns/net", &st) != 0)
		st.st_ino = 0;
	n = snprintf(page, sizeof(page), "%s/%lu-", dirpath, (unsigned long)st.st_ino);
	for (const char *p = dir; *p != 0; p++)
		n += snprintf(page + n, sizeof(page) - (size_t)n, "%s",
			      *p == '/' ? "_s" : *p == '_' ? "_u" : (char[]){ *p, 0 });
	snprintf(page + n, sizeof(page) - (size_t)n, "_sa_ub.sock.bell-3");
	CHECK(access(page, F_OK) == 0);
	dp_bell_close(&s);
	dp_bell_close(&c);
	unlink(page);
	for (unsigned int side = 0; side < 2; side++) {
		char fifo[420];

		snprintf(fifo, sizeof(fifo), "%s-%u-0", page, side);
		unlink(fifo);
	}
	(void)rmdir(dirpath);	/* when empty: a replica's files may share it */
}

/* Files someone else could have planted are refused: a symlink to a file
 * of ours, a page open to others, a FIFO where the page should be.
 */
static void
test_planted_files_are_refused(void)
{
	struct dp_bell b;
	char why[256], args[300], path[300], target[300];
	int fd;

	snprintf(args, sizeof(args), "role=server,socket=%s/p.sock,socket-abstract=no", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/p.sock.bell-0", dir);
	CHECK(symlink(target, path) == 0);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	CHECK(strstr(why, "page") != NULL);
	{
		struct stat st;

		CHECK(stat(target, &st) == 0 && st.st_size == 0);	/* not truncated to a page */
	}
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK(fchmod(fd, 0644) == 0);
	close(fd);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	CHECK(strstr(why, "Operation not permitted") != NULL);
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	unlink(path);
	/* A regular file where a FIFO should be (always readable: the worker
	 * would never sleep).
	 */
	snprintf(path, sizeof(path), "%s/p.sock.bell-0-0-0", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), -1);
	CHECK(strstr(why, "fifo") != NULL);
	unlink(path);
	CHECK_EQ(dp_bell_open(&b, args, 1, why, sizeof(why)), 0);
	dp_bell_close(&b);
}

/* An end knows whether the other rings: a memif peer that is not Parnik
 * (or has closed) leaves its queues to the timer.
 */
static void
test_the_peer_says_it_rings(void)
{
	struct dp_bell s, c;
	char why[256];

	CHECK_EQ(dp_bell_open(&s, server_args, 1, why, sizeof(why)), 0);
	CHECK(!dp_bell_peer_present(&s));
	CHECK_EQ(dp_bell_open(&c, client_args, 1, why, sizeof(why)), 0);
	CHECK(dp_bell_peer_present(&s) && dp_bell_peer_present(&c));
	dp_bell_close(&c);
	CHECK(!dp_bell_peer_present(&s));
	dp_bell_close(&s);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "a_ring_wakes_only_an_armed_queue_once", test_a_ring_wakes_only_an_armed_queue_once },
		{ "a_restarted_end_clears_its_stale_words", test_a_restarted_end_clears_its_stale_words },
		{ "bad_arguments_are_refused_with_a_reason", test_bad_arguments_are_refused_with_a_reason },
		{ "an_abstract_socket_puts_the_files_in_a_private_directory",
		  test_an_abstract_socket_puts_the_files_in_a_private_directory },
		{ "planted_files_are_refused", test_planted_files_are_refused },
		{ "the_peer_says_it_rings", test_the_peer_says_it_rings },
	};
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/pk-bell-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(server_args, sizeof(server_args), "role=server,id=0,socket=%s/m.sock,socket-abstract=no",
		 dir);
	snprintf(client_args, sizeof(client_args), "socket=%s/m.sock,role=client,socket-abstract=no",
		 dir);
	rc = check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
