#include "net/decode.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

/* What a test frame looks like; zero fields mean the plain default. */
struct frame_spec {
	uint16_t tags[3]; /* TPIDs of stacked VLAN tags, 0 ends */
	uint16_t tag_vid[3];
	bool ip6;
	uint8_t proto;         /* DECODE_TCP / DECODE_UDP / other */
	uint8_t tcp_opt_words; /* TCP options, in 32-bit words */
	const char *payload;
	size_t pad; /* Ethernet padding after the IP packet */
};

static const uint8_t src4[4] = { 198, 18, 0, 10 };
static const uint8_t dst4[4] = { 198, 18, 0, 20 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* Writes the frame into <buf> and returns its length; <*l3> gets the IP header offset. */
static size_t
build(uint8_t *buf, const struct frame_spec *fs, size_t *l3)
{
	size_t off = 12, plen = fs->payload != NULL ? strlen(fs->payload) : 0, l4len, iplen;
	uint8_t proto = fs->proto != 0 ? fs->proto : DECODE_TCP;
	uint8_t *ip, *l4;
	int i;

	memset(buf, 0, 1600);
	memset(buf, 0xaa, 12);
	for (i = 0; i < 3 && fs->tags[i] != 0; i++) {
		wr16(buf + off, fs->tags[i]);
		wr16(buf + off + 2, fs->tag_vid[i]);
		off += 4;
	}
	wr16(buf + off, fs->ip6 ? 0x86dd : 0x0800);
	off += 2;
	ip = buf + off;
	if (l3 != NULL) {
		*l3 = off;
	}
	if (proto == DECODE_TCP) {
		l4len = 20 + (size_t)fs->tcp_opt_words * 4 + plen;
	} else if (proto == DECODE_UDP) {
		l4len = 8 + plen;
	} else {
		l4len = plen;
	}
	if (fs->ip6) {
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src6, 16);
		memcpy(ip + 24, dst6, 16);
		l4 = ip + 40;
		iplen = 40 + l4len;
	} else {
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(20 + l4len));
		wr16(ip + 6, 0x4000); /* DF: not a fragment */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src4, 4);
		memcpy(ip + 16, dst4, 4);
		l4 = ip + 20;
		iplen = 20 + l4len;
	}
	if (proto == DECODE_TCP) {
		wr16(l4, 51512);
		wr16(l4 + 2, 80);
		wr32(l4 + 4, 0xfffffff0u);
		wr32(l4 + 8, 0x01020304u);
		l4[12] = (uint8_t)((5 + fs->tcp_opt_words) << 4);
		l4[13] = DECODE_TH_ACK | DECODE_TH_PSH;
		memset(l4 + 20, 0x01, (size_t)fs->tcp_opt_words * 4); /* NOP options */
		memcpy(l4 + 20 + (size_t)fs->tcp_opt_words * 4, fs->payload, plen);
	} else if (proto == DECODE_UDP) {
		wr16(l4, 5353);
		wr16(l4 + 2, 8080);
		wr16(l4 + 4, (uint16_t)(8 + plen));
		memcpy(l4 + 8, fs->payload, plen);
	} else if (plen > 0) {
		memcpy(l4, fs->payload, plen);
	}
	memset(ip + iplen, 0xee, fs->pad);
	return off + iplen + fs->pad;
}

/* The guard-page copy of the last decoded frame: <out>'s payload points into it. */
static uint8_t *last_copy;

/* Decodes a guard-page copy of <buf>, as <cfg> says, so an over-read faults. */
static enum decode_rc
decode_guarded_cfg(const struct decode_cfg *cfg, struct counters *c, const uint8_t *buf, size_t len,
                   struct decoded *out)
{
	guard_free(last_copy);
	last_copy = NULL;
	if (len == 0) {
		/* guard_free() cannot find a zero-length copy's mapping; use NULL, as allowed */
		return decode_packet(cfg, c, NULL, 0, out);
	}
	last_copy = guard_dup(buf, len);
	return decode_packet(cfg, c, last_copy, len, out);
}

static enum decode_rc
decode_guarded(struct counters *c, const uint8_t *buf, size_t len, struct decoded *out)
{
	return decode_guarded_cfg(NULL, c, buf, len, out);
}

static const enum counter_id drop_counters[] = {
	CNT_decode_eth_short,      CNT_decode_vlan_short,  CNT_decode_not_ip,
	CNT_decode_ip_bad,         CNT_ip_frag_bad,        CNT_decode_ip6_ext_bad,
	CNT_decode_ip6_unreadable, CNT_decode_other_proto, CNT_decode_tcp_bad,
	CNT_decode_udp_bad,        CNT_decode_ip_csum_bad, CNT_decode_l4_csum_bad,
	CNT_decode_tunnel_depth,   CNT_decode_tunnel_frag, CNT_decode_tunnel_unsupported,
	CNT_decode_erspan_bad,     CNT_decode_pppoe_bad,   CNT_decode_mpls_bad,
};

static uint64_t
drops(const struct counters *c)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(drop_counters) / sizeof(drop_counters[0]); i++) {
		n += c->v[drop_counters[i]];
	}
	return n;
}

/* Decodes and expects a drop counted under exactly <id>. */
static void
expect_drop(const uint8_t *buf, size_t len, enum counter_id id)
{
	struct counters c;
	struct decoded d;

	size_t i;
	uint64_t others;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_guarded(&c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[id], 1);
	/* no other drop counter moved (<id> may be one that is not always a drop) */
	others = drops(&c);
	for (i = 0; i < sizeof(drop_counters) / sizeof(drop_counters[0]); i++) {
		others -= drop_counters[i] == id ? 1 : 0;
	}
	CU_ASSERT_EQUAL(others, 0);
}

