#include "net/decode.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "decode_rig.h"
#include "guard.h"

static void
test_decode_ip4_tcp_fields(void)
{
	struct frame_spec fs = { .payload = "GET / HTTP/1.1\r\n" };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = decode_rig_build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_FALSE(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.vlan, 0);
	CU_ASSERT_EQUAL(memcmp(d.src, decode_rig_src4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, decode_rig_dst4, 4), 0);
	CU_ASSERT_EQUAL(d.src[4] | d.src[15] | d.dst[4] | d.dst[15], 0);
	CU_ASSERT_EQUAL(d.sport, 51512);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT_EQUAL(d.seq, 0xfffffff0u);
	CU_ASSERT_EQUAL(d.ack, 0x01020304u);
	CU_ASSERT_EQUAL(d.tcp_flags, DECODE_TH_ACK | DECODE_TH_PSH);
	CU_ASSERT_EQUAL(d.payload.len, 16);
	CU_ASSERT_EQUAL(d.payload.ptr, decode_rig_last_copy + len - 16);
	CU_ASSERT_EQUAL(memcmp(d.payload.ptr, "GET / HTTP/1.1\r\n", 16), 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip4], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp], 1);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
}

static void
test_decode_tcp_options_skipped(void)
{
	struct frame_spec fs = { .payload = "abc", .tcp_opt_words = 3 };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t len = decode_rig_build(buf, &fs, NULL);

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
	size_t len = decode_rig_build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(len, 60);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 3);
	len = decode_rig_build(buf, &us, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
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
	size_t len = decode_rig_build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 2);
}

static void
test_decode_udp_length_trims_payload(void)
{
	struct frame_spec fs = { .payload = "hello", .proto = DECODE_UDP };
	uint8_t buf[1600];
	struct counters c;
	struct decoded d;
	size_t l3, len = decode_rig_build(buf, &fs, &l3);

	/* UDP says 3 data bytes; the IP packet carries 5 */
	decode_rig_wr16(buf + l3 + 20 + 4, 11);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
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
	size_t len = decode_rig_build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_TRUE(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(memcmp(d.src, decode_rig_src6, 16), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, decode_rig_dst6, 16), 0);
	CU_ASSERT_EQUAL(d.payload.len, 4);
	len = decode_rig_build(buf, &us, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
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
	len = decode_rig_build(buf, &one, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 100); /* PCP bits masked off */
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 1);
	len = decode_rig_build(buf, &qinq, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 300);
	CU_ASSERT_TRUE(d.is_ip6);
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 3);
	len = decode_rig_build(buf, &stacked, NULL);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.vlan, 7);
	CU_ASSERT_EQUAL(d.payload.len, 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_vlan], 6);
}

static void
test_decode_truncated_vlan_counted(void)
{
	struct frame_spec fs = { .tags = { 0x88a8, 0x8100 }, .payload = "p" };
	uint8_t buf[1600];

	decode_rig_build(buf, &fs, NULL);
	decode_rig_expect_drop(buf, 14, CNT_decode_vlan_short);
	decode_rig_expect_drop(buf, 17, CNT_decode_vlan_short);
	decode_rig_expect_drop(buf, 21, CNT_decode_vlan_short);
}

static void
test_decode_short_and_non_ip_frames(void)
{
	uint8_t buf[1600];
	size_t len;

	memset(buf, 0, sizeof(buf));
	for (len = 0; len < 14; len++) {
		decode_rig_expect_drop(buf, len, CNT_decode_eth_short);
	}
	decode_rig_wr16(buf + 12, 0x0806); /* ARP */
	decode_rig_expect_drop(buf, 60, CNT_decode_not_ip);
	decode_rig_wr16(buf + 12, 0x002e); /* 802.3 length field */
	decode_rig_expect_drop(buf, 60, CNT_decode_not_ip);
}

static void
test_decode_ip4_bad_headers(void)
{
	struct frame_spec fs = { .payload = "hello" };
	uint8_t buf[1600];
	size_t l3, len;

	len = decode_rig_build(buf, &fs, &l3);
	buf[l3] = 0x65; /* version 6 in an IPv4 ethertype */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
	len = decode_rig_build(buf, &fs, &l3);
	buf[l3] = 0x44; /* IHL 4 */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
	len = decode_rig_build(buf, &fs, &l3);
	buf[l3] = 0x4f; /* IHL 15: 60 bytes, more than the packet */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 2, (uint16_t)(len - l3 + 1)); /* total length past the frame */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 2, 19); /* total length inside the header */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
}

