/* Frame classification: valid UDP reaches its partition; ARP and ICMP echo
 * for us are answered in place; every malformed or foreign frame is a drop
 * with its own reason; random corruption never reads out of bounds.
 */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "packet.h"

static struct dp_iface us = { .mac = { 2, 0, 0, 0, 0, 1 }, .base_port = 7700, .partitions = 4 };
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 2 };

static uint16_t
udp_frame(uint8_t *f, uint16_t port, const char *payload)
{
	uint16_t n = (uint16_t)strlen(payload);

	memcpy(f + DP_HDRS_LEN, payload, n);
	return dp_packet_build_udp(f, peer_mac, us.mac, check_ip4("198.18.0.2"), us.ip, 40000, port,
				   n, true);
}

static uint8_t
classify(uint8_t *f, uint16_t len, struct dp_parsed *p)
{
	dp_packet_classify(&us, f, len, p);
	return p->verdict;
}

static uint8_t
drop_reason(uint8_t *f, uint16_t len)
{
	struct dp_parsed p;

	dp_packet_classify(&us, f, len, &p);
	return p.verdict == DP_DROP ? p.drop : 0xff;
}

static void
test_udp_to_partition(void)
{
	uint8_t f[256];
	struct dp_parsed p;
	uint16_t len;

	us.ip = check_ip4("198.18.0.1");
	len = udp_frame(f, 7702, "hello");
	CHECK_EQ(classify(f, len, &p), DP_PAYLOAD);
	CHECK_EQ(p.partition, 2);
	CHECK_EQ(p.payload_len, 5);
	CHECK(memcmp(f + p.payload_off, "hello", 5) == 0);
	CHECK_EQ(p.src_port, 40000);
	CHECK(p.src_ip == check_ip4("198.18.0.2"));
	CHECK(memcmp(p.src_mac, peer_mac, 6) == 0);
	/* Ethernet padding after the IP packet is fine. */
	memset(f + len, 0, 20);
	CHECK_EQ(classify(f, (uint16_t)(len + 20), &p), DP_PAYLOAD);
	/* A zero UDP checksum means "none". */
	f[DP_ETH_LEN + DP_IP_LEN + 6] = 0;
	f[DP_ETH_LEN + DP_IP_LEN + 7] = 0;
	CHECK_EQ(classify(f, len, &p), DP_PAYLOAD);
}

static void
test_drops_by_reason(void)
{
	uint8_t f[256], g[256];
	uint16_t len;
	size_t ip = DP_ETH_LEN, udp = DP_ETH_LEN + DP_IP_LEN;

	us.ip = check_ip4("198.18.0.1");
	len = udp_frame(f, 7700, "payload");
	CHECK_EQ(drop_reason(f, 10), DP_DROP_frame_short);
	CHECK_EQ(drop_reason(f, 20), DP_DROP_ip_short);
#define MUTATE(off, val, reason)                                       \
	do {                                                            \
		memcpy(g, f, len);                                      \
		g[(off)] = (uint8_t)(val);                              \
		CHECK_EQ(drop_reason(g, len), (reason));                \
	} while (0)
	MUTATE(12, 0x81, DP_DROP_eth_type);		/* 0x8100: VLAN */
	MUTATE(0, 0x04, DP_DROP_mac_other);
	MUTATE(ip, 0x65, DP_DROP_ip_version);
	MUTATE(ip, 0x44, DP_DROP_ip_version);		/* IHL 16 bytes */
	MUTATE(ip + 2, 0x10, DP_DROP_ip_length);	/* total length > frame */
	MUTATE(ip + 8, 0x10, DP_DROP_ip_checksum);	/* TTL changed */
	MUTATE(udp + 7, f[udp + 7] ^ 1, DP_DROP_udp_checksum);
	MUTATE(udp + 7 + 1, 'P' ^ 1, DP_DROP_udp_checksum);	/* payload changed */
	CHECK_EQ(drop_reason(f, (uint16_t)(len - 1)), DP_DROP_ip_length);
	/* Fields that need the checksums fixed to reach their own check. */
	len = udp_frame(f, 7704, "x");		/* one past the last partition */
	CHECK_EQ(drop_reason(f, len), DP_DROP_udp_port);
	len = udp_frame(f, 7699, "x");
	CHECK_EQ(drop_reason(f, len), DP_DROP_udp_port);
	len = dp_packet_build_udp(f, peer_mac, us.mac, check_ip4("198.18.0.2"), check_ip4("198.18.0.9"), 1,
				  7700, 0, true);
	CHECK_EQ(drop_reason(f, len), DP_DROP_ip_other);
#undef MUTATE
}

