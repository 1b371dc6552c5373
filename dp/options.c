/* parnikd option parsing and validation (see options.h). */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "log.h"
#include "options.h"
#include "parnik/config.h"
#include "parnik/keyfile.h"

void
dp_options_usage(FILE *f)
{
	fprintf(f,
		"usage: parnikd [EAL options] -- --node ID --addr IPV4 --member ID=IPV4 ...\n"
		"                [options]\n"
		"  --node ID            this replica's id (0..15), one of the members\n"
		"  --addr IPV4          this replica's address (the DPDK port answers ARP for it)\n"
		"  --member ID=IPV4     a cluster member, this replica included; repeat for each\n"
		"  --port BASE          base UDP port: partition i listens on BASE+i (default 7700)\n"
		"  --partitions P       partition (worker) count, the same on every member\n"
		"                       (default 1, at most %d)\n"
		"  --cluster ID         cluster id carried in every datagram (default 1)\n"
		"  --bootstrap          start a new cluster: acceptors vote at once, lists from\n"
		"                       --lists. Without it a replica starts empty, answers\n"
		"                       UNAVAILABLE and refuses to vote until the control plane\n"
		"                       gives it the cluster's config and re-admits it.\n"
		"                       It first asks every other member what it holds and\n"
		"                       votes only when every member of its lists answered\n"
		"                       and none holds keys, removed keys or a later config;\n"
		"                       otherwise it refuses to start (exit 2): a restarted\n"
		"                       replica must be readmitted, not bootstrapped.\n"
		"  --force-bootstrap    --bootstrap without asking: only to build a brand-new\n"
		"                       cluster over members that may still hold old state\n"
		"  --bootstrap-wait MS  how long --bootstrap waits for the members' answers\n"
		"                       (default 10000)\n"
		"  --lists ID,ID,...    with --bootstrap: the members in the initial prepare and\n"
		"                       accept lists (majority quorums; default every member).\n"
		"                       The other members start as spares, grown in live.\n"
		"  --peer-key FILE      the cluster's peer key (64 hex digits, mode 0600; make\n"
		"                       one with 'parnikctl keygen FILE' and copy it to every\n"
		"                       replica): replica-to-replica datagrams are sealed with\n"
		"                       it and unsealed ones refused. Required unless\n"
		"                       --insecure-peers.\n"
		"  --insecure-peers     run without a peer key: anyone who can reach the\n"
		"                       replicas' ports can forge their messages (test benches)\n"
		"  --client-key FILE    clients must seal their requests with this key; others\n"
		"                       are answered UNAUTHENTICATED (default: open to clients)\n",
		DP_MAX_PARTITIONS);
	fprintf(f,
		"  --neighbour IPV4=MAC[@PORT]  static ARP entry (default: resolved by ARP);\n"
		"                       PORT is a DPDK port id (default 0)\n"
		"  --idle poll|adaptive busy polling, or sleeps after empty polls (default:\n"
		"                       adaptive when lcores outnumber cores)\n"
		"  --idle-max-us US     adaptive: longest sleep of a worker polling a queue\n"
		"                       that cannot wake it on arrival (a PMD without Rx\n"
		"                       interrupts, a memif peer that rings no doorbell),\n"
		"                       1..100000 (default 200)\n"
		"  --idle-spin-us US    adaptive: how long a worker keeps polling after its\n"
		"                       last work before it sleeps, 0..100000 (default "
		DP_STR(DP_IDLE_SPIN_US_DEFAULT) ")\n"
		"  --max-keys N         keys per partition (default 1048576)\n"
		"  --max-rounds N       rounds a partition runs at once (default 256,\n"
		"                       1..16384); a request that would start another is\n"
		"                       answered BUSY at once (load shedding)\n"
		"  --shed-queue-us US   answer new requests BUSY while every receive burst\n"
		"                       has come back full for US microseconds (a standing\n"
		"                       queue; 100..1000000; default 0: off)\n"
		"  --tx-flush auto|datagram|pass  frames leave after each received\n"
		"                       datagram's work (peers start sooner) or once per\n"
		"                       pass (fewer transmit calls); auto: per pass on\n"
		"                       af_packet, where each is a system call, per\n"
		"                       datagram on the others\n"
		"  --sessions N         client sessions per partition (default 16384,\n"
		"                       1..16777216); OPEN answers BUSY beyond\n"
		"  --session-records N  answers held for retries per partition, in all\n"
		"                       sessions (default 65536, 16..16777216); a write\n"
		"                       answers BUSY beyond\n"
		"  --session-lease-ms MS  a session without requests this long is dropped\n"
		"                       (default 60000, 1000..86400000); its client is\n"
		"                       told SESSION_EXPIRED\n"
		"  --max-value B        value bytes, at most %d (default %d)\n"
		"  --no-1rtt            prepare before every accept\n"
		"  --gc-interval MS     deletion GC sweeps at most this often while deleted keys\n"
		"                       wait (default 1000; 0: only on the 'gc' command)\n"
		"  --stats-file PATH    counters written here on shutdown (default stdout)\n"
		"  --fault-injection    let the control socket's 'fault' command drop, duplicate\n"
		"                       and delay this replica's frames (nemesis tests only)\n"
		"  --ctl PATH           control socket for parnikctl (default\n"
		"                       /run/parnik/parnikd-NODE.sock)\n",
		PK_MAX_VALUE, PK_MAX_VALUE);
	fprintf(f,
		"  --control-listen IPV4:PORT  also serve the control commands over TCP\n"
		"                       (off by default), for parnikctl -s tcp://HOST:PORT on\n"
		"                       other hosts; needs --control-key\n"
		"  --control-key FILE   the key a TCP control client must hold (make one with\n"
		"                       'parnikctl keygen FILE'); every line is encrypted and\n"
		"                       authenticated with it\n"
		"  --metrics IPV4:PORT  serve Prometheus metrics at http://IPV4:PORT/metrics\n"
		"                       (off by default)\n"
		"  --log-level LEVEL    error, warning, notice, info or debug (default info);\n"
		"                       the EAL's --log-level=parnik:LEVEL does the same\n"
		"  --log-syslog         log to syslog (facility daemon) as well as stderr\n"
		"  --peer-silent-ms MS  log a member not heard from this long (every member\n"
		"                       greets the others each second), and when it is heard\n"
		"                       again (default 3000, 1500..3600000)\n"
		"  --config FILE        options from FILE, one per line ('name = value',\n"
		"                       '# comments'); PARNIKD_NAME environment variables\n"
		"                       (PARNIKD_PEER_KEY=...; PARNIKD_MEMBER=\"0=IP 1=IP\")\n"
		"                       override the file, and flags override both\n"
		"  --print-config       print the options in force, each with its source\n"
		"  --help, --version\n");
	fprintf(f,
		"Worker lcores: every EAL lcore but the main one (all partitions on the main\n"
		"lcore when it is the only one); partition p belongs to worker p mod W, and\n"
		"each port gets one RX/TX queue pair per worker where the PMD offers it.\n"
		"Examples (EAL part): -l 0-2 (bare metal, 2 partitions: main + 2 workers);\n"
		"  --no-huge -m 256 --no-shconf --file-prefix r0 --no-pci --lcores '(0-2)@(0-1)'\n"
		"  --vdev net_af_packet0,iface=veth0,qdisc_bypass=1,framecnt=4096,qpairs=2\n"
		"  [--vdev net_memif0,role=server,socket=/run/pk01.sock,socket-abstract=no]\n"
		"exit: 0 after a clean shutdown (SIGINT, SIGTERM); 2 on a bad option or a\n"
		"      --bootstrap refused (the cluster exists);\n"
		"      1 on a start-up failure (EAL, ports, memory)\n");
}