/* A fragment's fields, with <flags_off> the raw flags + offset word; payload is the IP payload. */
static void
expect_frag(uint8_t *buf, size_t len, size_t l3, uint16_t flags_off, uint16_t off, bool more)
{
	struct counters c;
	struct decoded d;

	memset(&c, 0, sizeof(c));
	decode_rig_wr16(buf + l3 + 4, 0xbeef);
	decode_rig_wr16(buf + l3 + 6, flags_off);
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.ip_id, 0xbeef);
	CU_ASSERT_EQUAL(d.frag_off, off);
	CU_ASSERT_EQUAL(d.frag_more, more);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_FALSE(d.is_ip6);
	CU_ASSERT_EQUAL(memcmp(d.src, decode_rig_src4, 4), 0);
	CU_ASSERT_EQUAL(memcmp(d.dst, decode_rig_dst4, 4), 0);
	CU_ASSERT_EQUAL(d.vlan, 7);
	/* the whole IP payload, TCP header included, not an L4 payload */
	CU_ASSERT_PTR_EQUAL(d.payload.ptr, decode_rig_last_copy + l3 + 20);
	CU_ASSERT_EQUAL(d.payload.len, 32);
	CU_ASSERT_EQUAL(d.sport, 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp], 0);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
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

	len = decode_rig_build(buf, &fs, &l3);
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

	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 6, 0x2000); /* MF with a length not a multiple of 8 */
	decode_rig_expect_drop(buf, len, CNT_ip_frag_bad);
	decode_rig_wr16(buf + l3 + 6, 0x0003); /* the last fragment may have any length */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	len = decode_rig_build(buf, &fs8, &l3);
	decode_rig_wr16(buf + l3 + 6, 0x1fff); /* 65528 + 32 bytes: past the 16-bit Total Length */
	decode_rig_expect_drop(buf, len, CNT_ip_frag_bad);
	decode_rig_wr16(buf + l3 + 6, 0x1ffc); /* 65504 + 32 = 65536 */
	decode_rig_expect_drop(buf, len, CNT_ip_frag_bad);
	len = decode_rig_build(buf, &icmp, &l3);
	decode_rig_wr16(buf + l3 + 6,
	                0x2000); /* fragments of other protocols are not reassembled */
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_rig_run(&c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_other_proto], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], 1);
	/* an empty fragment */
	len = decode_rig_build(buf, &(struct frame_spec){ .proto = 1 }, &l3);
	decode_rig_wr16(buf + l3 + 6, 0x2001);
	buf[l3 + 9] = DECODE_UDP;
	decode_rig_expect_drop(buf, len, CNT_ip_frag_bad);
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

	len = decode_rig_build(buf, &icmp4, NULL);
	decode_rig_expect_drop(buf, len, CNT_decode_other_proto);
	len = decode_rig_build(buf, &icmp6, NULL);
	decode_rig_expect_drop(buf, len, CNT_decode_other_proto);
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
	decode_rig_wr16(ip + 4, (uint16_t)(((unsigned)ip[4] << 8 | ip[5]) + hl));
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

	len = decode_rig_build(buf, &fs, &l3);
	len = insert_ext(buf, len, l3, 44, atomic, sizeof(atomic));
	len = insert_ext(buf, len, l3, 51, ah, sizeof(ah));
	len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	len = insert_ext(buf, len, l3, 43, routing, sizeof(routing));
	len = insert_ext(buf, len, l3, 0, opts, sizeof(opts));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.proto, DECODE_TCP);
	CU_ASSERT_EQUAL(d.dport, 80);
	CU_ASSERT(d.payload.len == 15 && memcmp(d.payload.ptr, "some bytes here", 15) == 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip6_ext], 5);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);

	/* ESP and No Next Header: nothing we can read follows. */
	len = decode_rig_build(buf, &fs, &l3);
	buf[l3 + 6] = 50;
	decode_rig_expect_drop(buf, len, CNT_decode_ip6_unreadable);
	buf[l3 + 6] = 59;
	decode_rig_expect_drop(buf, len, CNT_decode_ip6_unreadable);
	/* A header longer than the packet. */
	len = decode_rig_build(buf, &fs, &l3);
	len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	buf[l3 + 41] = 200;
	decode_rig_expect_drop(buf, len, CNT_decode_ip6_ext_bad);
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

	len = decode_rig_build(buf, &fs, &l3);
	for (i = 0; i < 9; i++) {
		len = insert_ext(buf, len, l3, 60, opts, sizeof(opts));
	}
	decode_rig_expect_drop(buf, len, CNT_decode_ip6_ext_bad);

	/* The first of several fragments: offset 0, M set, id 0xdeadbeef. */
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(frag + 2, 0x0001);
	decode_rig_wr32(frag + 4, 0xdeadbeefu);
	len = insert_ext(buf, len, l3, 44, frag, sizeof(frag));
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT(d.is_ip6);
	CU_ASSERT_EQUAL(d.proto, DECODE_UDP);
	CU_ASSERT_EQUAL(d.ip_id, 0xdeadbeefu);
	CU_ASSERT_EQUAL(d.frag_off, 0);
	CU_ASSERT(d.frag_more);
	/* the UDP header and payload, 8 + 16 bytes: a multiple of 8, as a non-last fragment's */
	CU_ASSERT_EQUAL(d.payload.len, 24);
	/* A later one, offset 24, the last. */
	decode_rig_wr16(buf + l3 + 40 + 2, 24);
	CU_ASSERT_EQUAL(decode_rig_run(&c, buf, len, &d), DECODE_FRAG);
	CU_ASSERT_EQUAL(d.frag_off, 24);
	CU_ASSERT_FALSE(d.frag_more);
	CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
}

