/* Port bring-up and rte_flow steering (see ports.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "log.h"
#include "ports.h"

#define RX_DESC 1024
#define TX_DESC 1024

/* Configuration, queues, start: what a retry without Rx interrupts redoes. */
static int
configure_and_start(struct dp_port *p, struct rte_eth_conf *conf, struct rte_mempool *pool)
{
	uint16_t nb_rx = RX_DESC, nb_tx = TX_DESC;
	int rc = rte_eth_dev_configure(p->id, p->nrxq, p->ntxq, conf);

	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nb_rx, &nb_tx);
	for (uint16_t q = 0; rc == 0 && q < p->nrxq; q++)
		rc = rte_eth_rx_queue_setup(p->id, q, nb_rx, rte_eth_dev_socket_id(p->id), NULL,
					    pool);
	for (uint16_t q = 0; rc == 0 && q < p->ntxq; q++)
		rc = rte_eth_tx_queue_setup(p->id, q, nb_tx, rte_eth_dev_socket_id(p->id), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(p->id);
	return rc;
}

int
dp_port_start(struct dp_port *p, uint16_t port, unsigned int nworkers, struct rte_mempool *pool,
	      bool rx_intr, char *why, size_t whylen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	memset(p, 0, sizeof(*p));
	dp_bell_init(&p->bell);
	memset(&conf, 0, sizeof(conf));
	p->id = port;
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(why, whylen, "no device info: %s", strerror(-rc));
		return rc;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	{
		const struct rte_devargs *da = rte_dev_devargs(info.device);

		p->devargs = da != NULL && da->args != NULL ? da->args : "";
	}
	/* A frame in memif's shared memory cannot be corrupted on the way; peer
	 * datagrams carry a MAC anyway. Everywhere else, a wire or a kernel.
	 */
	p->udp_csum = strcmp(p->driver, "net_memif") != 0;
	p->nrxq = (uint16_t)(nworkers < info.max_rx_queues ? nworkers : info.max_rx_queues);
	p->ntxq = (uint16_t)(nworkers < info.max_tx_queues ? nworkers : info.max_tx_queues);
	if (p->nrxq == 0 || p->ntxq == 0) {
		snprintf(why, whylen, "%s offers no queue", p->driver);
		return -EINVAL;
	}
	/* A PMD that refuses Rx interrupts (at configure or at start: some
	 * NICs under UIO) runs without them.
	 */
	conf.intr_conf.rxq = rx_intr ? 1 : 0;
	rc = configure_and_start(p, &conf, pool);
	if (rc != 0 && conf.intr_conf.rxq == 1) {
		conf.intr_conf.rxq = 0;
		rc = configure_and_start(p, &conf, pool);
	}
	p->rx_intr = rc == 0 && conf.intr_conf.rxq == 1;
	if (rc != 0) {
		snprintf(why, whylen, "%s with %u queue pair(s): %s", p->driver, p->nrxq,
			 strerror(-rc));
		return rc;
	}
	/* Frames for our MAC are what we want; promiscuous mode only matters
	 * on PMDs that filter, and its failure is not fatal.
	 */
	(void)rte_eth_promiscuous_enable(port);
	if (strcmp(p->driver, "net_memif") == 0) {
		uint16_t nq = p->nrxq > p->ntxq ? p->nrxq : p->ntxq;

		/* Without a doorbell the port still works, woken by a timer. */
		if (dp_bell_open(&p->bell, p->devargs, nq, why, whylen) != 0)
			dp_log(DP_LOG_WARNING, "port %u: %s; a timer wakes its workers", port, why);
	}
	return 0;
}

/* Builds the rule for partition <i> into the caller's arrays. */
static void
rule(const struct dp_options *o, uint16_t i, uint16_t queue, struct rte_flow_item_ipv4 ip[2],
     struct rte_flow_item_udp udp[2], struct rte_flow_action_queue *aq,
     struct rte_flow_item pattern[4], struct rte_flow_action action[2])
{
	memset(ip, 0, 2 * sizeof(*ip));
	memset(udp, 0, 2 * sizeof(*udp));
	ip[0].hdr.dst_addr = o->ip;
	ip[1].hdr.dst_addr = 0xffffffffu;
	udp[0].hdr.dst_port = rte_cpu_to_be_16((uint16_t)(o->base_port + i));
	udp[1].hdr.dst_port = 0xffff;
	aq->index = queue;
	memset(pattern, 0, 4 * sizeof(*pattern));
	pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	pattern[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip[0],
					     .mask = &ip[1] };
	pattern[2] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &udp[0],
					     .mask = &udp[1] };
	pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
	action[0] = (struct rte_flow_action){ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = aq };
	action[1] = (struct rte_flow_action){ .type = RTE_FLOW_ACTION_TYPE_END };
}

bool
dp_port_steer(struct dp_port *p, const struct dp_options *o, const uint16_t *owner, char *why,
	      size_t whylen)
{
	const struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item_ipv4 ip[2];
	struct rte_flow_item_udp udp[2];
	struct rte_flow_action_queue aq;
	struct rte_flow_item pattern[4];
	struct rte_flow_action action[2];
	struct rte_flow_error err;

	p->hw_steering = false;
	if (p->nrxq < 2) {
		snprintf(why, whylen, "one RX queue");
		return false;
	}
	/* All or nothing: validate every rule before creating any. */
	for (uint16_t i = 0; i < o->partitions; i++) {
		if (owner[i] >= p->nrxq) {
			snprintf(why, whylen, "fewer RX queues than workers");
			return false;
		}
		rule(o, i, owner[i], ip, udp, &aq, pattern, action);
		memset(&err, 0, sizeof(err));
		if (rte_flow_validate(p->id, &attr, pattern, action, &err) != 0) {
			snprintf(why, whylen, "rte_flow_validate: %s",
				 err.message != NULL ? err.message : "refused");
			return false;
		}
	}
	for (uint16_t i = 0; i < o->partitions; i++) {
		rule(o, i, owner[i], ip, udp, &aq, pattern, action);
		if (rte_flow_create(p->id, &attr, pattern, action, &err) == NULL) {
			snprintf(why, whylen, "rte_flow_create: %s",
				 err.message != NULL ? err.message : "refused");
			(void)rte_flow_flush(p->id, &err);
			return false;
		}
	}
	p->hw_steering = true;
	return true;
}

void
dp_port_stop(struct dp_port *p)
{
	struct rte_flow_error err;

	if (p->hw_steering)
		(void)rte_flow_flush(p->id, &err);
	(void)rte_eth_dev_stop(p->id);
	(void)rte_eth_dev_close(p->id);
	dp_bell_close(&p->bell);
}
