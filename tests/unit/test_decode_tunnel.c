/*
 * Tunnels taken off by decode: GRE, ERSPAN, VXLAN, Geneve, GRE-in-UDP, GTP-U,
 * AYIYA, PPPoE, MPLS, LLC/SNAP, IP in IP, nesting and fragments inside.
 */
#include "net/decode.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "decode_rig.h"
#include "guard.h"

/* An outer packet from 10.0.0.1 to 10.0.0.2 around the inner TCP packet of inner(). */
static const uint8_t osrc4[4] = { 10, 0, 0, 1 };
static const uint8_t odst4[4] = { 10, 0, 0, 2 };

/* <a> then <b> into <out>; returns the length. */
static size_t
cat(uint8_t *out, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	memcpy(out, a, an);
	memcpy(out + an, b, bn);
	return an + bn;
}

/* The 20-byte IPv4 header of a packet of protocol <proto> with <n> bytes of payload. */
static void
ip4_hdr(uint8_t *ip, uint8_t proto, size_t n)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	decode_rig_wr16(ip + 2, (uint16_t)(20 + n));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, osrc4, 4);
	memcpy(ip + 16, odst4, 4);
}

/* An Ethernet frame of <type> around <pl>; returns its length. */
static size_t
eth_type(uint8_t *buf, uint16_t type, const uint8_t *pl, size_t n)
{
	memset(buf, 0xbb, 12);
	decode_rig_wr16(buf + 12, type);
	memcpy(buf + 14, pl, n);
	return 14 + n;
}

/* An Ethernet + IPv4 packet of protocol <proto> around <pl>. */
static size_t
eth_ip4(uint8_t *buf, uint8_t proto, const uint8_t *pl, size_t n)
{
	uint8_t ip[1600];

	ip4_hdr(ip, proto, n);
	return eth_type(buf, 0x0800, ip, cat(ip, ip, 20, pl, n));
}

/* An Ethernet + IPv4 + UDP datagram (no checksum) from <sport> to <dport> around <pl>. */
static size_t
eth_udp4(uint8_t *buf, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	uint8_t udp[1600];

	decode_rig_wr16(udp, sport);
	decode_rig_wr16(udp + 2, dport);
	decode_rig_wr16(udp + 4, (uint16_t)(8 + n));
	decode_rig_wr16(udp + 6, 0);
	memcpy(udp + 8, pl, n);
	return eth_ip4(buf, DECODE_UDP, udp, 8 + n);
}

/* The inner packet, TCP to port 80 carrying "inner": an Ethernet frame (<eth>) or its IP packet. */
static size_t
inner(uint8_t *buf, bool ip6, bool eth)
{
	struct frame_spec fs = { .payload = "inner", .ip6 = ip6 };
	uint8_t f[1600];
	size_t len = decode_rig_build(f, &fs, NULL);

	if (eth) {
		memcpy(buf, f, len);
		return len;
	}
	memcpy(buf, f + 14, len - 14);
	return len - 14;
}

/* Expects inner()'s packet behind <depth> tunnels, the innermost <kind>, <id> counted once. */
static void
expect_inner_at(const uint8_t *buf, size_t len, bool ip6, uint8_t kind, enum counter_id id,
                uint8_t depth)
{
	struct counters c;
	struct decoded d;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.is_ip6, ip6);
	CU_ASSERT_EQUAL(memcmp(d.src, ip6 ? decode_rig_src6 : decode_rig_src4, ip6 ? 16 : 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, ip6 ? decode_rig_dst6 : decode_rig_dst4, ip6 ? 16 : 4), 0);
	if (!ip6) {
		CU_ASSERT_EQUAL(d.src[4] | d.dst[4] | d.src[15] | d.dst[15], 0);
	}
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.sport, 51512);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.seq, 0xfffffff0u);
	CU_ASSERT(d.payload.len == 5 && memcmp(d.payload.ptr, "inner", 5) == 0);
	CU_ASSERT_EQUAL(d.tunnel_depth, depth);
	CU_ASSERT_EQUAL(d.tunnel_kind, kind);
	CU_ASSERT_EQUAL(c.v[id], 1);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
}

