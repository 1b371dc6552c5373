/* parnik-bench --echo (see echo.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <time.h>

#include "clock.h"
#include "echo.h"

#define ECHO_PORT 7
#define ECHO_LEN 64
#define ECHO_TIMEOUT_US 1000000u

struct echo_wait {
	uint64_t seq;
	bool back;
};

static void
on_reply(void *arg, const uint8_t *data, size_t len)
{
	struct echo_wait *w = arg;
	uint64_t seq;

	if (len != ECHO_LEN)
		return;
	memcpy(&seq, data, sizeof(seq));
	if (seq == w->seq)
		w->back = true;
}

int
bench_echo(pk_transport_open_fn open, void *open_arg, uint32_t ip, unsigned int count,
	   struct pk_hist *h, char *err, size_t errlen)
{
	struct pk_transport *t = open(open_arg, err, errlen);
	uint8_t buf[ECHO_LEN] = { 0 };
	int rc = 0;

	if (t == NULL)
		return -1;
	pk_hist_reset(h);
	for (unsigned int i = 0; i < count && rc == 0; i++) {
		struct echo_wait w = { .seq = 0x706b6563686f0000ull + i };
		struct pk_dgram d = { .ip = ip, .port = ECHO_PORT, .len = ECHO_LEN, .data = buf };
		uint64_t sent = pk_mono_ns();

		memcpy(buf, &w.seq, sizeof(w.seq));
		if (t->send(t, &d, 1) != 0) {
			snprintf(err, errlen, "echo: send: %s", strerror(errno));
			rc = -1;
			break;
		}
		while (!w.back) {
			uint64_t spent = (pk_mono_ns() - sent) / 1000u;

			if (spent >= ECHO_TIMEOUT_US) {
				snprintf(err, errlen, "echo: no reply in %u ms", ECHO_TIMEOUT_US / 1000);
				rc = -1;
				break;
			}
			if (t->receive(t, on_reply, &w) != 0 ||
			    (!w.back && t->wait(t, ECHO_TIMEOUT_US - spent) != 0)) {
				snprintf(err, errlen, "echo: receive: %s", strerror(errno));
				rc = -1;
				break;
			}
		}
		if (w.back)
			pk_hist_record(h, pk_mono_ns() - sent);	/* ns */
	}
	t->close(t);
	return rc;
}