static void
test_decode_ip4_tcp_fields(void)
{
	struct frame_spec fs = { .payload = "GET / HTTP/1.1\r\n" };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_FALSE(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.vlan, 0);
	CU_ASSERT_EQUAL(memcmp(d.src, src4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, dst4, 4), 0);
	CU_ASSERT_EQUAL(d.src[4] | d.src[15] | d.dst[4] | d.dst[15], 0);
	CU_ASSERT_EQUAL(d.sport, 51512);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.seq, 0xfffffff0u);
	CU_ASSERT_EQUAL(d.ack, 0x01020304u);
	CU_ASSERT_EQUAL(d.tcp_flags, DECODE_TH_ACK | DECODE_TH_PSH);
	CU_ASSERT_EQUAL(d.payload.len, 16);
	CU_ASSERT_EQUAL(d.payload.ptr, last_copy + len - 16);
	CU_ASSERT_EQUAL(memcmp(d.payload.ptr, "GET / HTTP/1.1\r\n", 16), 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip4], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp], 1);
	CU_ASSERT_EQUAL(drops(&c), 0);
}

static void
test_decode_tcp_options_skipped(void)
{
	struct frame_spec fs = { .payload = "abc", .tcp_opt_words = 3 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_packet(NULL, &c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 3);
	CU_ASSERT_EQUAL(memcmp(d.payload.ptr, "abc", 3), 0);
}

static void
test_decode_ip4_padding_not_in_payload(void)
{
	/* a 3-byte payload makes a 57-byte frame, which the NIC pads to 60 */
	struct frame_spec fs = { .payload = "abc", .pad = 3 };
	struct frame_spec us = { .payload = "x", .proto = DECODE_UDP, .pad = 17 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(len, 60);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 3);
	len = build(buf, &us, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.payload.len, 1);
	CU_ASSERT_EQUAL(d.payload.ptr[0], 'x');
}

static void
test_decode_ip6_padding_not_in_payload(void)
{
	struct frame_spec fs = { .payload = "ab", .ip6 = true, .pad = 9 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 2);
}

static void
test_decode_udp_length_trims_payload(void)
{
	struct frame_spec fs = { .payload = "hello", .proto = DECODE_UDP };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len = build(buf, &fs, &l3);

	/* UDP says 3 data bytes; the IP packet carries 5 */
	wr16(buf + l3 + 20 + 4, 11);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 3);
	CU_ASSERT_EQUAL(d.sport, 5353);
	CU_ASSERT_EQUAL(d.dport, 8080);
	CU_ASSERT_EQUAL(c.v[CNT_decode_udp], 1);
}

static void
test_decode_ip6_tcp_and_udp(void)
{
	struct frame_spec fs = { .payload = "data", .ip6 = true };
	struct frame_spec us = { .payload = "dgram", .ip6 = true, .proto = DECODE_UDP };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_TRUE(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(memcmp(d.src, src6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, dst6, 16), 0);
	CU_ASSERT_EQUAL(d.payload.len, 4);
	len = build(buf, &us, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.payload.len, 5);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip6], 2);
}

static void
test_decode_vlan_single_qinq_and_stacked(void)
{
	struct frame_spec one = { .tags = { 0x8100 }, .tag_vid = { 0x2064 }, .payload = "p" };
	struct frame_spec qinq = {
		.tags = { 0x88a8, 0x8100 }, .tag_vid = { 300, 400 }, .payload = "p", .ip6 = true
	};
	struct frame_spec stacked = { .tags = { 0x8100, 0x8100, 0x8100 },
		                      .tag_vid = { 7, 8, 9 },
		                      .payload = "p",
		                      .proto = DECODE_UDP };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len;

	memset(&c, 0, sizeof(c));
	len = build(buf, &one, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 100); /* PCP bits masked off */
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 1);
	len = build(buf, &qinq, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 300);
	CU_ASSERT_TRUE(d.is_ip6);
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 3);
	len = build(buf, &stacked, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 7);
	CU_ASSERT_EQUAL(d.payload.len, 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 6);
}

static void
test_decode_truncated_vlan_counted(void)
{
	struct frame_spec fs = { .tags = { 0x88a8, 0x8100 }, .payload = "p" };
	uint8_t buf[1600];

	build(buf, &fs, NULL);
	expect_drop(buf, 14, CNT_decode_vlan_short);
	expect_drop(buf, 17, CNT_decode_vlan_short);
	expect_drop(buf, 21, CNT_decode_vlan_short);
}

static void
test_decode_short_and_non_ip_frames(void)
{
	uint8_t buf[1600];
	size_t len;

	memset(buf, 0, sizeof(buf));
	for (len = 0; len < 14; len++) {
		expect_drop(buf, len, CNT_decode_eth_short);
	}
	wr16(buf + 12, 0x0806); /* ARP */
	expect_drop(buf, 60, CNT_decode_not_ip);
	wr16(buf + 12, 0x002e); /* 802.3 length field */
	expect_drop(buf, 60, CNT_decode_not_ip);
}

static void
test_decode_ip4_bad_headers(void)
{
	struct frame_spec fs = { .payload = "hello" };
	uint8_t buf[1600];
	size_t l3, len;

	len = build(buf, &fs, &l3);
	buf[l3] = 0x65; /* version 6 in an IPv4 ethertype */
	expect_drop(buf, len, CNT_decode_ip_bad);
	len = build(buf, &fs, &l3);
	buf[l3] = 0x44; /* IHL 4 */
	expect_drop(buf, len, CNT_decode_ip_bad);
	len = build(buf, &fs, &l3);
	buf[l3] = 0x4f; /* IHL 15: 60 bytes, more than the packet */
	expect_drop(buf, len, CNT_decode_ip_bad);
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 2, (uint16_t)(len - l3 + 1)); /* total length past the frame */
	expect_drop(buf, len, CNT_decode_ip_bad);
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 2, 19); /* total length inside the header */
	expect_drop(buf, len, CNT_decode_ip_bad);
}

