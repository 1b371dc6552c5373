/* The last words of a crashing replica: on a fatal signal, one line naming
 * the signal and the lcore, then the stack (DPDK's rte_dump_stack), then
 * the default action (core dump or exit) as if nothing had been caught.
 * Without it a replica that dies in a test or in production leaves an
 * empty log and the operator a guess.
 */
#include "crash.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_debug.h>
#include <rte_lcore.h>

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static void
on_fatal_signal(int sig)
{
	char line[128];
	int n;

	/* snprintf and rte_dump_stack are not async-signal-safe; the process
	 * is lost anyway, and a stack is worth the small risk of none.
	 */
	n = snprintf(line, sizeof(line), "parnikd: fatal signal %d (%s) on lcore %u; stack:\n",
		     sig, strsignal(sig), rte_lcore_id());
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	rte_dump_stack();
	/* SA_RESETHAND restored the default action: re-raise to take it. */
	raise(sig);
}

void
dp_crash_report_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}
