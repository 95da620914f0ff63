#include "net/decode.h"

#include <string.h>

#include "net/tunnel.h"

#define ETH_HLEN           14
#define VLAN_HLEN          4
#define ETHERTYPE_VLAN     0x8100 /* IEEE 802.1Q */
#define ETHERTYPE_QINQ     0x88a8 /* IEEE 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad QinQ, still seen on the wire */
#define ETH_8023_MAX       1500 /* IEEE 802.3 §3.2.6: a Length/Type of 1500 or less is a length */
#define LLC_SNAP_HLEN      8    /* DSAP, SSAP, control, OUI (3), type (RFC 1042) */
#define IP4_HLEN           20
#define IP6_HLEN           40
#define IP6_EXT_MAX        8 /* extension headers followed before the packet is called malformed */
#define TCP_HLEN           20
#define UDP_HLEN           8
#define IP4_MF             0x2000 /* RFC 791: More Fragments flag */
#define IP4_OFFMASK        0x1fff /* RFC 791: Fragment Offset, in 8-byte blocks */
#define IP4_MAX_PAYLOAD    65535  /* Linux IP_MAX_MTU: the largest reassembled payload */
#define PROTO_IPIP         4      /* IPv4 in IP (RFC 2003) */
#define PROTO_IPV6         41     /* IPv6 in IP (RFC 4213 §3.5) */
#define PROTO_GRE          47

/* TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018) */
#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8
#define TCPOPT_MD5       19
#define TCPOPT_AO        29
#define TCP_WSCALE_MAX   14 /* RFC 7323 §2.3: larger shifts are used as 14 */

/*
 * What one layer's decoder says: the three public outcomes, or STEP_NEXT
 * when it took off an encapsulation and the carried packet is to be decoded
 * next (struct tunnel_next says what and where).
 */
enum step {
	STEP_KEEP = DECODE_KEEP,
	STEP_DROP = DECODE_DROP,
	STEP_FRAG = DECODE_FRAG,
	STEP_NEXT,
};

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

static enum step
drop(struct counters *c, enum counter_id id)
{
	counters_inc(c, id);
	return STEP_DROP;
}

/*
 * The Internet checksum's one's complement sum (RFC 1071) of <len> bytes at
 * <p>, added to <sum> unfolded. Summing 32-bit big-endian words is the same
 * sum (RFC 1071 §2(C)): 2^16 is 1 modulo 2^16 - 1.
 */
static uint64_t
csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	for (; len >= 4; p += 4, len -= 4) {
		sum += rd32(p);
	}
	if (len >= 2) {
		sum += rd16(p);
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		sum += (uint32_t)p[0] << 8;
	}
	return sum;
}