static bool
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &end, 10);
	return *end == 0 && *out <= max;
}

static bool
parse_ip(const char *s, uint32_t *ip)
{
	return inet_pton(AF_INET, s, ip) == 1;
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static int
add_member(struct dp_options *o, char *arg, char *err, size_t errlen)
{
	char *eq = strchr(arg, '=');
	unsigned long id;
	struct dp_member *m;

	if (eq == NULL)
		return pk_errf(err, errlen, "--member %s: expected ID=IPV4", arg);
	*eq = 0;
	if (!parse_uint(arg, PK_MAX_NODES - 1, &id))
		return pk_errf(err, errlen, "--member: id '%s' is not 0..%d", arg, PK_MAX_NODES - 1);
	if (o->nmembers == PK_MAX_NODES)
		return pk_errf(err, errlen, "--member: more than %d members", PK_MAX_NODES);
	m = &o->members[o->nmembers];
	m->id = (uint16_t)id;
	if (!parse_ip(eq + 1, &m->ip))
		return pk_errf(err, errlen, "--member %lu: '%s' is not an IPv4 address", id, eq + 1);
	for (unsigned int i = 0; i < o->nmembers; i++) {
		if (o->members[i].id == m->id)
			return pk_errf(err, errlen, "--member: id %lu given twice", id);
		if (o->members[i].ip == m->ip)
			return pk_errf(err, errlen, "--member: address %s given twice", eq + 1);
	}
	o->nmembers++;
	return 0;
}

static int
add_neighbour(struct dp_options *o, char *arg, char *err, size_t errlen)
{
	char *eq = strchr(arg, '='), *at;
	struct dp_neighbour *n;
	unsigned long port = 0;

	if (eq == NULL)
		return pk_errf(err, errlen, "--neighbour %s: expected IPV4=MAC[@PORT]", arg);
	if (o->nneighbours == DP_MAX_NEIGHBOURS)
		return pk_errf(err, errlen, "--neighbour: more than %d", DP_MAX_NEIGHBOURS);
	*eq = 0;
	at = strchr(eq + 1, '@');
	if (at != NULL) {
		*at = 0;
		if (!parse_uint(at + 1, DP_MAX_PORT_ID, &port))
			return pk_errf(err, errlen, "--neighbour %s: bad port '%s'", arg, at + 1);
	}
	n = &o->neighbours[o->nneighbours];
	if (!parse_ip(arg, &n->ip))
		return pk_errf(err, errlen, "--neighbour: '%s' is not an IPv4 address", arg);
	if (!parse_mac(eq + 1, n->mac))
		return pk_errf(err, errlen, "--neighbour %s: '%s' is not a MAC address", arg, eq + 1);
	n->port = (uint16_t)port;
	o->nneighbours++;
	return 0;
}

uint32_t
dp_options_member_ip(const struct dp_options *o, uint16_t id)
{
	for (unsigned int i = 0; i < o->nmembers; i++)
		if (o->members[i].id == id)
			return o->members[i].ip;
	return 0;
}

/* The checks that need every option seen. */
static int
validate(struct dp_options *o, bool have_node, char *err, size_t errlen)
{
	bool self = false;
	uint16_t all = 0;

	if (!have_node)
		return pk_errf(err, errlen, "--node is required");
	if (o->ip == 0)
		return pk_errf(err, errlen, "--addr is required");
	if (o->nmembers == 0)
		return pk_errf(err, errlen, "--member is required (every member, this one included)");
	for (unsigned int i = 0; i < o->nmembers; i++) {
		if (o->members[i].id != o->node)
			continue;
		self = true;
		if (o->members[i].ip != o->ip)
			return pk_errf(err, errlen, "--member %u has another address than --addr",
				    o->node);
	}
	if (!self)
		return pk_errf(err, errlen, "--node %u is not among the --member list", o->node);
	for (unsigned int i = 0; i < o->nmembers; i++)
		all |= (uint16_t)(1u << o->members[i].id);
	if (o->lists == 0)
		o->lists = all;
	else if ((o->lists & ~all) != 0)
		return pk_errf(err, errlen, "--lists names a node that is not a --member");
	if (pk_mask_count(o->lists) < 3 && o->bootstrap)
		fprintf(stderr, "parnikd: warning: %u acceptor(s) tolerate no failure\n",
			pk_mask_count(o->lists));
	if (o->have_peer_key && o->insecure_peers)
		return pk_errf(err, errlen, "--peer-key and --insecure-peers exclude each other");
	if (!o->have_peer_key && !o->insecure_peers)
		return pk_errf(err, errlen,
			    "no --peer-key: without one anybody who reaches the replicas can "
			    "forge their messages; make one with 'parnikctl keygen FILE', or "
			    "give --insecure-peers on a test bench");
	if ((unsigned long)o->base_port + o->partitions > 65536)
		return pk_errf(err, errlen, "--port %u + --partitions %u passes port 65535",
			    o->base_port, o->partitions);
	if (o->control.port != 0 && !o->have_control_key)
		return pk_errf(err, errlen,
			    "--control-listen needs --control-key: a control port without a key "
			    "would let anyone who reaches it reconfigure the cluster");
	if (o->have_control_key && o->control.port == 0)
		return pk_errf(err, errlen, "--control-key without --control-listen: the key "
			    "would guard nothing (give both, or neither)");
	if (o->control.port != 0 && o->metrics.port == o->control.port &&
	    (o->metrics.ip == o->control.ip || o->metrics.ip == 0 || o->control.ip == 0))
		return pk_errf(err, errlen, "--metrics and --control-listen name the same port");
	if (o->ctl_path[0] == 0)
		snprintf(o->ctl_path, sizeof(o->ctl_path), "/run/parnik/parnikd-%u.sock", o->node);
	return 0;
}

bool
dp_listen_parse(const char *s, struct dp_listen *l)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	unsigned long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	if (inet_pton(AF_INET, host, &l->ip) != 1 || !parse_uint(colon + 1, 65535, &port) ||
	    port == 0)
		return false;
	l->port = (uint16_t)port;
	return true;
}