static void
test_decode_ip6_bad_headers(void)
{
	struct frame_spec fs = { .payload = "hello", .ip6 = true };
	uint8_t buf[1600];
	size_t l3, len;

	len = decode_rig_build(buf, &fs, &l3);
	buf[l3] = 0x40; /* version 4 under the IPv6 ethertype */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 4,
	                (uint16_t)(len - l3 - 40 + 1)); /* payload length past the frame */
	decode_rig_expect_drop(buf, len, CNT_decode_ip_bad);
}

static void
test_decode_tcp_bad_data_offset(void)
{
	struct frame_spec fs = { .payload = "hello" };
	struct frame_spec f6 = { .payload = "hello", .ip6 = true };
	uint8_t buf[1600];
	size_t l3, len;

	len = decode_rig_build(buf, &fs, &l3);
	buf[l3 + 20 + 12] = 4 << 4; /* below the minimum of 5 words */
	decode_rig_expect_drop(buf, len, CNT_decode_tcp_bad);
	len = decode_rig_build(buf, &fs, &l3);
	buf[l3 + 20 + 12] = 7 << 4; /* 28 bytes, only 25 in the packet */
	decode_rig_expect_drop(buf, len, CNT_decode_tcp_bad);
	len = decode_rig_build(buf, &f6, &l3);
	buf[l3 + 40 + 12] = 15 << 4;
	decode_rig_expect_drop(buf, len, CNT_decode_tcp_bad);
}

static void
test_decode_tcp_header_past_ip_length(void)
{
	struct frame_spec fs = { .payload = "hello" };
	uint8_t buf[1600];
	size_t l3, len;

	/* the frame holds the whole TCP header, but the IP length ends inside it */
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 2, 20 + 19);
	decode_rig_expect_drop(buf, len, CNT_decode_tcp_bad);
}

static void
test_decode_udp_bad_length(void)
{
	struct frame_spec fs = { .payload = "hello", .proto = DECODE_UDP };
	uint8_t buf[1600];
	size_t l3, len;

	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 20 + 4, 7);
	decode_rig_expect_drop(buf, len, CNT_decode_udp_bad);
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 20 + 4, 14); /* one past the IP payload */
	decode_rig_expect_drop(buf, len, CNT_decode_udp_bad);
	len = decode_rig_build(buf, &fs, &l3);
	decode_rig_wr16(buf + l3 + 2, 20 + 7); /* IP ends inside the UDP header */
	decode_rig_expect_drop(buf, len, CNT_decode_udp_bad);
}

static void
check_all_truncations(const struct frame_spec *fs)
{
	uint8_t buf[1600];
	size_t len = decode_rig_build(buf, fs, NULL);

	decode_rig_truncations(buf, len);
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
	size_t len = decode_rig_build(buf, &fs, NULL);

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.payload.len, 0);
}

/* Tunnels: an outer packet from 10.0.0.1 to 10.0.0.2 around the inner TCP packet of inner(). */

