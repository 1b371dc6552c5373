/* Frame classification and construction (see packet.h). Multi-byte header
 * fields are big-endian on the wire and read byte by byte, so the code is
 * independent of the host's byte order and of alignment.
 */
#include <string.h>

#include "packet.h"

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ARP_LEN 28
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

const char *
dp_drop_name(unsigned int reason)
{
	static const char *const names[] = {
#define DP_DROP_NAME(name, desc) #name,
		DP_DROP_LIST(DP_DROP_NAME)
#undef DP_DROP_NAME
	};

	return reason < DP_DROP_COUNT ? names[reason] : "?";
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
get32n(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);	/* stays in network order */
	return v;
}

/* The one's complement sum is the same whatever the byte order of the
 * 16-bit words it adds, once the folded result is put back in order
 * (RFC 1071, section 2): so it adds 32-bit loads into 64 bits, folds, and
 * swaps once, rather than building each big-endian word from two bytes.
 */
uint32_t
dp_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t acc = 0;
	uint16_t folded;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		acc += (v & 0xffffffffu) + (v >> 32);
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		acc += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		acc += v;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint8_t last[2] = { p[0], 0 };	/* the high byte of a word, padded */
		uint16_t v;

		memcpy(&v, last, 2);
		acc += v;
	}
	while (acc >> 16)
		acc = (acc & 0xffffu) + (acc >> 16);
	folded = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = (uint16_t)(folded << 8 | folded >> 8);
#endif
	return sum + folded;
}

uint16_t
dp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The UDP checksum's sum over the IPv4 pseudo-header and <len> bytes. */
static uint32_t
udp_sum(const uint8_t *ip, const uint8_t *udp, uint16_t len)
{
	uint32_t sum = dp_csum_add(0, ip + 12, 8);	/* source, destination */

	sum += IP_PROTO_UDP;
	sum += len;
	return dp_csum_add(sum, udp, len);
}

static void
drop(struct dp_parsed *out, enum dp_drop reason)
{
	out->verdict = DP_DROP;
	out->drop = (uint8_t)reason;
}

static void
classify_arp(const struct dp_iface *ifc, uint8_t *f, uint16_t len, struct dp_parsed *out)
{
	uint8_t *a = f + DP_ETH_LEN;
	uint16_t oper;

	if (len < DP_ETH_LEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_TYPE_IPV4 ||
	    a[4] != 6 || a[5] != 4) {
		drop(out, DP_DROP_arp_malformed);
		return;
	}
	oper = get16(a + 6);
	if (oper != 1 && oper != 2) {
		drop(out, DP_DROP_arp_malformed);
		return;
	}
	memcpy(out->src_mac, a + 8, 6);
	out->src_ip = get32n(a + 14);
	if (get32n(a + 24) != ifc->ip) {
		drop(out, DP_DROP_arp_other);
		return;
	}
	if (oper == 2) {
		out->verdict = DP_LEARN;
		return;
	}
	/* A request for us: answer in place, and the caller may learn too. */
	memcpy(f, a + 8, 6);
	memcpy(f + 6, ifc->mac, 6);
	put16(a + 6, 2);
	memcpy(a + 18, a + 8, 10);		/* target := the requester */
	memcpy(a + 8, ifc->mac, 6);		/* sender := us */
	memcpy(a + 14, &ifc->ip, 4);
	out->verdict = DP_REPLY;
	out->reply_len = DP_ETH_LEN + ARP_LEN;
}

static void
classify_icmp(const struct dp_iface *ifc, uint8_t *f, uint8_t *ip, uint16_t ihl,
	      uint16_t total, struct dp_parsed *out)
{
	uint8_t *icmp = ip + ihl;
	uint16_t icmp_len = (uint16_t)(total - ihl);
	uint32_t src;

	if (icmp_len < 8 || dp_csum_fold(dp_csum_add(0, icmp, icmp_len)) != 0xffff) {
		drop(out, DP_DROP_icmp_malformed);
		return;
	}
	if (icmp[0] != 8 || icmp[1] != 0) {
		drop(out, DP_DROP_icmp_type);
		return;
	}
	/* Echo reply: swap the addresses, type 0, fresh checksums. */
	memcpy(f, f + 6, 6);
	memcpy(f + 6, ifc->mac, 6);
	memcpy(&src, ip + 12, 4);
	memcpy(ip + 16, &src, 4);
	memcpy(ip + 12, &ifc->ip, 4);
	ip[8] = 64;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~dp_csum_fold(dp_csum_add(0, ip, ihl)));
	icmp[0] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 2, (uint16_t)~dp_csum_fold(dp_csum_add(0, icmp, icmp_len)));
	out->verdict = DP_REPLY;
	out->reply_len = (uint16_t)(DP_ETH_LEN + total);
}