/* A fragment's fields, with <flags_off> the raw flags + offset word; payload is the IP payload. */
static void
expect_frag(uint8_t *buf, size_t len, size_t l3, uint16_t flags_off, uint16_t off, bool more)
{
	struct counters c;
	struct decoded d;

	memset(&c, 0, sizeof(c));
	wr16(buf + l3 + 4, 0xbeef);
	wr16(buf + l3 + 6, flags_off);
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.ip_id, 0xbeef);
	CU_ASSERT_EQUAL(d.frag_off, off);
	CU_ASSERT_EQUAL(d.frag_more, more);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_FALSE(d.is_ip6);
	CU_ASSERT_EQUAL(memcmp(d.src, src4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, dst4, 4), 0);
	CU_ASSERT_EQUAL(d.vlan, 7);
	/* the whole IP payload, TCP header included, not an L4 payload */
	CU_ASSERT_PTR_EQUAL(d.payload.ptr, last_copy + l3 + 20);
	CU_ASSERT_EQUAL(d.payload.len, 32);
	CU_ASSERT_EQUAL(d.sport, 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp], 0);
	CU_ASSERT_EQUAL(drops(&c), 0);
}

static void
test_decode_ip4_fragment_fields(void)
{
	/* 20 bytes of TCP header + 12 of data: a multiple of 8, as a non-last fragment needs */
	struct frame_spec fs = {
		.tags = { 0x8100 }, .tag_vid = { 7 }, .payload = "0123456789ab", .pad = 6
	};
	uint8_t buf[1600];
	size_t l3, len;

	len = build(buf, &fs, &l3);
	expect_frag(buf, len, l3, 0x2000, 0, true);          /* MF, offset 0 */
	expect_frag(buf, len, l3, 0x0002, 16, false);        /* last fragment, offset 16 */
	expect_frag(buf, len, l3, 0x6001, 8, true);          /* DF and MF and offset together */
	expect_frag(buf, len, l3, 0x1fff - 4, 65496, false); /* 65496 + 32 fits 65535 */
}

static void
test_decode_ip4_bad_fragments_dropped(void)
{
	struct frame_spec fs = { .payload = "hello" };         /* IP payload of 25 bytes */
	struct frame_spec fs8 = { .payload = "0123456789ab" }; /* 32 bytes */
	struct frame_spec icmp = { .payload = "pingpingping", .proto = 1 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len;

	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 6, 0x2000); /* MF with a length not a multiple of 8 */
	expect_drop(buf, len, CNT_ip_frag_bad);
	wr16(buf + l3 + 6, 0x0003); /* the last fragment may have any length */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	len = build(buf, &fs8, &l3);
	wr16(buf + l3 + 6, 0x1fff); /* 65528 + 32 bytes: past the 16-bit Total Length */
	expect_drop(buf, len, CNT_ip_frag_bad);
	wr16(buf + l3 + 6, 0x1ffc); /* 65504 + 32 = 65536 */
	expect_drop(buf, len, CNT_ip_frag_bad);
	len = build(buf, &icmp, &l3);
	wr16(buf + l3 + 6, 0x2000); /* fragments of other protocols are not reassembled */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_guarded(&c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_other_proto], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], 1);
	/* an empty fragment */
	len = build(buf, &(struct frame_spec){ .proto = 1 }, &l3);
	wr16(buf + l3 + 6, 0x2001);
	buf[l3 + 9] = DECODE_UDP;
	expect_drop(buf, len, CNT_ip_frag_bad);
}

static void
test_decode_l4_payload_same_parser(void)
{
	static const uint8_t tcp[] = { 0xc9, 0x38, 0x00, 0x50, 0, 0, 0, 9, 0,   0,   0,   1,
		                       0x50, 0x18, 0,    0,    0, 0, 0, 0, 'f', 'e', 'e', 'd' };
	static const uint8_t udp[] = { 0x14, 0x14, 0x14, 0x14, 0, 11, 0, 0, 'r', 's', 's', 'x' };
	struct counters c;
	struct decoded d;
	uint8_t *g;

	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	d.proto = DECODE_TCP;
	d.frag_off = 8;
	d.frag_more = true;
	g = guard_dup(tcp, sizeof(tcp));
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, sizeof(tcp) }, &d),
	                DECODE_KEEP);
	CU_ASSERT_EQUAL(d.sport, 51512);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.seq, 9);
	CU_ASSERT_EQUAL(d.ack, 1);
	CU_ASSERT_EQUAL(d.tcp_flags, DECODE_TH_ACK | DECODE_TH_PSH);
	CU_ASSERT_PTR_EQUAL(d.payload.ptr, g + 20);
	CU_ASSERT_EQUAL(d.payload.len, 4);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	CU_ASSERT_FALSE(d.frag_more);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp], 1);
	/* a header cut short is the same malformed TCP as in a frame */
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, 19 }, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_bad], 1);
	guard_free(g);
	d.proto = DECODE_UDP;
	g = guard_dup(udp, sizeof(udp));
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, sizeof(udp) }, &d),
	                DECODE_KEEP);
	CU_ASSERT_EQUAL(d.sport, 5140);
	CU_ASSERT_EQUAL(d.dport, 5140);
	CU_ASSERT_EQUAL(d.payload.len, 3); /* the UDP length trims a trailing byte */
	CU_ASSERT_EQUAL(c.v[CNT_decode_udp], 1);
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, 7 }, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_udp_bad], 1);
	guard_free(g);
}

static void
test_decode_other_protocols_dropped(void)
{
	struct frame_spec icmp4 = { .payload = "pingpingping", .proto = 1 };
	struct frame_spec icmp6 = { .payload = "pingpingping", .proto = 58, .ip6 = true };
	uint8_t buf[1600];
	size_t len;

	len = build(buf, &icmp4, NULL);
	expect_drop(buf, len, CNT_decode_other_proto);
	len = build(buf, &icmp6, NULL);
	expect_drop(buf, len, CNT_decode_other_proto);
}