static void
expect_inner(const uint8_t *buf, size_t len, bool ip6, uint8_t kind, enum counter_id id)
{
	expect_inner_at(buf, len, ip6, kind, id, 1);
}

/* Expects the outer UDP datagram to <dport> kept as it is, <id> counted once. */
static void
expect_plain_udp(const uint8_t *buf, size_t len, uint16_t dport, enum counter_id id)
{
	struct counters c;
	struct decoded d;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.dport, dport);
	CU_ASSERT_EQUAL(memcmp(d.src, osrc4, 4), 0);
	CU_ASSERT_EQUAL(d.tunnel_depth, 0);
	CU_ASSERT_EQUAL(d.payload.ptr, decode_rig_last_copy + 42);
	CU_ASSERT_EQUAL(d.payload.len, len - 42);
	CU_ASSERT_EQUAL(c.v[id], 1);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
}

static void
test_decode_gre_carries_ip_and_ethernet(void)
{
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t gre[16] = { 0 };
	size_t n, len;

	/* RFC 2784: the bare 4-byte header, IPv4 inside */
	decode_rig_wr16(gre + 2, 0x0800);
	n = inner(in, false, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GRE, CNT_decode_gre);
	decode_rig_truncations(buf, len);
	/* checksum, key and sequence number (RFC 2890): 16 bytes; IPv6 inside */
	decode_rig_wr16(gre, 0x8000 | 0x2000 | 0x1000);
	decode_rig_wr16(gre + 2, 0x86dd);
	n = inner(in, true, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 16, in, n));
	expect_inner(buf, len, true, DECODE_TUN_GRE, CNT_decode_gre);
	/* a key and a Reserved0 bit (ignored on receipt), transparent Ethernet bridging */
	decode_rig_wr16(gre, 0x2000 | 0x0040);
	decode_rig_wr16(gre + 2, 0x6558);
	n = inner(in, false, true);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GRE, CNT_decode_gre);
	decode_rig_truncations(buf, len);
}