/* UDP echo (RFC 862): the datagram goes back with the addresses and ports
 * swapped. A swap leaves both ones' complement sums as they were, so the
 * checksums stay valid; only the TTL is reset (and the IP sum with it).
 * It measures the round trip through this port and worker loop with no
 * protocol work: the floor under every Parnik latency on the same path.
 */
static void
echo_udp(const struct dp_iface *ifc, uint8_t *f, uint8_t *ip, uint16_t ihl, uint16_t total,
	 struct dp_parsed *out)
{
	uint8_t *udp = ip + ihl;
	uint8_t tmp[4];

	memcpy(f, f + 6, 6);
	memcpy(f + 6, ifc->mac, 6);
	memcpy(ip + 16, ip + 12, 4);
	memcpy(ip + 12, &ifc->ip, 4);
	ip[8] = 64;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~dp_csum_fold(dp_csum_add(0, ip, ihl)));
	memcpy(tmp, udp, 2);
	memcpy(udp, udp + 2, 2);
	memcpy(udp + 2, tmp, 2);
	out->verdict = DP_REPLY;
	out->reply_len = (uint16_t)(DP_ETH_LEN + total);
}

static void
classify_udp(const struct dp_iface *ifc, uint8_t *f, uint8_t *ip, uint16_t ihl, uint16_t total,
	     struct dp_parsed *out)
{
	uint8_t *udp = ip + ihl;
	uint16_t avail = (uint16_t)(total - ihl), udp_len, port, csum;

	if (avail < DP_UDP_LEN) {
		drop(out, DP_DROP_udp_short);
		return;
	}
	udp_len = get16(udp + 4);
	if (udp_len != avail) {
		drop(out, DP_DROP_udp_length);
		return;
	}
	csum = get16(udp + 6);
	/* 0 means "no checksum" in IPv4; a sum of 0xffff checks out. */
	if (csum != 0 && dp_csum_fold(udp_sum(ip, udp, udp_len)) != 0xffff) {
		drop(out, DP_DROP_udp_checksum);
		return;
	}
	port = get16(udp + 2);
	/* An echo from port 7 would bounce between two echo hosts for ever. */
	if (port == DP_ECHO_PORT && get16(udp) != DP_ECHO_PORT) {
		echo_udp(ifc, f, ip, ihl, total, out);
		return;
	}
	if (port < ifc->base_port || port - ifc->base_port >= ifc->partitions) {
		drop(out, DP_DROP_udp_port);
		return;
	}
	out->verdict = DP_PAYLOAD;
	out->partition = (uint16_t)(port - ifc->base_port);
	out->src_port = get16(udp);
	out->payload_off = (uint16_t)(DP_ETH_LEN + ihl + DP_UDP_LEN);
	out->payload_len = (uint16_t)(udp_len - DP_UDP_LEN);
}

