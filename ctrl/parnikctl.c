/* parnikctl: the operator's command line for one replica's control socket.
 *
 *   parnikctl [-s SOCKET] COMMAND [ARGS...]
 *
 * Sends the command as one line, prints the JSON reply. Exit codes: 0 the
 * replica answered "ok": true; 1 it answered with an error; 2 usage; 6 the
 * socket cannot be reached or did not answer. Cluster-wide orchestration
 * (grow, shrink, replace) comes with the membership commands.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/parnik/parnikd-0.sock"
#define REPLY_MAX (1024 * 1024)
#define TIMEOUT_MS 10000

static void
usage(FILE *f)
{
	fprintf(f, "usage: parnikctl [-s SOCKET] COMMAND [ARGS...]\n"
		   "  -s, --socket PATH   the replica's control socket (default %s)\n"
		   "commands: help ping status stats config lists keys PARTITION [FROM [LIMIT]] "
		   "shutdown\n"
		   "exit: 0 ok, 1 the replica refused, 2 usage, 6 no answer\n",
		DEFAULT_SOCKET);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[4096];
	char *reply;
	size_t len = 0, got = 0;
	int c, fd;

	while ((c = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		if (c == 's') {
			path = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc || strlen(path) >= sizeof(addr.sun_path)) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s", i > optind ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(line) - len - 1) {
			fprintf(stderr, "parnikctl: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	line[len++] = '\n';
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "parnikctl: %s: %s\n", path, strerror(errno));
		return 6;
	}
	if (write(fd, line, len) != (ssize_t)len) {
		fprintf(stderr, "parnikctl: %s: write: %s\n", path, strerror(errno));
		return 6;
	}
	reply = malloc(REPLY_MAX);
	if (reply == NULL)
		return 6;
	while (got < REPLY_MAX - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			break;
		n = read(fd, reply + got, REPLY_MAX - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(reply, '\n', got) != NULL)
			break;
	}
	close(fd);
	reply[got] = 0;
	if (got == 0 || strchr(reply, '\n') == NULL) {
		fprintf(stderr, "parnikctl: %s: no answer\n", path);
		free(reply);
		return 6;
	}
	fputs(reply, stdout);
	c = strncmp(reply, "{\"ok\":true", 10) == 0 ? 0 : 1;
	free(reply);
	return c;
}
