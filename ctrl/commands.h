/* The control socket's commands: one line in, one JSON object out.
 *
 *   help | ping | status | stats | config | lists
 *   keys PARTITION [FROM [LIMIT]]       a page of keys (LIMIT <= 1000)
 *   add-accept ID QUORUM | rm-accept ID QUORUM     membership steps on this
 *   add-prepare ID QUORUM | rm-prepare ID QUORUM   replica (idempotent)
 *   set-config, admit, rescan, catchup, job, gc [hold|release]
 *   floors | raise-floor PARTITION BALLOT VERSION  the GC floors
 *   shutdown
 *
 * Replies carry "ok": true with the command's members, or "ok": false and
 * an "error" message. Nothing here blocks or touches the data plane but
 * through struct ctl_host.
 */
#ifndef CTL_COMMANDS_H
#define CTL_COMMANDS_H

#include <stddef.h>

#include "host.h"

#define CTL_KEYS_PAGE_MAX 1000

/* Runs <line> (no newline, NUL-terminated) and writes the reply into
 * <out> (<cap> bytes, NUL-terminated, no newline). Returns its length.
 */
size_t ctl_command_run(const struct ctl_host *h, const char *line, char *out, size_t cap);

#endif