void
dp_packet_classify(const struct dp_iface *ifc, uint8_t *f, uint16_t len, struct dp_parsed *out)
{
	uint8_t *ip = f + DP_ETH_LEN;
	uint16_t type, ihl, total;

	memset(out, 0, sizeof(*out));
	if (len < DP_ETH_LEN) {
		drop(out, DP_DROP_frame_short);
		return;
	}
	memcpy(out->src_mac, f + 6, 6);
	type = get16(f + 12);
	if (type == ETH_TYPE_ARP) {
		classify_arp(ifc, f, len, out);
		return;
	}
	if (type != ETH_TYPE_IPV4) {
		drop(out, DP_DROP_eth_type);
		return;
	}
	if (memcmp(f, ifc->mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) {
		drop(out, DP_DROP_mac_other);
		return;
	}
	if (len < DP_ETH_LEN + DP_IP_LEN) {
		drop(out, DP_DROP_ip_short);
		return;
	}
	ihl = (uint16_t)((ip[0] & 0x0f) * 4);
	if ((ip[0] >> 4) != 4 || ihl < DP_IP_LEN) {
		drop(out, DP_DROP_ip_version);
		return;
	}
	total = get16(ip + 2);
	/* Frames may carry padding after the IP packet, never less than it. */
	if (ihl > len - DP_ETH_LEN || total < ihl || total > len - DP_ETH_LEN) {
		drop(out, DP_DROP_ip_length);
		return;
	}
	if (dp_csum_fold(dp_csum_add(0, ip, ihl)) != 0xffff) {
		drop(out, DP_DROP_ip_checksum);
		return;
	}
	if ((get16(ip + 6) & 0x3fff) != 0) {	/* MF flag or an offset */
		drop(out, DP_DROP_ip_fragment);
		return;
	}
	out->src_ip = get32n(ip + 12);
	if (get32n(ip + 16) != ifc->ip) {
		drop(out, DP_DROP_ip_other);
		return;
	}
	if (ip[9] == IP_PROTO_UDP)
		classify_udp(ifc, f, ip, ihl, total, out);
	else if (ip[9] == IP_PROTO_ICMP)
		classify_icmp(ifc, f, ip, ihl, total, out);
	else
		drop(out, DP_DROP_ip_proto);
}

uint16_t
dp_packet_build_udp(uint8_t *f, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		    uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
		    uint16_t payload_len, bool udp_csum)
{
	uint8_t *ip = f + DP_ETH_LEN, *udp = ip + DP_IP_LEN;
	uint16_t udp_len = (uint16_t)(DP_UDP_LEN + payload_len);
	uint16_t csum;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, ETH_TYPE_IPV4);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(DP_IP_LEN + udp_len));
	put16(ip + 4, 0);
	put16(ip + 6, 0x4000);			/* don't fragment */
	ip[8] = 64;
	ip[9] = IP_PROTO_UDP;
	put16(ip + 10, 0);
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16(ip + 10, (uint16_t)~dp_csum_fold(dp_csum_add(0, ip, DP_IP_LEN)));
	put16(udp, src_port);
	put16(udp + 2, dst_port);
	put16(udp + 4, udp_len);
	put16(udp + 6, 0);
	if (!udp_csum)
		return (uint16_t)(DP_HDRS_LEN + payload_len);	/* 0: none (IPv4 allows it) */
	csum = (uint16_t)~dp_csum_fold(udp_sum(ip, udp, udp_len));
	put16(udp + 6, csum == 0 ? 0xffff : csum);	/* 0 would mean "none" */
	return (uint16_t)(DP_HDRS_LEN + payload_len);
}

uint16_t
dp_packet_build_arp_request(uint8_t *f, const struct dp_iface *ifc, uint32_t target_ip)
{
	uint8_t *a = f + DP_ETH_LEN;

	memcpy(f, broadcast, 6);
	memcpy(f + 6, ifc->mac, 6);
	put16(f + 12, ETH_TYPE_ARP);
	put16(a, 1);
	put16(a + 2, ETH_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, ifc->mac, 6);
	memcpy(a + 14, &ifc->ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &target_ip, 4);
	return DP_ETH_LEN + ARP_LEN;
}

uint32_t
dp_packet_remote_ip(const uint8_t *f, uint16_t len, bool out)
{
	uint32_t ip;
	unsigned int at;

	if (len < 42)	/* an ARP frame, the shortest we look into */
		return 0;
	if (f[12] == 0x08 && f[13] == 0x00)
		at = out ? 30 : 26;	/* IPv4 destination / source */
	else if (f[12] == 0x08 && f[13] == 0x06)
		at = out ? 38 : 28;	/* ARP target / sender protocol address */
	else
		return 0;
	memcpy(&ip, f + at, 4);
	return ip;
}
