/* Frames for the decode suites, and decoding them from a guard-page copy. */
#include "decode_rig.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

const uint8_t decode_rig_src4[4] = { 198, 18, 0, 10 };
const uint8_t decode_rig_dst4[4] = { 198, 18, 0, 20 };
const uint8_t decode_rig_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
const uint8_t decode_rig_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

void
decode_rig_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
decode_rig_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
decode_rig_wr32(uint8_t *p, uint32_t v)
{
	decode_rig_wr16(p, (uint16_t)(v >> 16));
	decode_rig_wr16(p + 2, (uint16_t)v);
}

/* Writes the frame into <buf> and returns its length; <*l3> gets the IP header offset. */
size_t
decode_rig_build(uint8_t *buf, const struct frame_spec *fs, size_t *l3)
{
	size_t off = 12, plen = fs->payload != NULL ? strlen(fs->payload) : 0, l4len, iplen;
	uint8_t proto = fs->proto != 0 ? fs->proto : DECODE_TCP;
	uint8_t *ip, *l4;
	int i;

	memset(buf, 0, 1600);
	memset(buf, 0xaa, 12);
	for (i = 0; i < 3 && fs->tags[i] != 0; i++) {
		decode_rig_wr16(buf + off, fs->tags[i]);
		decode_rig_wr16(buf + off + 2, fs->tag_vid[i]);
		off += 4;
	}
	decode_rig_wr16(buf + off, fs->ip6 ? 0x86dd : 0x0800);
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
		decode_rig_wr16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, decode_rig_src6, 16);
		memcpy(ip + 24, decode_rig_dst6, 16);
		l4 = ip + 40;
		iplen = 40 + l4len;
	} else {
		ip[0] = 0x45;
		decode_rig_wr16(ip + 2, (uint16_t)(20 + l4len));
		decode_rig_wr16(ip + 6, 0x4000); /* DF: not a fragment */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, decode_rig_src4, 4);
		memcpy(ip + 16, decode_rig_dst4, 4);
		l4 = ip + 20;
		iplen = 20 + l4len;
	}
	if (proto == DECODE_TCP) {
		decode_rig_wr16(l4, 51512);
		decode_rig_wr16(l4 + 2, 80);
		decode_rig_wr32(l4 + 4, 0xfffffff0u);
		decode_rig_wr32(l4 + 8, 0x01020304u);
		l4[12] = (uint8_t)((5 + fs->tcp_opt_words) << 4);
		l4[13] = DECODE_TH_ACK | DECODE_TH_PSH;
		memset(l4 + 20, 0x01, (size_t)fs->tcp_opt_words * 4); /* NOP options */
		memcpy(l4 + 20 + (size_t)fs->tcp_opt_words * 4, fs->payload, plen);
	} else if (proto == DECODE_UDP) {
		decode_rig_wr16(l4, 5353);
		decode_rig_wr16(l4 + 2, 8080);
		decode_rig_wr16(l4 + 4, (uint16_t)(8 + plen));
		memcpy(l4 + 8, fs->payload, plen);
	} else if (plen > 0) {
		memcpy(l4, fs->payload, plen);
	}
	memset(ip + iplen, 0xee, fs->pad);
	return off + iplen + fs->pad;
}

/* The guard-page copy of the last decoded frame: <out>'s payload points into it. */
uint8_t *decode_rig_last_copy;

/* Decodes a guard-page copy of <buf>, as <cfg> says, so an over-read faults. */
enum decode_rc
decode_rig_run_cfg(const struct decode_cfg *cfg, struct counters *c, const uint8_t *buf, size_t len,
                   struct decoded *out)
{
	guard_free(decode_rig_last_copy);
	decode_rig_last_copy = NULL;
	if (len == 0) {
		/* guard_free() cannot find a zero-length copy's mapping; use NULL, as allowed */
		return decode_packet(cfg, c, NULL, 0, out);
	}
	decode_rig_last_copy = guard_dup(buf, len);
	return decode_packet(cfg, c, decode_rig_last_copy, len, out);
}

enum decode_rc
decode_rig_run(struct counters *c, const uint8_t *buf, size_t len, struct decoded *out)
{
	return decode_rig_run_cfg(NULL, c, buf, len, out);
}

static const enum counter_id drop_counters[] = {
	CNT_decode_eth_short,      CNT_decode_vlan_short,  CNT_decode_not_ip,
	CNT_decode_ip_bad,         CNT_ip_frag_bad,        CNT_decode_ip6_ext_bad,
	CNT_decode_ip6_unreadable, CNT_decode_other_proto, CNT_decode_tcp_bad,
	CNT_decode_udp_bad,        CNT_decode_ip_csum_bad, CNT_decode_l4_csum_bad,
	CNT_decode_tunnel_depth,   CNT_decode_tunnel_frag, CNT_decode_tunnel_unsupported,
	CNT_decode_erspan_bad,     CNT_decode_pppoe_bad,   CNT_decode_mpls_bad,
};

uint64_t
decode_rig_drops(const struct counters *c)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(drop_counters) / sizeof(drop_counters[0]); i++) {
		n += c->v[drop_counters[i]];
	}
	return n;
}

/* Decodes and expects a drop counted under exactly <id>. */
void
decode_rig_expect_drop(const uint8_t *buf, size_t len, enum counter_id id)
{
	struct counters c;
	struct decoded d;

	size_t i;
	uint64_t others;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode_rig_run(&c, buf, len, &d), DECODE_DROP);
	CU_ASSERT_EQUAL(c.v[id], 1);
	/* no other drop counter moved (<id> may be one that is not always a drop) */
	others = decode_rig_drops(&c);
	for (i = 0; i < sizeof(drop_counters) / sizeof(drop_counters[0]); i++) {
		others -= drop_counters[i] == id ? 1 : 0;
	}
	CU_ASSERT_EQUAL(others, 0);
}

/* Every proper prefix of <buf>, a frame without padding, is malformed and counted once. */
void
decode_rig_truncations(const uint8_t *buf, size_t len)
{
	struct counters c;
	struct decoded d;
	size_t cut;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(decode_rig_run(&c, buf, len, &d), DECODE_KEEP);
	for (cut = 0; cut < len; cut++) {
		uint64_t before = decode_rig_drops(&c);

		CU_ASSERT_EQUAL(decode_rig_run(&c, buf, cut, &d), DECODE_DROP);
		CU_ASSERT_EQUAL(decode_rig_drops(&c), before + 1);
	}
}