static uint16_t
csum_fold(uint64_t sum)
{
	while ((sum >> 16) != 0) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

/*
 * Whether the TCP or UDP checksum of <l4> (<len> bytes) holds with the
 * pseudo-header of <out>'s addresses: RFC 9293 §3.1 and RFC 768 for IPv4,
 * RFC 8200 §8.1 for IPv6 (a 32-bit length; both sum the same here). A
 * correct segment, its checksum included, sums to all ones.
 */
static bool
l4_csum_ok(const struct decoded *out, const uint8_t *l4, size_t len)
{
	const size_t alen = out->is_ip6 ? 16 : 4;
	uint64_t sum;

	sum = csum_add(0, out->src, alen);
	sum = csum_add(sum, out->dst, alen);
	sum += (uint64_t)len + out->proto;
	sum = csum_add(sum, l4, len);
	return csum_fold(sum) == 0xffff;
}

/*
 * Walk the TCP options <o> (<n> bytes, what the Data Offset leaves after
 * the fixed header). RFC 9293 §3.2: EOL ends the list, NOP is one byte,
 * every other kind has a length byte counting itself and the kind, and an
 * unknown kind is skipped by it. A length that is short, runs past the
 * header or does not fit its kind ends the walk as malformed; the segment
 * is kept (see struct decoded).
 */
static void
tcp_options(struct counters *c, const uint8_t *o, size_t n, struct decoded *out)
{
	size_t i = 0;

	while (i < n && o[i] != TCPOPT_EOL) {
		size_t ol;
		bool ok;

		if (o[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (n - i < 2 || o[i + 1] < 2 || o[i + 1] > n - i) {
			break;
		}
		ol = o[i + 1];
		switch (o[i]) {
		case TCPOPT_MSS:
			ok = ol == 4;
			if (ok) {
				out->tcp_mss = rd16(o + i + 2);
				out->tcp_opts |= DECODE_OPT_MSS;
			}
			break;
		case TCPOPT_WSCALE:
			ok = ol == 3;
			if (ok) {
				out->tcp_wscale =
				        o[i + 2] < TCP_WSCALE_MAX ? o[i + 2] : TCP_WSCALE_MAX;
				out->tcp_opts |= DECODE_OPT_WSCALE;
			}
			break;
		case TCPOPT_SACK_PERM:
			ok = ol == 2;
			out->tcp_opts |= ok ? DECODE_OPT_SACK_PERM : 0;
			break;
		case TCPOPT_SACK:
			/* RFC 2018 §3: 1 to 4 blocks of two 32-bit edges (4 fill the option space) */
			ok = ol >= 10 && (ol - 2) % 8 == 0;
			out->tcp_opts |= ok ? DECODE_OPT_SACK : 0;
			break;
		case TCPOPT_TS:
			ok = ol == 10;
			out->tcp_opts |= ok ? DECODE_OPT_TS : 0;
			break;
		case TCPOPT_MD5:
		case TCPOPT_AO:
			/* RFC 2385 §3.0: an 18-byte option; RFC 5925 §2.2: at least 4 */
			ok = o[i] == TCPOPT_MD5 ? ol == 18 : ol >= 4;
			out->tcp_opts |= ok ? DECODE_OPT_AUTH : 0;
			break;
		default:
			ok = true;
			break;
		}
		if (!ok) {
			break;
		}
		i += ol;
	}
	if (i < n && o[i] != TCPOPT_EOL) {
		out->tcp_opts |= DECODE_OPT_BAD;
		counters_inc(c, CNT_decode_tcp_opt_bad);
	}
}

/*
 * The transport header at <l4> (<l4len> bytes, already trimmed to the IP
 * payload length). One body for both IP versions; only the counters differ
 * by protocol, not by version. A UDP datagram to a tunnel port may carry a
 * tunnel: STEP_NEXT then.
 */
static enum step
decode_l4(bool verify, struct counters *c, const uint8_t *l4, size_t l4len, struct decoded *out,
          struct tunnel_next *next)
{
	size_t hlen;

	if (out->proto == DECODE_TCP) {
		if (l4len < TCP_HLEN) {
			return drop(c, CNT_decode_tcp_bad);
		}
		/* RFC 9293 §3.1: Data Offset counts 32-bit words, at least 5 */
		hlen = (size_t)(l4[12] >> 4) * 4;
		if (hlen < TCP_HLEN || hlen > l4len) {
			return drop(c, CNT_decode_tcp_bad);
		}
		if (verify && !l4_csum_ok(out, l4, l4len)) {
			return drop(c, CNT_decode_l4_csum_bad);
		}
		out->sport = rd16(l4);
		out->dport = rd16(l4 + 2);
		out->seq = rd32(l4 + 4);
		out->ack = rd32(l4 + 8);
		out->tcp_flags = l4[13];
		if (hlen > TCP_HLEN) {
			tcp_options(c, l4 + TCP_HLEN, hlen - TCP_HLEN, out);
		}
		out->payload.ptr = l4 + hlen;
		out->payload.len = l4len - hlen;
		counters_inc(c, CNT_decode_tcp);
		return STEP_KEEP;
	}

	if (l4len < UDP_HLEN) {
		return drop(c, CNT_decode_udp_bad);
	}
	/* RFC 768: Length covers header and data; anything after it is padding */
	hlen = rd16(l4 + 4);
	if (hlen < UDP_HLEN || hlen > l4len) {
		return drop(c, CNT_decode_udp_bad);
	}
	out->sport = rd16(l4);
	out->dport = rd16(l4 + 2);
	/* RFC 768: zero is "no checksum" on IPv4; RFC 8200 §8.1 forbids it on IPv6 except
	 * for tunnels (RFC 6935) */
	if (verify &&
	    (rd16(l4 + 6) != 0 || (out->is_ip6 && !tunnel_udp_port(out->sport, out->dport))) &&
	    !l4_csum_ok(out, l4, hlen)) {
		return drop(c, CNT_decode_l4_csum_bad);
	}
	out->payload.ptr = l4 + UDP_HLEN;
	out->payload.len = hlen - UDP_HLEN;
	counters_inc(c, CNT_decode_udp);
	switch (tunnel_udp(c, out->sport, out->dport, out->payload.ptr, out->payload.len, next)) {
	case TUNNEL_NEXT:
		return STEP_NEXT;
	case TUNNEL_DROP:
		return STEP_DROP;
	default:
		return STEP_KEEP;
	}
}

/* An IP protocol that is itself a tunnel: GRE, or IPv4 / IPv6 straight in IP. */
static enum step
ip_tunnel(struct counters *c, uint8_t proto, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	if (proto == PROTO_GRE) {
		return tunnel_gre(c, p, len, next) == TUNNEL_NEXT ? STEP_NEXT : STEP_DROP;
	}
	counters_inc(c, CNT_decode_ipip);
	next->p = p;
	next->len = len;
	next->type = proto == PROTO_IPIP ? TUNNEL_IP4 : TUNNEL_IP6;
	next->kind = DECODE_TUN_IPIP;
	return STEP_NEXT;
}

static bool
is_ip_tunnel(uint8_t proto)
{
	return proto == PROTO_GRE || proto == PROTO_IPIP || proto == PROTO_IPV6;
}

/*
 * The fragment fields of an IPv4 fragment whose addresses and protocol are
 * already in <out>. Reassembly itself is net/ipfrag.c's; here only what no
 * reassembly could use is dropped (RFC 791 §3.2, and the checks Linux's
 * ip_frag_queue() makes).
 */
static enum step
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
		return drop(c, CNT_ip_frag_bad);
	}
	out->ip_id = rd16(ip + 4);
	out->frag_off = (uint16_t)off;
	out->frag_more = more;
	out->payload.ptr = ip + hlen;
	out->payload.len = plen;
	return STEP_FRAG;
}

static enum step
decode_ip4(bool verify, struct counters *c, const uint8_t *ip, size_t len, struct decoded *out,
           struct tunnel_next *next)
{
	size_t hlen, tot;
	uint16_t frag;
	bool is_frag;

	if (len < IP4_HLEN || (ip[0] >> 4) != 4) {
		return drop(c, CNT_decode_ip_bad);
	}
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	tot = rd16(ip + 2);
	/* RFC 791: IHL >= 5; Total Length covers the header; Ethernet may pad beyond it */
	if (hlen < IP4_HLEN || tot < hlen || tot > len) {
		return drop(c, CNT_decode_ip_bad);
	}
	if (verify && csum_fold(csum_add(0, ip, hlen)) != 0xffff) {
		return drop(c, CNT_decode_ip_csum_bad);
	}
	counters_inc(c, CNT_decode_ip4);
	frag = rd16(ip + 6);
	/* MF set or a non-zero fragment offset: a fragment, counted whatever becomes of it */
	is_frag = (frag & (IP4_MF | IP4_OFFMASK)) != 0;
	if (is_frag) {
		counters_inc(c, CNT_decode_ip_frag);
	}
	if (ip[9] != DECODE_TCP && ip[9] != DECODE_UDP && !is_ip_tunnel(ip[9])) {
		return drop(c, CNT_decode_other_proto);
	}
	out->is_ip6 = false;
	out->proto = ip[9];
	/* an IPv6 packet's addresses may be here from an outer layer */
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, ip + 12, 4);
	memcpy(out->dst, ip + 16, 4);
	if (is_frag) {
		return decode_frag4(c, ip, hlen, tot, frag, out);
	}
	if (is_ip_tunnel(ip[9])) {
		return ip_tunnel(c, ip[9], ip + hlen, tot - hlen, next);
	}
	return decode_l4(verify, c, ip + hlen, tot - hlen, out, next);
}