uint8_t
dp_log_level_parse(const char *name)
{
	static const char *const names[] = { "error", "warning", "notice", "info", "debug" };

	for (uint8_t i = 0; i < 5; i++)
		if (strcmp(name, names[i]) == 0)
			return (uint8_t)(DP_LOG_ERR + i);
	return 0;
}

/* parnikd's own options; dp_options_table() hands them to the config module. */
enum {
	O_NODE = 1, O_ADDR, O_MEMBER, O_PORT, O_PARTS, O_CLUSTER, O_BOOT, O_NEIGH,
	O_IDLE, O_IDLEMAX, O_IDLESPIN, O_GCINT, O_KEYS, O_ROUNDS, O_SHEDQ, O_TXFLUSH, O_SESSIONS, O_SESSREC, O_LEASE, O_VALUE, O_NO1RTT, O_STATS, O_CTL, O_HELP, O_LISTS,
	O_PEERKEY, O_INSECURE, O_CLIENTKEY, O_FORCEBOOT, O_BOOTWAIT, O_FAULTS, O_VERSION,
	O_METRICS, O_CTLLISTEN, O_CTLKEY, O_LOGLEVEL, O_LOGSYSLOG, O_SILENT,
};
static const struct option longopts[] = {
	{ "node", required_argument, NULL, O_NODE },
	{ "addr", required_argument, NULL, O_ADDR },
	{ "member", required_argument, NULL, O_MEMBER },
	{ "port", required_argument, NULL, O_PORT },
	{ "partitions", required_argument, NULL, O_PARTS },
	{ "cluster", required_argument, NULL, O_CLUSTER },
	{ "bootstrap", no_argument, NULL, O_BOOT },
	{ "lists", required_argument, NULL, O_LISTS },
	{ "neighbour", required_argument, NULL, O_NEIGH },
	{ "idle", required_argument, NULL, O_IDLE },
	{ "idle-max-us", required_argument, NULL, O_IDLEMAX },
	{ "idle-spin-us", required_argument, NULL, O_IDLESPIN },
	{ "gc-interval", required_argument, NULL, O_GCINT },
	{ "max-keys", required_argument, NULL, O_KEYS },
	{ "max-rounds", required_argument, NULL, O_ROUNDS },
	{ "shed-queue-us", required_argument, NULL, O_SHEDQ },
	{ "tx-flush", required_argument, NULL, O_TXFLUSH },
	{ "sessions", required_argument, NULL, O_SESSIONS },
	{ "session-records", required_argument, NULL, O_SESSREC },
	{ "session-lease-ms", required_argument, NULL, O_LEASE },
	{ "max-value", required_argument, NULL, O_VALUE },
	{ "no-1rtt", no_argument, NULL, O_NO1RTT },
	{ "stats-file", required_argument, NULL, O_STATS },
	{ "ctl", required_argument, NULL, O_CTL },
	{ "force-bootstrap", no_argument, NULL, O_FORCEBOOT },
	{ "bootstrap-wait", required_argument, NULL, O_BOOTWAIT },
	{ "peer-key", required_argument, NULL, O_PEERKEY },
	{ "insecure-peers", no_argument, NULL, O_INSECURE },
	{ "client-key", required_argument, NULL, O_CLIENTKEY },
	{ "fault-injection", no_argument, NULL, O_FAULTS },
	{ "metrics", required_argument, NULL, O_METRICS },
	{ "control-listen", required_argument, NULL, O_CTLLISTEN },
	{ "control-key", required_argument, NULL, O_CTLKEY },
	{ "log-level", required_argument, NULL, O_LOGLEVEL },
	{ "log-syslog", no_argument, NULL, O_LOGSYSLOG },
	{ "peer-silent-ms", required_argument, NULL, O_SILENT },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

const struct option *
dp_options_table(void)
{
	return longopts;
}

int
dp_options_parse(struct dp_options *o, int argc, char **argv, FILE *out, char *err,
		 size_t errlen)
{
	bool have_node = false;
	unsigned long v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->base_port = 7700;
	o->partitions = 1;
	o->cluster_id = 1;
	o->max_keys = 1u << 20;
	o->max_rounds = 256;
	o->max_sessions = 1u << 14;
	o->session_records = 1u << 16;
	o->session_lease_ms = 60000;
	o->max_value = PK_MAX_VALUE;
	o->one_rtt = true;
	o->idle_max_us = 200;
	o->idle_spin_us = DP_IDLE_SPIN_US_DEFAULT;
	o->gc_interval_ms = 1000;
	o->bootstrap_wait_ms = 10000;
	o->peer_silent_ms = 3000;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_NODE:
			if (!parse_uint(optarg, PK_MAX_NODES - 1, &v))
				return pk_errf(err, errlen, "--node '%s' is not 0..%d", optarg,
					    PK_MAX_NODES - 1);
			o->node = (uint16_t)v;
			have_node = true;
			break;
		case O_ADDR:
			if (!parse_ip(optarg, &o->ip) || o->ip == 0)
				return pk_errf(err, errlen, "--addr '%s' is not an IPv4 address",
					    optarg);
			break;
		case O_MEMBER:
		case O_NEIGH: {
			/* Parsed from a copy: argv stays as given (ps shows it). */
			char copy[128];
			int rc;

			if (strlen(optarg) >= sizeof(copy))
				return pk_errf(err, errlen, "option value too long: '%s'", optarg);
			strcpy(copy, optarg);
			rc = opt == O_MEMBER ? add_member(o, copy, err, errlen)
					     : add_neighbour(o, copy, err, errlen);
			if (rc != 0)
				return -1;
			break;
		}
		case O_PORT:
			if (!parse_uint(optarg, 65535, &v) || v == 0)
				return pk_errf(err, errlen, "--port '%s' is not 1..65535", optarg);
			o->base_port = (uint16_t)v;
			break;
		case O_PARTS:
			if (!parse_uint(optarg, DP_MAX_PARTITIONS, &v) || v == 0)
				return pk_errf(err, errlen, "--partitions '%s' is not 1..%d", optarg,
					    DP_MAX_PARTITIONS);
			o->partitions = (uint16_t)v;
			break;
		case O_CLUSTER:
			if (!parse_uint(optarg, UINT32_MAX, &v))
				return pk_errf(err, errlen, "--cluster '%s' is not a 32-bit number",
					    optarg);
			o->cluster_id = (uint32_t)v;
			break;
		case O_BOOT:
			o->bootstrap = true;
			break;
		case O_FORCEBOOT:
			o->bootstrap = true;
			o->force_bootstrap = true;
			break;
		case O_BOOTWAIT:
			if (!parse_uint(optarg, 60000, &v))
				return pk_errf(err, errlen, "--bootstrap-wait '%s' is not 0..60000", optarg);
			o->bootstrap_wait_ms = (uint32_t)v;
			break;
		case O_LISTS:
			if (!pk_ids_parse(optarg, &o->lists))
				return pk_errf(err, errlen, "--lists '%s': expected ID,ID,... (0..%d)",
					    optarg, PK_MAX_NODES - 1);
			break;
		case O_IDLE:
			if (strcmp(optarg, "poll") == 0)
				o->idle = DP_IDLE_POLL;
			else if (strcmp(optarg, "adaptive") == 0)
				o->idle = DP_IDLE_ADAPTIVE;
			else
				return pk_errf(err, errlen, "--idle '%s': expected poll or adaptive",
					    optarg);
			break;
		case O_IDLEMAX:
			if (!parse_uint(optarg, 100000, &v) || v == 0)
				return pk_errf(err, errlen, "--idle-max-us '%s' is not 1..100000", optarg);
			o->idle_max_us = (uint32_t)v;
			break;
		case O_IDLESPIN:
			if (!parse_uint(optarg, 100000, &v))
				return pk_errf(err, errlen, "--idle-spin-us '%s' is not 0..100000", optarg);
			o->idle_spin_us = (uint32_t)v;
			break;
		case O_GCINT:
			if (!parse_uint(optarg, 3600000, &v))
				return pk_errf(err, errlen, "--gc-interval '%s' is not 0..3600000", optarg);
			o->gc_interval_ms = (uint32_t)v;
			break;
		case O_KEYS:
			if (!parse_uint(optarg, 1ul << 30, &v) || v == 0)
				return pk_errf(err, errlen, "--max-keys '%s' is not 1..2^30", optarg);
			o->max_keys = (uint32_t)v;
			break;
		case O_ROUNDS:
			if (!parse_uint(optarg, 16384, &v) || v == 0)
				return pk_errf(err, errlen, "--max-rounds '%s' is not 1..16384", optarg);
			o->max_rounds = (uint32_t)v;
			break;
		case O_SHEDQ:
			if (!parse_uint(optarg, 1000000, &v) || (v != 0 && v < 100))
				return pk_errf(err, errlen, "--shed-queue-us '%s' is not 0 or 100..1000000",
					    optarg);
			o->shed_queue_us = (uint32_t)v;
			break;
		case O_TXFLUSH:
			if (strcmp(optarg, "auto") == 0)
				o->tx_flush = DP_TX_AUTO;
			else if (strcmp(optarg, "datagram") == 0)
				o->tx_flush = DP_TX_DATAGRAM;
			else if (strcmp(optarg, "pass") == 0)
				o->tx_flush = DP_TX_PASS;
			else
				return pk_errf(err, errlen,
					    "--tx-flush '%s': expected auto, datagram or pass", optarg);
			break;
		case O_SESSIONS:
			if (!parse_uint(optarg, 1ul << 24, &v) || v == 0)
				return pk_errf(err, errlen, "--sessions '%s' is not 1..16777216", optarg);
			o->max_sessions = (uint32_t)v;
			break;
		case O_SESSREC:
			if (!parse_uint(optarg, 1ul << 24, &v) || v < 16)
				return pk_errf(err, errlen, "--session-records '%s' is not 16..16777216",
					    optarg);
			o->session_records = (uint32_t)v;
			break;
		case O_LEASE:
			if (!parse_uint(optarg, 86400000ul, &v) || v < 1000)
				return pk_errf(err, errlen, "--session-lease-ms '%s' is not 1000..86400000",
					    optarg);
			o->session_lease_ms = (uint32_t)v;
			break;
		case O_VALUE:
			if (!parse_uint(optarg, PK_MAX_VALUE, &v))
				return pk_errf(err, errlen, "--max-value '%s' is not 0..%d", optarg,
					    PK_MAX_VALUE);
			o->max_value = (uint16_t)v;
			break;
		case O_NO1RTT:
			o->one_rtt = false;
			break;
		case O_STATS:
			if (strlen(optarg) >= sizeof(o->stats_file))
				return pk_errf(err, errlen, "--stats-file: path too long");
			strcpy(o->stats_file, optarg);
			break;
		case O_CTL:
			if (strlen(optarg) >= sizeof(o->ctl_path) || optarg[0] == 0)
				return pk_errf(err, errlen, "--ctl: path empty or over %zu bytes",
					    sizeof(o->ctl_path) - 1);
			strcpy(o->ctl_path, optarg);
			break;
		case O_PEERKEY:
			if (pk_keyfile_load(optarg, o->peer_secret, err, errlen) != 0)
				return -1;
			o->have_peer_key = true;
			break;
		case O_CLIENTKEY:
			if (pk_keyfile_load(optarg, o->client_secret, err, errlen) != 0)
				return -1;
			o->have_client_key = true;
			break;
		case O_INSECURE:
			o->insecure_peers = true;
			break;
		case O_FAULTS:
			o->fault_injection = true;
			break;
		case O_METRICS:
		case O_CTLLISTEN:
			if (!dp_listen_parse(optarg, opt == O_METRICS ? &o->metrics : &o->control))
				return pk_errf(err, errlen, "--%s '%s': expected IPV4:PORT",
					    opt == O_METRICS ? "metrics" : "control-listen", optarg);
			break;
		case O_CTLKEY:
			if (pk_keyfile_load(optarg, o->control_secret, err, errlen) != 0)
				return -1;
			o->have_control_key = true;
			break;
		case O_LOGLEVEL:
			o->log_level = dp_log_level_parse(optarg);
			if (o->log_level == 0)
				return pk_errf(err, errlen, "--log-level '%s': expected error, warning, "
					    "notice, info or debug", optarg);
			break;
		case O_LOGSYSLOG:
			o->log_syslog = true;
			break;
		case O_SILENT:
			if (!parse_uint(optarg, 3600000, &v) || v < 1500)
				return pk_errf(err, errlen, "--peer-silent-ms '%s' is not 1500..3600000",
					    optarg);
			o->peer_silent_ms = (uint32_t)v;
			break;
		case O_HELP:
			dp_options_usage(out);
			return 1;
		case O_VERSION:
			fprintf(out, "parnikd %s\n", PARNIK_VERSION);
			return 1;
		default:
			return pk_errf(err, errlen, "unknown option or missing value: '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pk_errf(err, errlen, "unexpected argument '%s'", argv[optind]);
	return validate(o, have_node, err, errlen);
}
