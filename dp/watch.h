/* What the control thread keeps an eye on between commands: which members
 * went silent or came back (logged), and the figures behind the metrics
 * endpoint, `parnikctl metrics` and the peers part of `status`. Runs on the
 * control thread only (its tick and the commands share it).
 */
#ifndef DP_WATCH_H
#define DP_WATCH_H

#include <stddef.h>

#include "json.h"
#include "replica.h"

/* At start: members count as unheard from now on; the uptime counts. */
void dp_watch_init(struct dp_replica *r);

/* Seconds since dp_watch_init (monotonic: a clock step moves no uptime). */
uint64_t dp_watch_uptime_s(void);

/* Compares when each member was last heard against --peer-silent-ms and
 * logs each member gone silent or back.
 */
void dp_watch_tick(struct dp_replica *r);

/* "peers":[{"id":N,"heard":bool,"heard_ms_ago":MS,"silent":bool},...] */
void dp_watch_peers_json(struct dp_replica *r, struct ctl_json *j);

/* The Prometheus text (metrics.h) into <buf>; its length, 0 if too big. */
size_t dp_watch_metrics(struct dp_replica *r, char *buf, size_t cap);

#endif
