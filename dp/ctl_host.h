/* The replica's side of the control socket (ctrl/host.h): status, stats,
 * config and key pages rendered from the published counter snapshots, the
 * config and RCU walks of the partition tables.
 */
#ifndef DP_CTL_HOST_H
#define DP_CTL_HOST_H

#include "host.h"
#include "replica.h"

/* Fills <h> for <r>; <stop> is what the shutdown command calls. */
void dp_ctl_host_init(struct ctl_host *h, struct dp_replica *r, void (*stop)(void));

#endif