/*
 * Inserts extension header <type> (<hl> bytes, <hdr>, its Next Header byte
 * filled in here) right after the IPv6 header at <l3>. Returns the new length.
 */
static size_t
insert_ext(uint8_t *buf, size_t len, size_t l3, uint8_t type, const uint8_t *hdr, size_t hl)
{
	uint8_t *ip = buf + l3;

	memmove(ip + 40 + hl, ip + 40, len - l3 - 40);
	memcpy(ip + 40, hdr, hl);
	ip[40] = ip[6];
	ip[6] = type;
	wr16(ip + 4, (uint16_t)(((unsigned)ip[4] << 8 | ip[5]) + hl));
	return len + hl;
}

static void
test_decode_ip6_extension_headers_walked(void)
{
	static const uint8_t opts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 }; /* PadN */
	static const uint8_t routing[24] = { 0, 2, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ah[16] = { 0, 2 }; /* (2 + 2) x 4 bytes */
	static const uint8_t atomic[8] = { 0 }; /* offset 0, M 0 */
	struct frame_spec fs = { .payload = "some bytes here", .ip6 = true };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len;

	len = build(buf, &fs, &l3);
	len = insert_ext(buf, len, l3, 44, atomic, sizeof(atomic));
	len = insert_ext(buf, len, l3, 51, ah, sizeof(ah));
	len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	len = insert_ext(buf, len, l3, 43, routing, sizeof(routing));
	len = insert_ext(buf, len, l3, 0, opts, sizeof(opts));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT(d.payload.len == 15 && memcmp(d.payload.ptr, "some bytes here", 15) == 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip6_ext], 5);
	CU_ASSERT_EQUAL(drops(&c), 0);

	/* ESP and No Next Header: nothing we can read follows. */
	len = build(buf, &fs, &l3);
	buf[l3 + 6] = 50;
	expect_drop(buf, len, CNT_decode_ip6_unreadable);
	buf[l3 + 6] = 59;
	expect_drop(buf, len, CNT_decode_ip6_unreadable);
	/* A header longer than the packet. */
	len = build(buf, &fs, &l3);
	len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	buf[l3 + 41] = 200;
	expect_drop(buf, len, CNT_decode_ip6_ext_bad);
}

static void
test_decode_ip6_chain_limit_and_fragments(void)
{
	static const uint8_t opts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	struct frame_spec fs = { .payload = "0123456789abcdef", .ip6 = true, .proto = DECODE_UDP };
	uint8_t frag[8] = { 0 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len;
	int i;

	len = build(buf, &fs, &l3);
	for (i = 0; i < 9; i++) {
		len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	}
	expect_drop(buf, len, CNT_decode_ip6_ext_bad);

	/* The first of several fragments: offset 0, M set, id 0xdeadbeef. */
	len = build(buf, &fs, &l3);
	wr16(frag + 2, 0x0001);
	wr32(frag + 4, 0xdeadbeefu);
	len = insert_ext(buf, len, l3, 44, frag, sizeof(frag));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.ip_id, 0xdeadbeefu);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	CU_ASSERT(d.frag_more);
	/* the UDP header and payload, 8 + 16 bytes: a multiple of 8, as a non-last fragment's */
	CU_ASSERT_EQUAL(d.payload.len, 24);
	/* A later one, offset 24, the last. */
	wr16(buf + l3 + 40 + 2, 24);
	CU_ASSERT_EQUAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.frag_off, 24);
	CU_ASSERT_FALSE(d.frag_more);
	CU_ASSERT_EQUAL(drops(&c), 0);
}

static void
test_decode_ip6_bad_headers(void)
{
	struct frame_spec fs = { .payload = "hello", .ip6 = true };
	uint8_t buf[1600];
	size_t l3, len;

	len = build(buf, &fs, &l3);
	buf[l3] = 0x40; /* version 4 under the IPv6 ethertype */
	expect_drop(buf, len, CNT_decode_ip_bad);
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 4, (uint16_t)(len - l3 - 40 + 1)); /* payload length past the frame */
	expect_drop(buf, len, CNT_decode_ip_bad);
}

static void
test_decode_tcp_bad_data_offset(void)
{
	struct frame_spec fs = { .payload = "hello" };
	struct frame_spec f6 = { .payload = "hello", .ip6 = true };
	uint8_t buf[1600];
	size_t l3, len;

	len = build(buf, &fs, &l3);
	buf[l3 + 20 + 12] = 4 << 4; /* below the minimum of 5 words */
	expect_drop(buf, len, CNT_decode_tcp_bad);
	len = build(buf, &fs, &l3);
	buf[l3 + 20 + 12] = 7 << 4; /* 28 bytes, only 25 in the packet */
	expect_drop(buf, len, CNT_decode_tcp_bad);
	len = build(buf, &f6, &l3);
	buf[l3 + 40 + 12] = 15 << 4;
	expect_drop(buf, len, CNT_decode_tcp_bad);
}

static void
test_decode_tcp_header_past_ip_length(void)
{
	struct frame_spec fs = { .payload = "hello" };
	uint8_t buf[1600];
	size_t l3, len;

	/* the frame holds the whole TCP header, but the IP length ends inside it */
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 2, 20 + 19);
	expect_drop(buf, len, CNT_decode_tcp_bad);
}

static void
test_decode_udp_bad_length(void)
{
	struct frame_spec fs = { .payload = "hello", .proto = DECODE_UDP };
	uint8_t buf[1600];
	size_t l3, len;

	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 20 + 4, 7);
	expect_drop(buf, len, CNT_decode_udp_bad);
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 20 + 4, 14); /* one past the IP payload */
	expect_drop(buf, len, CNT_decode_udp_bad);
	len = build(buf, &fs, &l3);
	wr16(buf + l3 + 2, 20 + 7); /* IP ends inside the UDP header */
	expect_drop(buf, len, CNT_decode_udp_bad);
}

