#include "net/decode.h"

#include <string.h>

#define ETH_HLEN           14
#define VLAN_HLEN          4
#define ETHERTYPE_IP4      0x0800
#define ETHERTYPE_IP6      0x86dd
#define ETHERTYPE_VLAN     0x8100 /* IEEE 802.1Q */
#define ETHERTYPE_QINQ     0x88a8 /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad QinQ, still seen on the wire */
#define IP4_HLEN           20
#define IP6_HLEN           40
#define IP6_EXT_MAX        8 /* extension headers followed before the packet is called malformed */
#define TCP_HLEN           20
#define UDP_HLEN           8
#define IP4_MF             0x2000 /* RFC 791: More Fragments flag */
#define IP4_OFFMASK        0x1fff /* RFC 791: Fragment Offset, in 8-byte blocks */
#define IP4_MAX_PAYLOAD    65535  /* Linux IP_MAX_MTU: the largest reassembled payload */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The transport header at <l4> (<l4len> bytes, already trimmed to the IP
 * payload length). One body for both IP versions; only the counters differ
 * by protocol, not by version.
 */
static inline __attribute__((always_inline)) enum decode_rc
decode_l4(struct counters *c, const uint8_t *l4, size_t l4len, struct decoded *out)
{
	size_t hlen;

	if (out->proto == DECODE_TCP) {
		if (l4len < TCP_HLEN) {
			counters_inc(c, CNT_decode_tcp_bad);
			return DECODE_DROP;
		}
		/* RFC 9293 §3.1: Data Offset counts 32-bit words, at least 5 */
		hlen = (size_t)(l4[12] >> 4) * 4;
		if (hlen < TCP_HLEN || hlen > l4len) {
			counters_inc(c, CNT_decode_tcp_bad);
			return DECODE_DROP;
		}
		out->sport = rd16(l4);
		out->dport = rd16(l4 + 2);
		out->seq = rd32(l4 + 4);
		out->ack = rd32(l4 + 8);
		out->tcp_flags = l4[13];
		out->payload.ptr = l4 + hlen;
		out->payload.len = l4len - hlen;
		counters_inc(c, CNT_decode_tcp);
		return DECODE_KEEP;
	}

	if (l4len < UDP_HLEN) {
		counters_inc(c, CNT_decode_udp_bad);
		return DECODE_DROP;
	}
	/* RFC 768: Length covers header and data; anything after it is padding */
	hlen = rd16(l4 + 4);
	if (hlen < UDP_HLEN || hlen > l4len) {
		counters_inc(c, CNT_decode_udp_bad);
		return DECODE_DROP;
	}
	out->sport = rd16(l4);
	out->dport = rd16(l4 + 2);
	out->payload.ptr = l4 + UDP_HLEN;
	out->payload.len = hlen - UDP_HLEN;
	counters_inc(c, CNT_decode_udp);
	return DECODE_KEEP;
}

/*
 * The fragment fields of an IPv4 fragment whose addresses and protocol are
 * already in <out>. Reassembly itself is net/ipfrag.c's; here only what no
 * reassembly could use is dropped (RFC 791 §3.2, and the checks Linux's
 * ip_frag_queue() makes).
 */
static enum decode_rc
decode_frag4(struct counters *c, const uint8_t *ip, size_t hlen, size_t tot, uint16_t frag,
             struct decoded *out)
{
	const size_t plen = tot - hlen;
	const size_t off = (size_t)(frag & IP4_OFFMASK) * 8;
	const bool more = (frag & IP4_MF) != 0;

	/* the reassembled payload must fit the 16-bit Total Length; an empty fragment carries
	 * nothing; every fragment but the last ends on an 8-byte boundary (offsets count
	 * 8-byte blocks) */
	if (plen == 0 || off + plen > IP4_MAX_PAYLOAD || (more && plen % 8 != 0)) {
		counters_inc(c, CNT_ip_frag_bad);
		return DECODE_DROP;
	}
	out->ip_id = rd16(ip + 4);
	out->frag_off = (uint16_t)off;
	out->frag_more = more;
	out->payload.ptr = ip + hlen;
	out->payload.len = plen;
	return DECODE_FRAG;
}

static enum decode_rc
decode_ip4(struct counters *c, const uint8_t *ip, size_t len, struct decoded *out)
{
	size_t hlen, tot;
	uint16_t frag;

	if (len < IP4_HLEN || (ip[0] >> 4) != 4) {
		counters_inc(c, CNT_decode_ip_bad);
		return DECODE_DROP;
	}
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	tot = rd16(ip + 2);
	/* RFC 791: IHL >= 5; Total Length covers the header; Ethernet may pad beyond it */
	if (hlen < IP4_HLEN || tot < hlen || tot > len) {
		counters_inc(c, CNT_decode_ip_bad);
		return DECODE_DROP;
	}
	counters_inc(c, CNT_decode_ip4);
	frag = rd16(ip + 6);
	/* MF set or a non-zero fragment offset: a fragment, counted whatever becomes of it */
	if ((frag & (IP4_MF | IP4_OFFMASK)) != 0) {
		counters_inc(c, CNT_decode_ip_frag);
	}
	if (ip[9] != DECODE_TCP && ip[9] != DECODE_UDP) {
		counters_inc(c, CNT_decode_other_proto);
		return DECODE_DROP;
	}
	out->is_ip6 = false;
	out->proto = ip[9];
	memcpy(out->src, ip + 12, 4);
	memcpy(out->dst, ip + 16, 4);
	if ((frag & (IP4_MF | IP4_OFFMASK)) != 0) {
		return decode_frag4(c, ip, hlen, tot, frag, out);
	}
	return decode_l4(c, ip + hlen, tot - hlen, out);
}