/*
 * The chain of IPv6 extension headers (RFC 8200 §4) starting with Next
 * Header <nh> at <p> (<len> bytes of payload). Hop-by-Hop, Routing,
 * Destination Options and AH (RFC 4302 §2.2: its length counts 4-byte units)
 * are skipped; a Fragment header makes the packet a DECODE_FRAG for
 * net/ipfrag.h (an atomic fragment, RFC 6946, is read as unfragmented); ESP
 * and anything else that is neither TCP, UDP nor a tunnel protocol ends it. At most
 * IP6_EXT_MAX headers: more is malformed. The pseudo-header for a checksum
 * uses the header's destination, not a Routing header's final one.
 */
static enum step
decode_ip6_chain(bool verify, struct counters *c, uint8_t nh, const uint8_t *p, size_t len,
                 struct decoded *out, struct tunnel_next *next)
{
	int n;

	for (n = 0; n < IP6_EXT_MAX; n++) {
		size_t hl;

		if (nh == DECODE_TCP || nh == DECODE_UDP) {
			out->proto = nh;
			return decode_l4(verify, c, p, len, out, next);
		}
		if (is_ip_tunnel(nh)) {
			return ip_tunnel(c, nh, p, len, next);
		}
		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60) {
			/* ESP (50), No Next Header (59), or a protocol we do not read */
			return drop(c, nh == 50 || nh == 59 ? CNT_decode_ip6_unreadable
			                                    : CNT_decode_other_proto);
		}
		if (len < 8) {
			return drop(c, CNT_decode_ip6_ext_bad);
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
			if (p[0] != DECODE_TCP && p[0] != DECODE_UDP && !is_ip_tunnel(p[0])) {
				return drop(c, CNT_decode_other_proto);
			}
			if (len == 8 || off + (len - 8) > IP4_MAX_PAYLOAD ||
			    (more && (len - 8) % 8 != 0)) {
				return drop(c, CNT_ip_frag_bad);
			}
			out->proto = p[0];
			out->ip_id = rd32(p + 4);
			out->frag_off = (uint16_t)off;
			out->frag_more = more;
			out->payload.ptr = p + 8;
			out->payload.len = len - 8;
			return STEP_FRAG;
		}
		hl = nh == 51 ? ((size_t)p[1] + 2) * 4 : ((size_t)p[1] + 1) * 8;
		if (hl > len) {
			return drop(c, CNT_decode_ip6_ext_bad);
		}
		nh = p[0];
		p += hl;
		len -= hl;
	}
	return drop(c, CNT_decode_ip6_ext_bad);
}