static void
test_decode_gre_bad_headers_counted(void)
{
	/* version 2; RFC 1701's routing, strict source route and recursion bits */
	static const uint16_t bad_flags[] = { 0x0002, 0x4000, 0x0800, 0x0100 };
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t gre[8] = { 0 };
	size_t i, n = inner(in, false, false), len;

	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		decode_rig_wr16(gre, bad_flags[i]);
		decode_rig_wr16(gre + 2, 0x0800);
		len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
		decode_rig_expect_drop(buf, len, CNT_decode_gre_bad);
	}
	/* a key announced, the packet ends inside it; a header shorter than 4 bytes */
	decode_rig_wr16(gre, 0x2000);
	len = eth_ip4(buf, 47, gre, 6);
	decode_rig_expect_drop(buf, len, CNT_decode_gre_bad);
	len = eth_ip4(buf, 47, gre, 3);
	decode_rig_expect_drop(buf, len, CNT_decode_gre_bad);
	/* version 1 is PPTP's enhanced GRE, carrying PPP: not decoded */
	decode_rig_wr16(gre, 0x2001);
	decode_rig_wr16(gre + 2, 0x880b);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 8, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
	/* a protocol GRE may carry but we do not read (ARP) */
	decode_rig_wr16(gre, 0);
	decode_rig_wr16(gre + 2, 0x0806);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_erspan_types(void)
{
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t h[28];
	size_t n = inner(in, false, true), len;

	/* type I: GRE 0x88be without a sequence number, the frame right after */
	memset(h, 0, sizeof(h));
	decode_rig_wr16(h + 2, 0x88be);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 4, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* type II: a sequence number, then 8 bytes of version 1 */
	decode_rig_wr16(h, 0x1000);
	h[8] = 0x10;
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 16, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	decode_rig_truncations(buf, len);
	h[8] = 0x20; /* version 2 under the type II protocol */
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 16, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_erspan_bad);
	/* type III with the O bit: 12 bytes of version 2, then the 8-byte subheader */
	memset(h, 0, sizeof(h));
	decode_rig_wr16(h, 0x1000);
	decode_rig_wr16(h + 2, 0x22eb);
	h[8] = 0x20;
	h[8 + 11] = 0x01;
	memset(h + 20, 0x77, 8);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 28, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* the subheader announced but cut off */
	len = eth_ip4(buf, 47, h, 24);
	decode_rig_expect_drop(buf, len, CNT_decode_erspan_bad);
	/* type III, frame type 2: an IP packet, no Ethernet header */
	h[8 + 11] = 0;
	decode_rig_wr16(h + 8 + 10, 2 << 10);
	n = inner(in, false, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 20, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* frame type 1 is not decoded */
	decode_rig_wr16(h + 8 + 10, 1 << 10);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 20, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_vxlan_and_udp_lookalikes(void)
{
	static const char push[] = "<rss version=\"2.0\"><channel>";
	uint8_t vx[8] = { 0x08, 0, 0, 0, 0, 0x12, 0x34, 0 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, true), len;

	len = eth_udp4(buf, 50000, 4789, pkt, cat(pkt, vx, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_VXLAN, CNT_decode_vxlan);
	decode_rig_truncations(buf, len);
	/* RFC 7348 §5: other flags and the reserved fields are ignored on receipt */
	memset(vx, 0xff, sizeof(vx));
	len = eth_udp4(buf, 50000, 4789, pkt, cat(pkt, vx, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_VXLAN, CNT_decode_vxlan);
	/* without the I flag it is an ordinary datagram to port 4789 */
	vx[0] = 0xf7;
	len = eth_udp4(buf, 50000, 4789, pkt, cat(pkt, vx, 8, in, n));
	expect_plain_udp(buf, len, 4789, CNT_decode_vxlan_bad);
	/* a feed pushed to port 4789: '<' has the I bit, but no VXLAN segment carries the
	 * "ethertype" it would have */
	len = eth_udp4(buf, 50000, 4789, (const uint8_t *)push, sizeof(push) - 1);
	expect_plain_udp(buf, len, 4789, CNT_decode_vxlan_bad);
	len = eth_udp4(buf, 50000, 4789, (const uint8_t *)push, 12);
	expect_plain_udp(buf, len, 4789, CNT_decode_vxlan_bad);
}

static void
test_decode_geneve_options_skipped(void)
{
	uint8_t g[32];
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, true), len;

	/* two options, 4 + 4 and 4 + 8 bytes: Opt Len 5 words */
	memset(g, 0, sizeof(g));
	g[0] = 5;
	decode_rig_wr16(g + 2, 0x6558);
	decode_rig_wr16(g + 8, 0x0102);
	g[11] = 1;
	decode_rig_wr16(g + 16, 0x0103);
	g[19] = 2;
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 28, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GENEVE, CNT_decode_geneve);
	decode_rig_truncations(buf, len);
	/* the second option claims 12 bytes: past the options length */
	g[19] = 3;
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 28, in, n));
	expect_plain_udp(buf, len, 6081, CNT_decode_geneve_bad);
	/* version 1 */
	g[19] = 2;
	g[0] = 0x40 | 5;
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 28, in, n));
	expect_plain_udp(buf, len, 6081, CNT_decode_geneve_bad);
	/* no options, an IPv6 packet straight after (protocol type 0x86dd) */
	memset(g, 0, sizeof(g));
	decode_rig_wr16(g + 2, 0x86dd);
	n = inner(in, true, false);
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 8, in, n));
	expect_inner(buf, len, true, DECODE_TUN_GENEVE, CNT_decode_geneve);
	/* a protocol type not decoded (LLDP) */
	decode_rig_wr16(g + 2, 0x88cc);
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 8, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_gre_in_udp(void)
{
	uint8_t gre[4] = { 0, 0, 0x08, 0x00 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, false), len;

	len = eth_udp4(buf, 50000, 4754, pkt, cat(pkt, gre, 4, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GRE_UDP, CNT_decode_gre_udp);
	/* version 3: not GRE, so an ordinary datagram */
	gre[1] = 3;
	len = eth_udp4(buf, 50000, 4754, pkt, cat(pkt, gre, 4, in, n));
	expect_plain_udp(buf, len, 4754, CNT_decode_gre_bad);
}

static void
test_decode_gtp_u(void)
{
	uint8_t g[16] = { 0x30, 255, 0, 0, 0, 0, 0x12, 0x34 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, false), len;

	decode_rig_wr16(g + 2, (uint16_t)n);
	len = eth_udp4(buf, 5906, 2152, pkt, cat(pkt, g, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GTP, CNT_decode_gtp);
	decode_rig_truncations(buf, len);
	/* S and E: the 4 optional bytes, then one 4-byte extension header, the last */
	n = inner(in, true, false);
	g[0] = 0x30 | 0x04 | 0x02;
	decode_rig_wr16(g + 2, (uint16_t)(8 + n));
	g[11] = 0x85;
	g[12] = 1;
	g[15] = 0;
	len = eth_udp4(buf, 2152, 2152, pkt, cat(pkt, g, 16, in, n));
	expect_inner(buf, len, true, DECODE_TUN_GTP, CNT_decode_gtp);
	/* an extension header of length 0 */
	g[12] = 0;
	len = eth_udp4(buf, 2152, 2152, pkt, cat(pkt, g, 16, in, n));
	expect_plain_udp(buf, len, 2152, CNT_decode_gtp_bad);
	/* a Length past the datagram */
	g[12] = 1;
	decode_rig_wr16(g + 2, (uint16_t)(8 + n + 1));
	len = eth_udp4(buf, 2152, 2152, pkt, cat(pkt, g, 16, in, n));
	expect_plain_udp(buf, len, 2152, CNT_decode_gtp_bad);
	/* an echo request (type 1) carries no user packet */
	memset(g, 0, sizeof(g));
	g[0] = 0x32;
	g[1] = 1;
	g[3] = 4;
	len = eth_udp4(buf, 2152, 2152, g, 12);
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_ayiya_both_directions(void)
{
	/* identity of 2^4 bytes, signature of 5 words, forward, IPv6 */
	uint8_t a[44] = { 0x41, 0x52, 0x11, 41 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, true, false), len;

	len = eth_udp4(buf, 53382, 5072, pkt, cat(pkt, a, 44, in, n));
	expect_inner(buf, len, true, DECODE_TUN_AYIYA, CNT_decode_ayiya);
	/* the server answers from port 5072 */
	len = eth_udp4(buf, 5072, 53382, pkt, cat(pkt, a, 44, in, n));
	expect_inner(buf, len, true, DECODE_TUN_AYIYA, CNT_decode_ayiya);
	/* Next Header IPv6 over an IPv4 packet */
	n = inner(in, false, false);
	len = eth_udp4(buf, 53382, 5072, pkt, cat(pkt, a, 44, in, n));
	expect_plain_udp(buf, len, 5072, CNT_decode_ayiya_bad);
	/* identity and signature longer than the datagram */
	len = eth_udp4(buf, 53382, 5072, a, 40);
	expect_plain_udp(buf, len, 5072, CNT_decode_ayiya_bad);
	/* a heartbeat (opcode 0) */
	a[2] = 0x10;
	len = eth_udp4(buf, 53382, 5072, pkt, cat(pkt, a, 44, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_pppoe_session(void)
{
	uint8_t p[8] = { 0x11, 0, 0x12, 0x34, 0, 0, 0x00, 0x21 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, false), len;

	decode_rig_wr16(p + 4, (uint16_t)(2 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_inner_at(buf, len, false, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	decode_rig_truncations(buf, len);
	/* RFC 1661 §6.5: a compressed protocol field */
	decode_rig_wr16(p + 4, (uint16_t)(1 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 6, (const uint8_t *)"\x21", 1));
	memcpy(buf + len, in, n);
	expect_inner_at(buf, len + n, false, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	/* IPv6 */
	n = inner(in, true, false);
	decode_rig_wr16(p + 4, (uint16_t)(2 + n));
	decode_rig_wr16(p + 6, 0x0057);
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_inner_at(buf, len, true, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	/* a PPPoE length past the frame; version 2; LCP */
	decode_rig_wr16(p + 4, (uint16_t)(3 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_pppoe_bad);
	decode_rig_wr16(p + 4, (uint16_t)(2 + n));
	p[0] = 0x21;
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_pppoe_bad);
	p[0] = 0x11;
	decode_rig_wr16(p + 6, 0xc021);
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_mpls_label_stacks(void)
{
	/* labels 16 and 32, the second the bottom of the stack */
	static const uint8_t two[8] = { 0, 0x01, 0x00, 64, 0, 0x02, 0x01, 64 };
	static const uint8_t v6null[4] = { 0, 0, 0x21, 64 };
	static const uint8_t pw[8] = {
		0, 0x06, 0x41, 64, 0, 0, 0, 0
	}; /* label 100, control word */
	uint8_t in[1600], pkt[1600], buf[1600], labels[80];
	size_t n = inner(in, false, false), len;

	len = eth_type(buf, 0x8847, pkt, cat(pkt, two, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_MPLS, CNT_decode_mpls);
	decode_rig_truncations(buf, len);
	n = inner(in, true, false);
	len = eth_type(buf, 0x8848, pkt, cat(pkt, v6null, 4, in, n));
	expect_inner(buf, len, true, DECODE_TUN_MPLS, CNT_decode_mpls);
	n = inner(in, false, true);
	len = eth_type(buf, 0x8847, pkt, cat(pkt, pw, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_MPLS, CNT_decode_mpls);
	/* the stack never ends: 20 labels none of which is the bottom */
	memset(labels, 0, sizeof(labels));
	n = inner(in, false, false);
	len = eth_type(buf, 0x8847, pkt, cat(pkt, labels, 80, in, n));
	decode_rig_expect_drop(buf, len, CNT_decode_mpls_bad);
	len = eth_type(buf, 0x8847, labels, 8);
	decode_rig_expect_drop(buf, len, CNT_decode_mpls_bad);
}

static void
test_decode_llc_snap_frames(void)
{
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, false), len;

	/* the 802.3 length covers LLC/SNAP and the packet; 6 bytes of padding follow */
	len = eth_type(buf, (uint16_t)(8 + n), pkt, cat(pkt, snap, 8, in, n));
	memset(buf + len, 0xee, 6);
	expect_inner_at(buf, len + 6, false, DECODE_TUN_NONE, CNT_decode_llc_snap, 0);
	/* a length past the frame */
	decode_rig_wr16(buf + 12, (uint16_t)(8 + n + 7));
	decode_rig_expect_drop(buf, len + 6, CNT_decode_not_ip);
	/* spanning tree's LLC, not SNAP */
	decode_rig_wr16(buf + 12, (uint16_t)(8 + n));
	buf[14] = buf[15] = 0x42;
	decode_rig_expect_drop(buf, len, CNT_decode_not_ip);
}

static void
test_decode_ip_in_ip_and_nesting_bounded(void)
{
	uint8_t in[1600], pkt[1600], buf[1600], vx[1600];
	uint8_t gre[4] = { 0, 0, 0x08, 0x00 };
	uint8_t vxh[8] = { 0x08 };
	uint8_t ip[1600];
	size_t n = inner(in, false, false), len, m, k;

	len = eth_ip4(buf, 4, in, n);
	expect_inner(buf, len, false, DECODE_TUN_IPIP, CNT_decode_ipip);
	n = inner(in, true, false);
	len = eth_ip4(buf, 41, in, n);
	expect_inner(buf, len, true, DECODE_TUN_IPIP, CNT_decode_ipip);
	/* VXLAN inside GRE: two levels, the innermost VXLAN */
	n = inner(in, false, true);
	len = eth_udp4(vx, 50000, 4789, pkt, cat(pkt, vxh, 8, in, n));
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, vx + 14, len - 14));
	expect_inner_at(buf, len, false, DECODE_TUN_VXLAN, CNT_decode_gre, 2);
	/* IPv4 in IPv4 TUNNEL_MAX_DEPTH (4) times is kept; once more is not */
	for (k = 4; k <= 5; k++) {
		m = inner(ip, false, false);
		for (n = 1; n < k; n++) {
			memmove(ip + 20, ip, m);
			ip4_hdr(ip, 4, m);
			m += 20;
		}
		len = eth_ip4(buf, 4, ip, m);
		if (k == 4) {
			expect_inner_at(buf, len, false, DECODE_TUN_IPIP, CNT_decode_tcp, 4);
		} else {
			decode_rig_expect_drop(buf, len, CNT_decode_tunnel_depth);
		}
	}
}

static void
test_decode_tunnel_fragments(void)
{
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t gre[4] = { 0, 0, 0x08, 0x00 };
	uint8_t vxh[8] = { 0x08 };
	struct counters c;
	struct decoded d;
	size_t n = inner(in, false, false), len, l4len;
	uint8_t *g;

	/* an IPv4 fragment inside GRE: a fragment under the inner addresses */
	decode_rig_wr16(in + 6, 0x0001);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(memcmp(d.src, decode_rig_src4, 4), 0);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.frag_off, 8);
	CU_ASSERT_EQUAL(d.tunnel_depth, 1);
	CU_ASSERT_EQUAL(d.sport, 0);
	/* a fragmented GRE packet: a fragment of protocol 47 under the outer addresses, whose
	 * reassembled payload decode_l4_payload() follows into the tunnel */
	decode_rig_wr16(in + 6, 0);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	decode_rig_wr16(buf + 14 + 6, 0x0001);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.proto, 47);
	CU_ASSERT_EQUAL(memcmp(d.src, osrc4, 4), 0);
	CU_ASSERT_EQUAL(d.tunnel_depth, 0);
	g = guard_dup(buf + 34, len - 34);
	CU_ASSERT_EQUAL_FATAL(decode_l4_payload(NULL, &c, (struct span){ g, len - 34 }, &d),
	                      DECODE_KEEP);
	CU_ASSERT_EQUAL(memcmp(d.src, decode_rig_src4, 4), 0);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.tunnel_depth, 1);
	CU_ASSERT_EQUAL(d.tunnel_kind, DECODE_TUN_GRE);
	CU_ASSERT(d.payload.len == 5 && memcmp(d.payload.ptr, "inner", 5) == 0);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	guard_free(g);
	/* a reassembled VXLAN datagram whose inner packet is a fragment again: dropped */
	n = inner(in, false, true);
	decode_rig_wr16(in + 14 + 6, 0x0001);
	len = eth_udp4(buf, 50000, 4789, pkt, cat(pkt, vxh, 8, in, n));
	l4len = len - 34;
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	d.proto = DECODE_UDP;
	memcpy(d.src, osrc4, 4);
	memcpy(d.dst, odst4, 4);
	g = guard_dup(buf + 34, l4len);
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, l4len }, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tunnel_frag], 1);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	guard_free(g);
}

/* A TCP frame whose options are <opts> (<n> bytes, a multiple of 4), carrying "abc". */

int
main(void)
{
	CU_pSuite s;
	int rc;

	CU_initialize_registry();
	s = CU_add_suite("decode tunnels", NULL, NULL);
	CU_add_test(s, "GRE carries IP and Ethernet", test_decode_gre_carries_ip_and_ethernet);
	CU_add_test(s, "GRE bad headers counted", test_decode_gre_bad_headers_counted);
	CU_add_test(s, "ERSPAN types I, II, III", test_decode_erspan_types);
	CU_add_test(s, "VXLAN, and UDP lookalikes kept", test_decode_vxlan_and_udp_lookalikes);
	CU_add_test(s, "Geneve options skipped", test_decode_geneve_options_skipped);
	CU_add_test(s, "GRE in UDP", test_decode_gre_in_udp);
	CU_add_test(s, "GTP-U", test_decode_gtp_u);
	CU_add_test(s, "AYIYA both directions", test_decode_ayiya_both_directions);
	CU_add_test(s, "PPPoE session", test_decode_pppoe_session);
	CU_add_test(s, "MPLS label stacks", test_decode_mpls_label_stacks);
	CU_add_test(s, "802.3 LLC/SNAP frames", test_decode_llc_snap_frames);
	CU_add_test(s, "IP in IP, nesting bounded", test_decode_ip_in_ip_and_nesting_bounded);
	CU_add_test(s, "tunnel fragments", test_decode_tunnel_fragments);
	rc = guard_run_tests();
	guard_free(decode_rig_last_copy);
	return rc;
}