/* Every proper prefix of <buf>, a frame without padding, is malformed and counted once. */
static void
check_truncations_of(const uint8_t *buf, size_t len)
{
	struct counters c;
	struct decoded d;
	size_t cut;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	for (cut = 0; cut < len; cut++) {
		uint64_t before = drops(&c);

		CU_ASSERT_EQUAL(decode_guarded(&c, buf, cut, &d), DECODE_DROP);
		CU_ASSERT_EQUAL(drops(&c), before + 1);
	}
}

static void
check_all_truncations(const struct frame_spec *fs)
{
	uint8_t buf[1600];
	size_t len = build(buf, fs, NULL);

	check_truncations_of(buf, len);
}

static void
test_decode_every_truncation_dropped_and_counted(void)
{
	struct frame_spec specs[] = {
		{ .payload = "GET /feed HTTP/1.1\r\n" },
		{ .payload = "GET", .tcp_opt_words = 2 },
		{ .payload = "dgram", .proto = DECODE_UDP },
		{ .payload = "GET /feed HTTP/1.1\r\n", .ip6 = true },
		{ .payload = "dgram", .proto = DECODE_UDP, .ip6 = true },
		{ .tags = { 0x88a8, 0x8100 }, .payload = "x" },
		{ .tags = { 0x8100 }, .payload = "", .ip6 = true },
	};
	size_t i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		check_all_truncations(&specs[i]);
	}
}

static void
test_decode_empty_payload_kept(void)
{
	struct frame_spec fs = { .payload = "" };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 0);
}

/* Tunnels: an outer packet from 10.0.0.1 to 10.0.0.2 around the inner TCP packet of inner(). */

static const uint8_t osrc4[4] = { 10, 0, 0, 1 };
static const uint8_t odst4[4] = { 10, 0, 0, 2 };

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

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
	wr16(ip + 2, (uint16_t)(20 + n));
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
	wr16(buf + 12, type);
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

	wr16(udp, sport);
	wr16(udp + 2, dport);
	wr16(udp + 4, (uint16_t)(8 + n));
	wr16(udp + 6, 0);
	memcpy(udp + 8, pl, n);
	return eth_ip4(buf, DECODE_UDP, udp, 8 + n);
}

/* The inner packet, TCP to port 80 carrying "inner": an Ethernet frame (<eth>) or its IP packet. */
static size_t
inner(uint8_t *buf, bool ip6, bool eth)
{
	struct frame_spec fs = { .payload = "inner", .ip6 = ip6 };
	uint8_t f[1600];
	size_t len = build(f, &fs, NULL);

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
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.is_ip6, ip6);
	CU_ASSERT_EQUAL(memcmp(d.src, ip6 ? src6 : src4, ip6 ? 16 : 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, ip6 ? dst6 : dst4, ip6 ? 16 : 4), 0);
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
	CU_ASSERT_EQUAL(drops(&c), 0);
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
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.dport, dport);
	CU_ASSERT_EQUAL(memcmp(d.src, osrc4, 4), 0);
	CU_ASSERT_EQUAL(d.tunnel_depth, 0);
	CU_ASSERT_EQUAL(d.payload.ptr, last_copy + 42);
	CU_ASSERT_EQUAL(d.payload.len, len - 42);
	CU_ASSERT_EQUAL(c.v[id], 1);
	CU_ASSERT_EQUAL(drops(&c), 0);
}