static enum step
decode_ip6(bool verify, struct counters *c, const uint8_t *ip, size_t len, struct decoded *out,
           struct tunnel_next *next)
{
	size_t plen;

	if (len < IP6_HLEN || (ip[0] >> 4) != 6) {
		return drop(c, CNT_decode_ip_bad);
	}
	plen = rd16(ip + 4);
	/* a zero Payload Length means a jumbogram (RFC 2675), which needs Hop-by-Hop */
	if (plen > len - IP6_HLEN) {
		return drop(c, CNT_decode_ip_bad);
	}
	counters_inc(c, CNT_decode_ip6);
	out->is_ip6 = true;
	memcpy(out->src, ip + 8, 16);
	memcpy(out->dst, ip + 24, 16);
	return decode_ip6_chain(verify, c, ip[6], ip + IP6_HLEN, plen, out, next);
}

/*
 * An Ethernet frame: Ethernet II, or IEEE 802.3 with an LLC/SNAP header
 * (RFC 1042: AA AA 03, OUI 0, then an ethertype), with any stacked VLAN
 * tags. Only the outermost frame's first tag is the packet's VLAN.
 */
static enum step
decode_eth(struct counters *c, const uint8_t *frame, size_t len, struct decoded *out,
           struct tunnel_next *next)
{
	static const uint8_t snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };
	size_t off = ETH_HLEN;
	uint16_t type;
	bool tagged = out->tunnel_depth > 0;

	if (len < ETH_HLEN) {
		return drop(c, CNT_decode_eth_short);
	}
	type = rd16(frame + 12);
	/* stacked tags are bounded by the frame: each one consumes 4 bytes */
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (len - off < VLAN_HLEN) {
			return drop(c, CNT_decode_vlan_short);
		}
		counters_inc(c, CNT_decode_vlan);
		if (!tagged) {
			out->vlan = rd16(frame + off) & 0x0fff;
			tagged = true;
		}
		type = rd16(frame + off + 2);
		off += VLAN_HLEN;
	}
	if (type <= ETH_8023_MAX) {
		/* the 802.3 length counts the LLC header and data; the rest is padding */
		if (type < LLC_SNAP_HLEN || type > len - off ||
		    memcmp(frame + off, snap, sizeof(snap)) != 0) {
			return drop(c, CNT_decode_not_ip);
		}
		counters_inc(c, CNT_decode_llc_snap);
		len = off + type;
		type = rd16(frame + off + 6);
		off += LLC_SNAP_HLEN;
	}
	if (type == TUNNEL_ETH) {
		return drop(c,
		            CNT_decode_not_ip); /* an Ethernet frame is not an Ethernet payload */
	}
	next->p = frame + off;
	next->len = len - off;
	next->type = type;
	next->kind = DECODE_TUN_NONE;
	return STEP_NEXT;
}