/* Rewrites IPv4 header bytes and fixes the header checksum. */
static void
ip_patch(uint8_t *f, size_t off, uint8_t val)
{
	uint8_t *ip = f + DP_ETH_LEN;
	uint16_t c;

	ip[off] = val;
	ip[10] = ip[11] = 0;
	c = (uint16_t)~dp_csum_fold(dp_csum_add(0, ip, DP_IP_LEN));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void
test_checked_after_the_ip_checksum(void)
{
	uint8_t f[256];
	uint16_t len;

	us.ip = check_ip4("198.18.0.1");
	len = udp_frame(f, 7700, "abc");
	ip_patch(f, 6, 0x20);		/* more fragments */
	CHECK_EQ(drop_reason(f, len), DP_DROP_ip_fragment);
	len = udp_frame(f, 7700, "abc");
	ip_patch(f, 9, 6);		/* TCP */
	CHECK_EQ(drop_reason(f, len), DP_DROP_ip_proto);
	len = udp_frame(f, 7700, "abc");
	f[DP_ETH_LEN + DP_IP_LEN + 5] = 99;	/* UDP length lies */
	CHECK_EQ(drop_reason(f, len), DP_DROP_udp_length);
	len = udp_frame(f, 7700, "");
	ip_patch(f, 3, DP_IP_LEN + 4);	/* IP says 4 bytes of UDP */
	CHECK_EQ(drop_reason(f, len), DP_DROP_udp_short);
}

static void
test_arp(void)
{
	uint8_t f[64];
	struct dp_parsed p;
	struct dp_iface peer = { .mac = { 2, 0, 0, 0, 0, 2 } };
	uint16_t len;

	us.ip = check_ip4("198.18.0.1");
	peer.ip = check_ip4("198.18.0.2");
	/* A peer asks for us: we answer in place, to it, with our MAC. */
	len = dp_packet_build_arp_request(f, &peer, us.ip);
	CHECK_EQ(len, 42);
	CHECK_EQ(classify(f, len, &p), DP_REPLY);
	CHECK_EQ(p.reply_len, 42);
	CHECK(p.src_ip == peer.ip && memcmp(p.src_mac, peer.mac, 6) == 0);
	CHECK(memcmp(f, peer.mac, 6) == 0 && memcmp(f + 6, us.mac, 6) == 0);
	CHECK(f[21] == 2);				/* reply */
	CHECK(memcmp(f + 22, us.mac, 6) == 0);		/* sender: us */
	CHECK(memcmp(f + 32, peer.mac, 6) == 0);	/* target: the peer */
	/* Our reply, as the peer sees it: something to learn. */
	{
		struct dp_parsed q;

		dp_packet_classify(&peer, f, len, &q);
		CHECK_EQ(q.verdict, DP_LEARN);
		CHECK(q.src_ip == us.ip && memcmp(q.src_mac, us.mac, 6) == 0);
	}
	/* Requests for someone else and malformed ARP are dropped. */
	len = dp_packet_build_arp_request(f, &peer, check_ip4("198.18.0.7"));
	CHECK_EQ(drop_reason(f, len), DP_DROP_arp_other);
	len = dp_packet_build_arp_request(f, &peer, us.ip);
	CHECK_EQ(drop_reason(f, 30), DP_DROP_arp_malformed);
	f[18] = 4;	/* hardware address length */
	CHECK_EQ(drop_reason(f, len), DP_DROP_arp_malformed);
}

static void
test_icmp_echo(void)
{
	uint8_t f[128];
	uint8_t *ip = f + DP_ETH_LEN, *icmp = ip + DP_IP_LEN;
	struct dp_parsed p;
	uint16_t len, c;

	us.ip = check_ip4("198.18.0.1");
	/* Build an echo request by hand on top of a UDP frame's IP header. */
	len = udp_frame(f, 7700, "0123456789abcdef");
	ip_patch(f, 9, 1);
	memset(icmp, 0, 8);
	icmp[0] = 8;
	icmp[5] = 7;	/* id */
	icmp[7] = 1;	/* seq */
	c = (uint16_t)~dp_csum_fold(dp_csum_add(0, icmp, (uint16_t)(len - DP_ETH_LEN - DP_IP_LEN)));
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	CHECK_EQ(classify(f, len, &p), DP_REPLY);
	CHECK_EQ(p.reply_len, len);
	CHECK(icmp[0] == 0 && icmp[5] == 7 && icmp[7] == 1);
	CHECK(memcmp(ip + 12, &us.ip, 4) == 0);
	CHECK(memcmp(f, peer_mac, 6) == 0);
	CHECK(dp_csum_fold(dp_csum_add(0, ip, DP_IP_LEN)) == 0xffff);
	CHECK(dp_csum_fold(dp_csum_add(0, icmp, (uint16_t)(len - DP_ETH_LEN - DP_IP_LEN))) ==
	      0xffff);
	/* Our own reply is not an echo request: not answered again. The
	 * swapped addresses make it for 198.18.0.2, so check as that host.
	 */
	{
		struct dp_iface other = us;

		other.ip = check_ip4("198.18.0.2");
		memcpy(other.mac, peer_mac, 6);
		dp_packet_classify(&other, f, len, &p);
		CHECK(p.verdict == DP_DROP && p.drop == DP_DROP_icmp_type);
	}
}

static void
test_udp_echo(void)
{
	uint8_t f[128], sent[128];
	uint8_t *ip = f + DP_ETH_LEN, *udp = ip + DP_IP_LEN;
	struct dp_parsed p;
	uint16_t len;

	us.ip = check_ip4("198.18.0.1");
	len = udp_frame(f, DP_ECHO_PORT, "ping 0123");
	memcpy(sent, f, len);
	CHECK_EQ(classify(f, len, &p), DP_REPLY);
	CHECK_EQ(p.reply_len, len);
	/* Back to the sender, ports swapped, payload untouched, sums valid. */
	CHECK(memcmp(f, peer_mac, 6) == 0 && memcmp(f + 6, us.mac, 6) == 0);
	CHECK(memcmp(ip + 12, &us.ip, 4) == 0 && memcmp(ip + 16, sent + DP_ETH_LEN + 12, 4) == 0);
	CHECK(udp[0] == 0 && udp[1] == DP_ECHO_PORT && udp[2] == (40000 >> 8) &&
	      udp[3] == (40000 & 0xff));
	CHECK(memcmp(f + DP_HDRS_LEN, "ping 0123", 9) == 0);
	CHECK(dp_csum_fold(dp_csum_add(0, ip, DP_IP_LEN)) == 0xffff);
	{
		/* The reply parses as a valid UDP datagram at the sender. */
		struct dp_iface peer = us;

		peer.ip = check_ip4("198.18.0.2");
		memcpy(peer.mac, peer_mac, 6);
		peer.base_port = 40000;
		peer.partitions = 1;
		dp_packet_classify(&peer, f, len, &p);
		CHECK_EQ(p.verdict, DP_PAYLOAD);
	}
	/* From port 7 it is not answered: two echo hosts would loop. */
	len = dp_packet_build_udp(f, peer_mac, us.mac, check_ip4("198.18.0.2"), us.ip, DP_ECHO_PORT,
				  DP_ECHO_PORT, 4, true);
	CHECK_EQ(drop_reason(f, len), DP_DROP_udp_port);
}

static void
test_random_corruption(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int payloads = 0;

	us.ip = check_ip4("198.18.0.1");
	for (int i = 0; i < 200000; i++) {
		uint8_t f[128];
		struct dp_parsed p;
		uint16_t len = udp_frame(f, (uint16_t)(7700 + i % 5), "corrupt me please");

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f[(x >> 8) % len] ^= (uint8_t)(1u << (x % 8));
		if (x % 3 == 0)
			len = (uint16_t)((x >> 32) % (len + 1));
		dp_packet_classify(&us, f, len, &p);
		CHECK(p.verdict >= DP_PAYLOAD && p.verdict <= DP_DROP);
		if (p.verdict == DP_PAYLOAD) {
			payloads++;
			CHECK(p.payload_off + p.payload_len <= len);
			CHECK(p.partition < us.partitions);
		}
	}
	CHECK(payloads > 0);	/* flips in the source MAC, say, still deliver */
}

/* RFC 1071's sum, one big-endian 16-bit word at a time: what the fast sum
 * must equal.
 */
static uint32_t
reference_sum(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static void
test_fast_checksum_equals_rfc1071(void)
{
	uint8_t buf[1600];

	check_fill(buf, sizeof(buf), 0x9e3779b97f4a7c15ull);
	for (uint32_t off = 0; off < 8; off++)
		for (uint32_t len = 0; len + off <= sizeof(buf); len += 1 + len / 32)
			CHECK_EQ(dp_csum_fold(dp_csum_add(7, buf + off, len)),
				 dp_csum_fold(reference_sum(7, buf + off, len)));
	/* All ones: the carries that fold back in. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(dp_csum_fold(dp_csum_add(0, buf, 1499)), dp_csum_fold(reference_sum(0, buf, 1499)));
}

/* Without a UDP checksum (memif) the field is 0, which receivers take as
 * "none"; the IPv4 header keeps its own.
 */
static void
test_udp_without_checksum(void)
{
	uint8_t f[256];
	struct dp_parsed p;
	uint16_t len;

	us.ip = check_ip4("198.18.0.1");
	memcpy(f + DP_HDRS_LEN, "hello", 5);
	len = dp_packet_build_udp(f, peer_mac, us.mac, check_ip4("198.18.0.2"), us.ip, 40000, 7701,
				  5, false);
	CHECK_EQ(f[DP_ETH_LEN + DP_IP_LEN + 6], 0);
	CHECK_EQ(f[DP_ETH_LEN + DP_IP_LEN + 7], 0);
	CHECK_EQ(classify(f, len, &p), DP_PAYLOAD);
	CHECK_EQ(p.partition, 1);
	f[DP_ETH_LEN + 8] ^= 1;	/* the TTL: the header checksum still guards it */
	CHECK_EQ(drop_reason(f, len), DP_DROP_ip_checksum);
}

int
main(int argc, char **argv)
{
	static const struct check_case cases[] = {
		{ "udp_to_partition", test_udp_to_partition },
		{ "drops_by_reason", test_drops_by_reason },
		{ "checked_after_the_ip_checksum", test_checked_after_the_ip_checksum },
		{ "arp", test_arp },
		{ "icmp_echo", test_icmp_echo },
		{ "udp_echo", test_udp_echo },
		{ "random_corruption", test_random_corruption },
		{ "fast_checksum_equals_rfc1071", test_fast_checksum_equals_rfc1071 },
		{ "udp_without_checksum", test_udp_without_checksum },
	};

	return check_run(argc, argv, cases, (int)(sizeof(cases) / sizeof(cases[0])));
}