static void
test_decode_gre_carries_ip_and_ethernet(void)
{
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t gre[16] = { 0 };
	size_t n, len;

	/* RFC 2784: the bare 4-byte header, IPv4 inside */
	wr16(gre + 2, 0x0800);
	n = inner(in, false, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GRE, CNT_decode_gre);
	check_truncations_of(buf, len);
	/* checksum, key and sequence number (RFC 2890): 16 bytes; IPv6 inside */
	wr16(gre, 0x8000 | 0x2000 | 0x1000);
	wr16(gre + 2, 0x86dd);
	n = inner(in, true, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 16, in, n));
	expect_inner(buf, len, true, DECODE_TUN_GRE, CNT_decode_gre);
	/* a key and a Reserved0 bit (ignored on receipt), transparent Ethernet bridging */
	wr16(gre, 0x2000 | 0x0040);
	wr16(gre + 2, 0x6558);
	n = inner(in, false, true);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GRE, CNT_decode_gre);
	check_truncations_of(buf, len);
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
		wr16(gre, bad_flags[i]);
		wr16(gre + 2, 0x0800);
		len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
		expect_drop(buf, len, CNT_decode_gre_bad);
	}
	/* a key announced, the packet ends inside it; a header shorter than 4 bytes */
	wr16(gre, 0x2000);
	len = eth_ip4(buf, 47, gre, 6);
	expect_drop(buf, len, CNT_decode_gre_bad);
	len = eth_ip4(buf, 47, gre, 3);
	expect_drop(buf, len, CNT_decode_gre_bad);
	/* version 1 is PPTP's enhanced GRE, carrying PPP: not decoded */
	wr16(gre, 0x2001);
	wr16(gre + 2, 0x880b);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 8, in, n));
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
	/* a protocol GRE may carry but we do not read (ARP) */
	wr16(gre, 0);
	wr16(gre + 2, 0x0806);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_erspan_types(void)
{
	uint8_t in[1600], pkt[1600], buf[1600];
	uint8_t h[28];
	size_t n = inner(in, false, true), len;

	/* type I: GRE 0x88be without a sequence number, the frame right after */
	memset(h, 0, sizeof(h));
	wr16(h + 2, 0x88be);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 4, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* type II: a sequence number, then 8 bytes of version 1 */
	wr16(h, 0x1000);
	h[8] = 0x10;
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 16, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	check_truncations_of(buf, len);
	h[8] = 0x20; /* version 2 under the type II protocol */
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 16, in, n));
	expect_drop(buf, len, CNT_decode_erspan_bad);
	/* type III with the O bit: 12 bytes of version 2, then the 8-byte subheader */
	memset(h, 0, sizeof(h));
	wr16(h, 0x1000);
	wr16(h + 2, 0x22eb);
	h[8] = 0x20;
	h[8 + 11] = 0x01;
	memset(h + 20, 0x77, 8);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 28, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* the subheader announced but cut off */
	len = eth_ip4(buf, 47, h, 24);
	expect_drop(buf, len, CNT_decode_erspan_bad);
	/* type III, frame type 2: an IP packet, no Ethernet header */
	h[8 + 11] = 0;
	wr16(h + 8 + 10, 2 << 10);
	n = inner(in, false, false);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 20, in, n));
	expect_inner(buf, len, false, DECODE_TUN_ERSPAN, CNT_decode_erspan);
	/* frame type 1 is not decoded */
	wr16(h + 8 + 10, 1 << 10);
	len = eth_ip4(buf, 47, pkt, cat(pkt, h, 20, in, n));
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
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
	check_truncations_of(buf, len);
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
	wr16(g + 2, 0x6558);
	wr16(g + 8, 0x0102);
	g[11] = 1;
	wr16(g + 16, 0x0103);
	g[19] = 2;
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 28, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GENEVE, CNT_decode_geneve);
	check_truncations_of(buf, len);
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
	wr16(g + 2, 0x86dd);
	n = inner(in, true, false);
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 8, in, n));
	expect_inner(buf, len, true, DECODE_TUN_GENEVE, CNT_decode_geneve);
	/* a protocol type not decoded (LLDP) */
	wr16(g + 2, 0x88cc);
	len = eth_udp4(buf, 50000, 6081, pkt, cat(pkt, g, 8, in, n));
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
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

	wr16(g + 2, (uint16_t)n);
	len = eth_udp4(buf, 5906, 2152, pkt, cat(pkt, g, 8, in, n));
	expect_inner(buf, len, false, DECODE_TUN_GTP, CNT_decode_gtp);
	check_truncations_of(buf, len);
	/* S and E: the 4 optional bytes, then one 4-byte extension header, the last */
	n = inner(in, true, false);
	g[0] = 0x30 | 0x04 | 0x02;
	wr16(g + 2, (uint16_t)(8 + n));
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
	wr16(g + 2, (uint16_t)(8 + n + 1));
	len = eth_udp4(buf, 2152, 2152, pkt, cat(pkt, g, 16, in, n));
	expect_plain_udp(buf, len, 2152, CNT_decode_gtp_bad);
	/* an echo request (type 1) carries no user packet */
	memset(g, 0, sizeof(g));
	g[0] = 0x32;
	g[1] = 1;
	g[3] = 4;
	len = eth_udp4(buf, 2152, 2152, g, 12);
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
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
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
}