/* What a layer said about the layer before clears when the carried packet is decoded. */
static void
clear_l4(struct decoded *out)
{
	out->sport = 0;
	out->dport = 0;
	out->seq = 0;
	out->ack = 0;
	out->tcp_flags = 0;
	out->tcp_opts = 0;
	out->tcp_wscale = 0;
	out->tcp_mss = 0;
	out->payload.ptr = NULL;
	out->payload.len = 0;
}

/*
 * Decode the packet <next> says, and whatever it carries, layer after
 * layer. Every encapsulation taken off counts against TUNNEL_MAX_DEPTH, so
 * the walk ends: an Ethernet frame always leads to something else.
 */
static enum decode_rc
walk(bool verify, struct counters *c, struct tunnel_next next, struct decoded *out)
{
	for (;;) {
		const uint8_t *p = next.p;
		const size_t len = next.len;
		enum step st;

		if (next.kind != DECODE_TUN_NONE) {
			if (out->tunnel_depth == TUNNEL_MAX_DEPTH) {
				counters_inc(c, CNT_decode_tunnel_depth);
				return DECODE_DROP;
			}
			out->tunnel_depth++;
			out->tunnel_kind = next.kind;
			clear_l4(out);
		}
		switch (next.type) {
		case TUNNEL_ETH:
			st = decode_eth(c, p, len, out, &next);
			break;
		case TUNNEL_IP4:
			st = decode_ip4(verify, c, p, len, out, &next);
			break;
		case TUNNEL_IP6:
			st = decode_ip6(verify, c, p, len, out, &next);
			break;
		case TUNNEL_MPLS:
		case TUNNEL_MPLS_MC:
			st = tunnel_mpls(c, p, len, &next) == TUNNEL_NEXT ? STEP_NEXT : STEP_DROP;
			break;
		case TUNNEL_PPPOE:
			st = tunnel_pppoe(c, p, len, &next) == TUNNEL_NEXT ? STEP_NEXT : STEP_DROP;
			break;
		default:
			st = drop(c, CNT_decode_not_ip);
			break;
		}
		if (st != STEP_NEXT) {
			return (enum decode_rc)st;
		}
	}
}

enum decode_rc
decode_l4_payload(const struct decode_cfg *cfg, struct counters *c, struct span l4,
                  struct decoded *d)
{
	const bool verify = cfg != NULL && cfg->verify_checksums;
	struct tunnel_next next;
	enum decode_rc rc;
	enum step st;

	d->ip_id = 0;
	d->frag_off = 0;
	d->frag_more = false;
	clear_l4(d);
	if (is_ip_tunnel(d->proto)) {
		st = ip_tunnel(c, d->proto, l4.ptr, l4.len, &next);
	} else if (d->proto == DECODE_TCP || d->proto == DECODE_UDP) {
		st = decode_l4(verify, c, l4.ptr, l4.len, d, &next);
	} else {
		counters_inc(c, CNT_decode_other_proto);
		return DECODE_DROP;
	}
	if (st != STEP_NEXT) {
		return (enum decode_rc)st;
	}
	rc = walk(verify, c, next, d);
	if (rc == DECODE_FRAG) {
		/* a fragment in a reassembled datagram would be reassembled from the buffer
		 * that holds it */
		counters_inc(c, CNT_decode_tunnel_frag);
		d->ip_id = 0;
		d->frag_off = 0;
		d->frag_more = false;
		clear_l4(d);
		return DECODE_DROP;
	}
	return rc;
}

enum decode_rc
decode_packet(const struct decode_cfg *cfg, struct counters *c, const uint8_t *frame, size_t len,
              struct decoded *out)
{
	const struct tunnel_next eth = { frame, len, TUNNEL_ETH, DECODE_TUN_NONE };

	memset(out, 0, sizeof(*out));
	return walk(cfg != NULL && cfg->verify_checksums, c, eth, out);
}
