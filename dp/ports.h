/* DPDK port bring-up for parnikd: one RX and one TX queue per worker lcore
 * where the PMD offers that many, and partition steering by rte_flow QUEUE
 * rules where rte_flow_validate() accepts them. Everything else (af_packet,
 * tap without TC flower, memif, ring, null) is steered in software by the
 * worker loop, which hands frames to the owner lcore.
 */
#ifndef DP_PORTS_H
#define DP_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "doorbell.h"
#include "options.h"

struct dp_port {
	uint16_t id;		/* DPDK port id */
	uint16_t nrxq;		/* RX queues: worker w polls queue w when w < nrxq */
	uint16_t ntxq;		/* TX queues: worker w sends on w % ntxq */
	bool hw_steering;	/* rte_flow rules put each partition on its owner's queue */
	bool udp_csum;		/* UDP checksums on what we send: not on memif */
	bool rx_intr;		/* configured with Rx interrupts (the PMD may still lack them) */
	struct dp_bell bell;	/* memif: the doorbell to its other end (wake.h) */
	const char *devargs;	/* its --vdev arguments ("" for none), the EAL's */
	/* Frames leave after each received datagram's work, not only at the
	 * end of a pass (enum dp_tx_flush, resolved for this port).
	 */
	bool tx_per_datagram;
	char driver[32];
};

/* Configures and starts <port> with up to <nworkers> queue pairs, with Rx
 * interrupts if <rx_intr> and the PMD takes them (a sleeping worker is woken
 * through them: wake.h), and a doorbell on memif. Returns 0 or a negative
 * errno with <why> filled.
 */
int dp_port_start(struct dp_port *p, uint16_t port, unsigned int nworkers,
		  struct rte_mempool *pool, bool rx_intr, char *why, size_t whylen);

/* Installs one rte_flow rule per partition (UDP to our address, port
 * base+i → the queue of the partition's owner <owner[i]>) when the PMD
 * validates all of them; otherwise leaves software steering. Returns true
 * when the rules are in; <why> says why not otherwise.
 */
bool dp_port_steer(struct dp_port *p, const struct dp_options *o, const uint16_t *owner,
		   char *why, size_t whylen);

void dp_port_stop(struct dp_port *p);

#endif