static void
test_decode_pppoe_session(void)
{
	uint8_t p[8] = { 0x11, 0, 0x12, 0x34, 0, 0, 0x00, 0x21 };
	uint8_t in[1600], pkt[1600], buf[1600];
	size_t n = inner(in, false, false), len;

	wr16(p + 4, (uint16_t)(2 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_inner_at(buf, len, false, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	check_truncations_of(buf, len);
	/* RFC 1661 §6.5: a compressed protocol field */
	wr16(p + 4, (uint16_t)(1 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 6, (const uint8_t *)"\x21", 1));
	memcpy(buf + len, in, n);
	expect_inner_at(buf, len + n, false, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	/* IPv6 */
	n = inner(in, true, false);
	wr16(p + 4, (uint16_t)(2 + n));
	wr16(p + 6, 0x0057);
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_inner_at(buf, len, true, DECODE_TUN_PPPOE, CNT_decode_pppoe, 1);
	/* a PPPoE length past the frame; version 2; LCP */
	wr16(p + 4, (uint16_t)(3 + n));
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_drop(buf, len, CNT_decode_pppoe_bad);
	wr16(p + 4, (uint16_t)(2 + n));
	p[0] = 0x21;
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_drop(buf, len, CNT_decode_pppoe_bad);
	p[0] = 0x11;
	wr16(p + 6, 0xc021);
	len = eth_type(buf, 0x8864, pkt, cat(pkt, p, 8, in, n));
	expect_drop(buf, len, CNT_decode_tunnel_unsupported);
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
	check_truncations_of(buf, len);
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
	expect_drop(buf, len, CNT_decode_mpls_bad);
	len = eth_type(buf, 0x8847, labels, 8);
	expect_drop(buf, len, CNT_decode_mpls_bad);
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
	wr16(buf + 12, (uint16_t)(8 + n + 7));
	expect_drop(buf, len + 6, CNT_decode_not_ip);
	/* spanning tree's LLC, not SNAP */
	wr16(buf + 12, (uint16_t)(8 + n));
	buf[14] = buf[15] = 0x42;
	expect_drop(buf, len, CNT_decode_not_ip);
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
			expect_drop(buf, len, CNT_decode_tunnel_depth);
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
	wr16(in + 6, 0x0001);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(memcmp(d.src, src4, 4), 0);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.frag_off, 8);
	CU_ASSERT_EQUAL(d.tunnel_depth, 1);
	CU_ASSERT_EQUAL(d.sport, 0);
	/* a fragmented GRE packet: a fragment of protocol 47 under the outer addresses, whose
	 * reassembled payload decode_l4_payload() follows into the tunnel */
	wr16(in + 6, 0);
	len = eth_ip4(buf, 47, pkt, cat(pkt, gre, 4, in, n));
	wr16(buf + 14 + 6, 0x0001);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.proto, 47);
	CU_ASSERT_EQUAL(memcmp(d.src, osrc4, 4), 0);
	CU_ASSERT_EQUAL(d.tunnel_depth, 0);
	g = guard_dup(buf + 34, len - 34);
	CU_ASSERT_EQUAL_FATAL(decode_l4_payload(NULL, &c, (struct span){ g, len - 34 }, &d),
	                      DECODE_KEEP);
	CU_ASSERT_EQUAL(memcmp(d.src, src4, 4), 0);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.tunnel_depth, 1);
	CU_ASSERT_EQUAL(d.tunnel_kind, DECODE_TUN_GRE);
	CU_ASSERT(d.payload.len == 5 && memcmp(d.payload.ptr, "inner", 5) == 0);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	guard_free(g);
	/* a reassembled VXLAN datagram whose inner packet is a fragment again: dropped */
	n = inner(in, false, true);
	wr16(in + 14 + 6, 0x0001);
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
static size_t
tcp_with_options(uint8_t *buf, const uint8_t *opts, size_t n)
{
	struct frame_spec fs = { .payload = "abc", .tcp_opt_words = (uint8_t)(n / 4) };
	size_t l3, len = build(buf, &fs, &l3);

	memcpy(buf + l3 + 20 + 20, opts, n);
	return len;
}

static void
test_decode_tcp_options_walked(void)
{
	/* MSS, NOP, window scale 15, SACK permitted, timestamps, one SACK block, an unknown
	 * kind, EOL, then bytes past the end of the list */
	static const uint8_t opts[40] = { 2,  4,  0x05, 0xb4, 1, 3,    3,    15,   4,    2,
		                          8,  10, 1,    2,    3, 4,    5,    6,    7,    8,
		                          5,  10, 0,    0,    0, 1,    0,    0,    0,    2,
		                          30, 4,  0xde, 0xad, 0, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = tcp_with_options(buf, opts, sizeof(opts));

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.tcp_opts, DECODE_OPT_MSS | DECODE_OPT_WSCALE | DECODE_OPT_SACK_PERM |
	                                    DECODE_OPT_TS | DECODE_OPT_SACK);
	CU_ASSERT_EQUAL(d.tcp_mss, 1460);
	CU_ASSERT_EQUAL(d.tcp_wscale, 14); /* RFC 7323 §2.3: capped */
	CU_ASSERT(d.payload.len == 3 && memcmp(d.payload.ptr, "abc", 3) == 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_opt_bad], 0);
	check_truncations_of(buf, len);
}

static void
test_decode_tcp_bad_options_kept_and_counted(void)
{
	static const uint8_t bad[][16] = {
		{ 2, 3, 0, 1 },              /* MSS of length 3 */
		{ 3, 2, 1, 1 },              /* window scale of length 2 */
		{ 4, 3, 0, 1 },              /* SACK permitted of length 3 */
		{ 1, 1, 1, 8 },              /* a kind with no room for its length */
		{ 30, 1, 0, 0 },             /* a length below 2 */
		{ 30, 9, 0, 0, 0, 0, 0, 0 }, /* a length past the header */
		{ 5, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1 }, /* SACK: not a whole block */
		{ 8, 8, 0, 0, 0, 0, 0, 0 },                          /* timestamps of length 8 */
		{ 2, 4, 0x05, 0xb4, 30, 1, 0, 0 }, /* a good MSS, then a bad one */
	};
	static const size_t n[] = { 4, 4, 4, 4, 4, 8, 16, 8, 8 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t i, len;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		len = tcp_with_options(buf, bad[i], n[i]);
		memset(&c, 0, sizeof(c));
		CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT((d.tcp_opts & DECODE_OPT_BAD) != 0);
		CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_opt_bad], 1);
		CU_ASSERT(d.payload.len == 3 && memcmp(d.payload.ptr, "abc", 3) == 0);
		CU_ASSERT_EQUAL(drops(&c), 0);
	}
	CU_ASSERT_EQUAL(d.tcp_mss, 1460); /* what came before the bad option stays */
	/* EOL ends the list: what follows is not read */
	len = tcp_with_options(buf, (const uint8_t[]){ 0, 30, 1, 0 }, 4);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.tcp_opts, 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_opt_bad], 0);
}

/* RFC 1071, 16 bits at a time: the tests' own sum, independent of decode.c's. */
static uint16_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n % 2 != 0) {
		sum += (uint32_t)p[n - 1] << 8;
	}
	while ((sum >> 16) != 0) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

/* Sets the IPv4 header checksum and the TCP or UDP checksum of a frame from build(). */
static void
fix_checksums(uint8_t *buf, size_t l3, bool ip6, uint8_t proto)
{
	uint8_t *ip = buf + l3, *l4;
	const size_t at = proto == DECODE_TCP ? 16 : 6;
	size_t l4len;
	uint32_t ps;
	uint16_t sum;

	if (ip6) {
		l4 = ip + 40;
		l4len = rd16(ip + 4);
		ps = sum16(0, ip + 8, 32) + (uint32_t)l4len + proto;
	} else {
		wr16(ip + 10, 0);
		wr16(ip + 10, (uint16_t)~sum16(0, ip, 20));
		l4 = ip + 20;
		l4len = rd16(ip + 2) - 20u;
		ps = sum16(0, ip + 12, 8) + (uint32_t)l4len + proto;
	}
	wr16(l4 + at, 0);
	sum = (uint16_t)~sum16(ps, l4, l4len);
	wr16(l4 + at, proto == DECODE_UDP && sum == 0 ? 0xffff : sum);
}