/*
 * The chain of IPv6 extension headers (RFC 8200 §4) starting with Next
 * Header <nh> at <p> (<len> bytes of payload). Hop-by-Hop, Routing,
 * Destination Options and AH (RFC 4302 §2.2: its length counts 4-byte units)
 * are skipped; a Fragment header makes the packet a DECODE_FRAG for
 * net/ipfrag.h (an atomic fragment, RFC 6946, is read as unfragmented); ESP
 * and anything else that is neither TCP nor UDP ends it. At most
 * IP6_EXT_MAX headers: more is malformed.
 */
static enum decode_rc
decode_ip6_chain(struct counters *c, uint8_t nh, const uint8_t *p, size_t len, struct decoded *out)
{
	int n;

	for (n = 0; n < IP6_EXT_MAX; n++) {
		size_t hl;

		if (nh == DECODE_TCP || nh == DECODE_UDP) {
			out->proto = nh;
			return decode_l4(c, p, len, out);
		}
		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60) {
			/* ESP (50), No Next Header (59), or a protocol we do not read */
			counters_inc(c, nh == 50 || nh == 59 ? CNT_decode_ip6_unreadable
			                                     : CNT_decode_other_proto);
			return DECODE_DROP;
		}
		if (len < 8) {
			counters_inc(c, CNT_decode_ip6_ext_bad);
			return DECODE_DROP;
		}
		counters_inc(c, CNT_decode_ip6_ext);
		if (nh == 44) {
			const uint16_t fo = rd16(p + 2);
			const size_t off = fo & 0xFFF8u;
			const bool more = (fo & 1u) != 0;

			if (off == 0 && !more) {
				nh = p[0];
				p += 8;
				len -= 8;
				continue;
			}
			counters_inc(c, CNT_decode_ip_frag);
			if (p[0] != DECODE_TCP && p[0] != DECODE_UDP) {
				counters_inc(c, CNT_decode_other_proto);
				return DECODE_DROP;
			}
			if (len == 8 || off + (len - 8) > IP4_MAX_PAYLOAD ||
			    (more && (len - 8) % 8 != 0)) {
				counters_inc(c, CNT_ip_frag_bad);
				return DECODE_DROP;
			}
			out->proto = p[0];
			out->ip_id = rd32(p + 4);
			out->frag_off = (uint16_t)off;
			out->frag_more = more;
			out->payload.ptr = p + 8;
			out->payload.len = len - 8;
			return DECODE_FRAG;
		}
		hl = nh == 51 ? ((size_t)p[1] + 2) * 4 : ((size_t)p[1] + 1) * 8;
		if (hl > len) {
			counters_inc(c, CNT_decode_ip6_ext_bad);
			return DECODE_DROP;
		}
		nh = p[0];
		p += hl;
		len -= hl;
	}
	counters_inc(c, CNT_decode_ip6_ext_bad);
	return DECODE_DROP;
}

static enum decode_rc
decode_ip6(struct counters *c, const uint8_t *ip, size_t len, struct decoded *out)
{
	size_t plen;
	uint8_t nh;

	if (len < IP6_HLEN || (ip[0] >> 4) != 6) {
		counters_inc(c, CNT_decode_ip_bad);
		return DECODE_DROP;
	}
	plen = rd16(ip + 4);
	/* a zero Payload Length means a jumbogram (RFC 2675), which needs Hop-by-Hop */
	if (plen > len - IP6_HLEN) {
		counters_inc(c, CNT_decode_ip_bad);
		return DECODE_DROP;
	}
	counters_inc(c, CNT_decode_ip6);
	nh = ip[6];
	out->is_ip6 = true;
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	return decode_ip6_chain(c, nh, ip + IP6_HLEN, plen, out);
}

enum decode_rc
decode_l4_payload(struct counters *c, struct span l4, struct decoded *d)
{
	d->ip_id = 0;
	d->frag_off = 0;
	d->frag_more = false;
	d->payload.ptr = NULL;
	d->payload.len = 0;
	if (d->proto != DECODE_TCP && d->proto != DECODE_UDP) {
		counters_inc(c, CNT_decode_other_proto);
		return DECODE_DROP;
	}
	return decode_l4(c, l4.ptr, l4.len, d);
}

enum decode_rc
decode_packet(struct counters *c, const uint8_t *frame, size_t len, struct decoded *out)
{
	size_t off = ETH_HLEN;
	uint16_t type;
	bool tagged = false;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN) {
		counters_inc(c, CNT_decode_eth_short);
		return DECODE_DROP;
	}
	type = rd16(frame + 12);
	/* stacked tags are bounded by the frame: each one consumes 4 bytes */
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (len - off < VLAN_HLEN) {
			counters_inc(c, CNT_decode_vlan_short);
			return DECODE_DROP;
		}
		counters_inc(c, CNT_decode_vlan);
		if (!tagged) {
			out->vlan = rd16(frame + off) & 0x0fff;
			tagged = true;
		}
		type = rd16(frame + off + 2);
		off += VLAN_HLEN;
	}
	if (type == ETHERTYPE_IP4) {
		return decode_ip4(c, frame + off, len - off, out);
	}
	if (type == ETHERTYPE_IP6) {
		return decode_ip6(c, frame + off, len - off, out);
	}
	counters_inc(c, CNT_decode_not_ip);
	return DECODE_DROP;
}
