/* Telemetry commands (see telemetry.h). */
#include <stdio.h>

#include <rte_telemetry.h>

#include "log.h"
#include "telemetry.h"

static struct dp_replica *replica;

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct dp_counters c;

	(void)cmd;
	(void)params;
	dp_plane_counters(&replica->plane, &c);
	rte_tel_data_start_dict(d);
#define T(name, desc) rte_tel_data_add_dict_u64(d, #name, c.dp.name);
	DP_STAT_LIST(T)
#undef T
#define T(name, desc) rte_tel_data_add_dict_u64(d, #name, c.core.name);
	PK_STAT_LIST(T)
#undef T
	rte_tel_data_add_dict_u64(d, "latency_count", c.latency.count);
	rte_tel_data_add_dict_u64(d, "latency_p50_ns", pk_hist_quantile(&c.latency, 0.5));
	rte_tel_data_add_dict_u64(d, "latency_p99_ns", pk_hist_quantile(&c.latency, 0.99));
	rte_tel_data_add_dict_u64(d, "latency_p999_ns", pk_hist_quantile(&c.latency, 0.999));
	rte_tel_data_add_dict_u64(d, "latency_max_ns", c.latency.max);
	return 0;
}

static int
cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct dp_report one;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t w = 0; w < replica->nworkers; w++) {
		struct rte_tel_data *l = rte_tel_data_alloc();
		char name[32];

		if (l == NULL)
			return -1;
		dp_plane_report(&replica->plane, w, &one);
		rte_tel_data_start_dict(l);
		rte_tel_data_add_dict_u64(l, "worker", w);
#define T(name, value) rte_tel_data_add_dict_u64(l, name, value);
		DP_LCORE_SUMMARY(T, &one.counters)
#undef T
		snprintf(name, sizeof(name), "lcore%u", one.lcore_id);
		rte_tel_data_add_dict_container(d, name, l, 0);
	}
	return 0;
}

static int
add_list(struct rte_tel_data *d, const char *name, uint16_t mask)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a == NULL)
		return -1;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (uint16_t n = 0; n < 16; n++)
		if (mask & (1u << n))
			rte_tel_data_add_array_u64(a, n);
	return rte_tel_data_add_dict_container(d, name, a, 0);
}

static int
cmd_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pk_config copy;
	const struct pk_config *cfg = &copy;

	dp_plane_config(&replica->plane, &copy);
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "node", replica->opt->node);
	rte_tel_data_add_dict_u64(d, "cluster", replica->opt->cluster_id);
	rte_tel_data_add_dict_u64(d, "partitions", replica->opt->partitions);
	rte_tel_data_add_dict_u64(d, "workers", replica->nworkers);
	rte_tel_data_add_dict_u64(d, "epoch", cfg->epoch);
	rte_tel_data_add_dict_u64(d, "prepare_quorum", cfg->prepare_quorum);
	rte_tel_data_add_dict_u64(d, "accept_quorum", cfg->accept_quorum);
	if (add_list(d, "prepare", cfg->prepare_mask) != 0 ||
	    add_list(d, "accept", cfg->accept_mask) != 0)
		return -1;
	return 0;
}

int
dp_telemetry_register(struct dp_replica *r)
{
	replica = r;
	if (rte_telemetry_register_cmd("/parnik/stats", cmd_stats,
				       "Parnik counters summed over worker lcores. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/parnik/lcores", cmd_lcores,
				       "Parnik counters per worker lcore. No parameters") != 0 ||
	    rte_telemetry_register_cmd("/parnik/config", cmd_config,
				       "Parnik prepare/accept lists, quorums, epoch. No parameters") != 0) {
		dp_log(DP_LOG_WARNING, "cannot register telemetry commands");
		return -1;
	}
	return 0;
}