static void
test_decode_checksums_verified_when_asked(void)
{
	const struct decode_cfg on = { .verify_checksums = true };
	const struct frame_spec specs[] = {
		{ .payload = "odd-length"
		             "x" },
		{ .payload = "dgram", .proto = DECODE_UDP },
		{ .payload = "odd-length"
		             "x",
		  .ip6 = true,
		  .tcp_opt_words = 1 },
		{ .payload = "dgram", .ip6 = true, .proto = DECODE_UDP, .pad = 4 },
	};
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t i, l3, len;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const uint8_t proto = specs[i].proto != 0 ? specs[i].proto : DECODE_TCP;

		len = build(buf, &specs[i], &l3);
		fix_checksums(buf, l3, specs[i].ip6, proto);
		memset(&c, 0, sizeof(c));
		CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT_EQUAL(drops(&c), 0);
		/* one payload bit flipped: bad when verified, unnoticed when not */
		buf[len - specs[i].pad - 1] ^= 0x10;
		CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_DROP);
		CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
		CU_ASSERT_EQUAL(decode_guarded_cfg(NULL, &c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT_EQUAL(drops(&c), 1);
		if (!specs[i].ip6) {
			/* the IPv4 header checksum */
			buf[len - specs[i].pad - 1] ^= 0x10;
			buf[l3 + 8] = 63; /* TTL changed, checksum not updated */
			CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_DROP);
			CU_ASSERT_EQUAL(c.v[CNT_decode_ip_csum_bad], 1);
			CU_ASSERT_EQUAL(decode_guarded_cfg(NULL, &c, buf, len, &d), DECODE_KEEP);
		}
	}
}

static void
test_decode_udp_zero_checksum(void)
{
	const struct decode_cfg on = { .verify_checksums = true };
	struct frame_spec f4 = { .payload = "dgram", .proto = DECODE_UDP };
	struct frame_spec f6 = { .payload = "dgram", .proto = DECODE_UDP, .ip6 = true };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len;

	/* RFC 768: zero on IPv4 is no checksum */
	len = build(buf, &f4, &l3);
	fix_checksums(buf, l3, false, DECODE_UDP);
	wr16(buf + l3 + 20 + 6, 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
	/* RFC 8200 §8.1: zero on IPv6 is bad */
	len = build(buf, &f6, &l3);
	CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
	/* RFC 6935: except to a tunnel port (here not a VXLAN header, so plain UDP) */
	wr16(buf + l3 + 40 + 2, 4789);
	CU_ASSERT_EQUAL(decode_guarded_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.dport, 4789);
	CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
}

static void
test_decode_l4_payload_checksum_over_datagram(void)
{
	const struct decode_cfg on = { .verify_checksums = true };
	struct frame_spec fs = { .payload = "0123456789abcdef0123", .proto = DECODE_UDP };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len = build(buf, &fs, &l3), l4len = len - l3 - 20;
	uint8_t *g;

	fix_checksums(buf, l3, false, DECODE_UDP);
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	d.proto = DECODE_UDP;
	memcpy(d.src, src4, 4);
	memcpy(d.dst, dst4, 4);
	g = guard_dup(buf + l3 + 20, l4len);
	CU_ASSERT_EQUAL(decode_l4_payload(&on, &c, (struct span){ g, l4len }, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 20);
	guard_free(g);
	buf[len - 1] ^= 1;
	g = guard_dup(buf + l3 + 20, l4len);
	CU_ASSERT_EQUAL(decode_l4_payload(&on, &c, (struct span){ g, l4len }, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
	CU_ASSERT_EQUAL(decode_l4_payload(NULL, &c, (struct span){ g, l4len }, &d), DECODE_KEEP);
	guard_free(g);
}

int
main(void)
{
	CU_pSuite s;
	int rc;

	CU_initialize_registry();
	s = CU_add_suite("decode", NULL, NULL);
	CU_add_test(s, "IPv4 TCP fields in host order", test_decode_ip4_tcp_fields);
	CU_add_test(s, "TCP options skipped", test_decode_tcp_options_skipped);
	CU_add_test(s, "IPv4 padding not in payload", test_decode_ip4_padding_not_in_payload);
	CU_add_test(s, "IPv6 padding not in payload", test_decode_ip6_padding_not_in_payload);
	CU_add_test(s, "UDP length trims payload", test_decode_udp_length_trims_payload);
	CU_add_test(s, "IPv6 TCP and UDP", test_decode_ip6_tcp_and_udp);
	CU_add_test(s, "VLAN single, QinQ, stacked", test_decode_vlan_single_qinq_and_stacked);
	CU_add_test(s, "truncated VLAN counted", test_decode_truncated_vlan_counted);
	CU_add_test(s, "short and non-IP frames", test_decode_short_and_non_ip_frames);
	CU_add_test(s, "IPv4 bad headers", test_decode_ip4_bad_headers);
	CU_add_test(s, "IPv4 fragment fields", test_decode_ip4_fragment_fields);
	CU_add_test(s, "IPv4 bad fragments dropped", test_decode_ip4_bad_fragments_dropped);
	CU_add_test(s, "L4 of a reassembled payload, same parser",
	            test_decode_l4_payload_same_parser);
	CU_add_test(s, "other protocols dropped", test_decode_other_protocols_dropped);
	CU_add_test(s, "IPv6 extension headers walked", test_decode_ip6_extension_headers_walked);
	CU_add_test(s, "IPv6 chain limit and fragments", test_decode_ip6_chain_limit_and_fragments);
	CU_add_test(s, "IPv6 bad headers", test_decode_ip6_bad_headers);
	CU_add_test(s, "TCP bad data offset", test_decode_tcp_bad_data_offset);
	CU_add_test(s, "TCP header past IP length", test_decode_tcp_header_past_ip_length);
	CU_add_test(s, "UDP bad length", test_decode_udp_bad_length);
	CU_add_test(s, "every truncation dropped and counted",
	            test_decode_every_truncation_dropped_and_counted);
	CU_add_test(s, "empty payload kept", test_decode_empty_payload_kept);
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
	CU_add_test(s, "TCP options walked", test_decode_tcp_options_walked);
	CU_add_test(s, "TCP bad options kept and counted",
	            test_decode_tcp_bad_options_kept_and_counted);
	CU_add_test(s, "checksums verified when asked", test_decode_checksums_verified_when_asked);
	CU_add_test(s, "UDP zero checksum", test_decode_udp_zero_checksum);
	CU_add_test(s, "L4 checksum over a reassembled datagram",
	            test_decode_l4_payload_checksum_over_datagram);
	rc = guard_run_tests();
	guard_free(last_copy);
	return rc;
}
