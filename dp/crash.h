/* Fatal-signal report for parnikd (see crash.c). */
#ifndef PARNIK_DP_CRASH_H
#define PARNIK_DP_CRASH_H

/* Installs the handlers; call once, after the EAL started (lcore ids). */
void dp_crash_report_install(void);

#endif
