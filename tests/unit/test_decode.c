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

/* Decodes a guard-page copy of <buf> so an over-read faults. */
static enum decode_rc
decode_guarded(struct counters *c, const uint8_t *buf, size_t len, struct decoded *out)
{
	guard_free(last_copy);
	last_copy = NULL;
	if (len == 0) {
		/* guard_free() cannot find a zero-length copy's mapping; use NULL, as allowed */
		return decode_packet(c, NULL, 0, out);
	}
	last_copy = guard_dup(buf, len);
	return decode_packet(c, last_copy, len, out);
}

static const enum counter_id drop_counters[] = {
	CNT_decode_eth_short,      CNT_decode_vlan_short,  CNT_decode_not_ip,
	CNT_decode_ip_bad,         CNT_ip_frag_bad,        CNT_decode_ip6_ext_bad,
	CNT_decode_ip6_unreadable, CNT_decode_other_proto, CNT_decode_tcp_bad,
	CNT_decode_udp_bad,
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

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_guarded(&c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[id], 1);
	CU_ASSERT_EQUAL(drops(&c), 1);
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
	CU_ASSERT_EQUAL_FATAL(decode_packet(&c, buf, len, &d), DECODE_KEEP);
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
	CU_ASSERT_EQUAL(decode_l4_payload(&c, (struct span){ g, sizeof(tcp) }, &d), DECODE_KEEP);
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
	CU_ASSERT_EQUAL(decode_l4_payload(&c, (struct span){ g, 19 }, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_bad], 1);
	guard_free(g);
	d.proto = DECODE_UDP;
	g = guard_dup(udp, sizeof(udp));
	CU_ASSERT_EQUAL(decode_l4_payload(&c, (struct span){ g, sizeof(udp) }, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.sport, 5140);
	CU_ASSERT_EQUAL(d.dport, 5140);
	CU_ASSERT_EQUAL(d.payload.len, 3); /* the UDP length trims a trailing byte */
	CU_ASSERT_EQUAL(c.v[CNT_decode_udp], 1);
	CU_ASSERT_EQUAL(decode_l4_payload(&c, (struct span){ g, 7 }, &d), DECODE_DROP);
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

/* Every proper prefix of a frame without padding is malformed and counted once. */
static void
check_all_truncations(const struct frame_spec *fs)
{
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = build(buf, fs, NULL), cut;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_guarded(&c, buf, len, &d), DECODE_KEEP);
	for (cut = 0; cut < len; cut++) {
		uint64_t before = drops(&c);

		CU_ASSERT_EQUAL(decode_guarded(&c, buf, cut, &d), DECODE_DROP);
		CU_ASSERT_EQUAL(drops(&c), before + 1);
	}
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
	rc = guard_run_tests();
	guard_free(last_copy);
	return rc;
}