static size_t
tcp_with_options(uint8_t *buf, const uint8_t *opts, size_t n)
{
	struct frame_spec fs = { .payload = "abc", .tcp_opt_words = (uint8_t)(n / 4) };
	size_t l3, len = decode_rig_build(buf, &fs, &l3);

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
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	CU_ASSERT_EQUAL(d.tcp_opts, DECODE_OPT_MSS | DECODE_OPT_WSCALE | DECODE_OPT_SACK_PERM |
	                                    DECODE_OPT_TS | DECODE_OPT_SACK);
	CU_ASSERT_EQUAL(d.tcp_mss, 1460);
	CU_ASSERT_EQUAL(d.tcp_wscale, 14); /* RFC 7323 §2.3: capped */
	CU_ASSERT(d.payload.len == 3 && memcmp(d.payload.ptr, "abc", 3) == 0);
	CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_opt_bad], 0);
	decode_rig_truncations(buf, len);
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
		CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT((d.tcp_opts & DECODE_OPT_BAD) != 0);
		CU_ASSERT_EQUAL(c.v[CNT_decode_tcp_opt_bad], 1);
		CU_ASSERT(d.payload.len == 3 && memcmp(d.payload.ptr, "abc", 3) == 0);
		CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
	}
	CU_ASSERT_EQUAL(d.tcp_mss, 1460); /* what came before the bad option stays */
	/* EOL ends the list: what follows is not read */
	len = tcp_with_options(buf, (const uint8_t[]){ 0, 30, 1, 0 }, 4);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
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

/* Sets the IPv4 header checksum and the TCP or UDP checksum of a frame from decode_rig_build(). */
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
		l4len = decode_rig_rd16(ip + 4);
		ps = sum16(0, ip + 8, 32) + (uint32_t)l4len + proto;
	} else {
		decode_rig_wr16(ip + 10, 0);
		decode_rig_wr16(ip + 10, (uint16_t)~sum16(0, ip, 20));
		l4 = ip + 20;
		l4len = decode_rig_rd16(ip + 2) - 20u;
		ps = sum16(0, ip + 12, 8) + (uint32_t)l4len + proto;
	}
	decode_rig_wr16(l4 + at, 0);
	sum = (uint16_t)~sum16(ps, l4, l4len);
	decode_rig_wr16(l4 + at, proto == DECODE_UDP && sum == 0 ? 0xffff : sum);
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

		len = decode_rig_build(buf, &specs[i], &l3);
		fix_checksums(buf, l3, specs[i].ip6, proto);
		memset(&c, 0, sizeof(c));
		CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT_EQUAL(decode_rig_drops(&c), 0);
		/* one payload bit flipped: bad when verified, unnoticed when not */
		buf[len - specs[i].pad - 1] ^= 0x10;
		CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_DROP);
		CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
		CU_ASSERT_EQUAL(decode_rig_run_cfg(NULL, &c, buf, len, &d), DECODE_KEEP);
		CU_ASSERT_EQUAL(decode_rig_drops(&c), 1);
		if (!specs[i].ip6) {
			/* the IPv4 header checksum */
			buf[len - specs[i].pad - 1] ^= 0x10;
			buf[l3 + 8] = 63; /* TTL changed, checksum not updated */
			CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_DROP);
			CU_ASSERT_EQUAL(c.v[CNT_decode_ip_csum_bad], 1);
			CU_ASSERT_EQUAL(decode_rig_run_cfg(NULL, &c, buf, len, &d), DECODE_KEEP);
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
	len = decode_rig_build(buf, &f4, &l3);
	fix_checksums(buf, l3, false, DECODE_UDP);
	decode_rig_wr16(buf + l3 + 20 + 6, 0);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
	/* RFC 8200 §8.1: zero on IPv6 is bad */
	len = decode_rig_build(buf, &f6, &l3);
	CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_decode_l4_csum_bad], 1);
	/* RFC 6935: except to a tunnel port (here not a VXLAN header, so plain UDP) */
	decode_rig_wr16(buf + l3 + 40 + 2, 4789);
	CU_ASSERT_EQUAL(decode_rig_run_cfg(&on, &c, buf, len, &d), DECODE_KEEP);
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
	size_t l3, len = decode_rig_build(buf, &fs, &l3), l4len = len - l3 - 20;
	uint8_t *g;

	fix_checksums(buf, l3, false, DECODE_UDP);
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	d.proto = DECODE_UDP;
	memcpy(d.src, decode_rig_src4, 4);
	memcpy(d.dst, decode_rig_dst4, 4);
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
	CU_add_test(s, "TCP options walked", test_decode_tcp_options_walked);
	CU_add_test(s, "TCP bad options kept and counted",
	            test_decode_tcp_bad_options_kept_and_counted);
	CU_add_test(s, "checksums verified when asked", test_decode_checksums_verified_when_asked);
	CU_add_test(s, "UDP zero checksum", test_decode_udp_zero_checksum);
	CU_add_test(s, "L4 checksum over a reassembled datagram",
	            test_decode_l4_payload_checksum_over_datagram);
	rc = guard_run_tests();
	guard_free(decode_rig_last_copy);
	return rc;
}
