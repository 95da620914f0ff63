#include "net/tunnel.h"

#define ETH_HLEN 14

/* GRE flags and version, RFC 2784 §2 and RFC 2890 §2 (RFC 1701 for R, s, Recur) */
#define GRE_C     0x8000 /* checksum present */
#define GRE_R     0x4000 /* RFC 1701 routing present */
#define GRE_K     0x2000 /* key present */
#define GRE_S     0x1000 /* sequence number present */
#define GRE_SSR   0x0800 /* RFC 1701 strict source route */
#define GRE_RECUR 0x0700 /* RFC 1701 recursion control */
#define GRE_VER   0x0007

#define GRE_PROTO_ERSPAN2 0x88be /* ERSPAN type II, or type I without a sequence number */
#define GRE_PROTO_ERSPAN3 0x22eb

#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN3_SUB  8 /* the platform specific subheader the O bit announces */

#define VXLAN_HLEN 8
#define VXLAN_I    0x08 /* RFC 7348 §5: the VNI is valid; must be set */

#define GENEVE_HLEN 8

#define GTP_HLEN     8
#define GTP_OPT_HLEN 4 /* sequence number, N-PDU number, next extension type */
#define GTP_E        0x04
#define GTP_S        0x02
#define GTP_PN       0x01
#define GTP_G_PDU    255
#define GTP_EXT_MAX  8 /* extension headers followed before the header is called malformed */

#define AYIYA_HLEN      8
#define AYIYA_OP_FWD    1 /* the forward opcode: a packet follows */
#define AYIYA_NH_IP4    4
#define AYIYA_NH_IP6    41
#define MPLS_LABELS_MAX 16
#define PPPOE_HLEN      6

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/*
 * Inside this file TUNNEL_NONE also means "malformed, counted": the public
 * functions turn it into TUNNEL_DROP where the enclosing packet cannot be
 * anything else.
 */
static enum tunnel_rc
bad(struct counters *c, enum counter_id id)
{
	counters_inc(c, id);
	return TUNNEL_NONE;
}

static enum tunnel_rc
unsupported(struct counters *c)
{
	counters_inc(c, CNT_decode_tunnel_unsupported);
	return TUNNEL_DROP;
}

static enum tunnel_rc
carry(struct counters *c, enum counter_id id, uint8_t kind, uint16_t type, const uint8_t *p,
      size_t len, struct tunnel_next *next)
{
	counters_inc(c, id);
	next->p = p;
	next->len = len;
	next->type = type;
	next->kind = kind;
	return TUNNEL_NEXT;
}

/* An IP packet whose version nibble says which; <bad_id> counts anything else. */
static enum tunnel_rc
carry_ip(struct counters *c, enum counter_id id, enum counter_id bad_id, uint8_t kind,
         const uint8_t *p, size_t len, struct tunnel_next *next)
{
	if (len == 0 || ((p[0] >> 4) != 4 && (p[0] >> 4) != 6)) {
		return bad(c, bad_id);
	}
	return carry(c, id, kind, (p[0] >> 4) == 4 ? TUNNEL_IP4 : TUNNEL_IP6, p, len, next);
}

/*
 * ERSPAN (draft-foschiano-erspan-03) after a GRE header: type I has no
 * header of its own (GRE without a sequence number), type II 8 bytes of
 * version 1, type III 12 bytes of version 2 and an optional 8-byte
 * subheader, then the mirrored frame.
 */
static enum tunnel_rc
erspan(struct counters *c, uint16_t proto, bool seq, const uint8_t *p, size_t len,
       struct tunnel_next *next)
{
	size_t hl;
	uint16_t w;

	if (proto == GRE_PROTO_ERSPAN2) {
		if (!seq) {
			return carry(c, CNT_decode_erspan, DECODE_TUN_ERSPAN, TUNNEL_ETH, p, len,
			             next);
		}
		if (len < ERSPAN2_HLEN || (p[0] >> 4) != 1) {
			return bad(c, CNT_decode_erspan_bad);
		}
		return carry(c, CNT_decode_erspan, DECODE_TUN_ERSPAN, TUNNEL_ETH, p + ERSPAN2_HLEN,
		             len - ERSPAN2_HLEN, next);
	}
	if (len < ERSPAN3_HLEN || (p[0] >> 4) != 2) {
		return bad(c, CNT_decode_erspan_bad);
	}
	/* bytes 10-11: P (1 bit), FT (5), Hw ID (6), D (1), Gra (2), O (1) */
	w = rd16(p + 10);
	hl = ERSPAN3_HLEN + ((w & 1) != 0 ? ERSPAN3_SUB : 0);
	if (hl > len) {
		return bad(c, CNT_decode_erspan_bad);
	}
	switch ((w >> 10) & 0x1f) {
	case 0: /* Ethernet */
		return carry(c, CNT_decode_erspan, DECODE_TUN_ERSPAN, TUNNEL_ETH, p + hl, len - hl,
		             next);
	case 2: /* IP */
		return carry_ip(c, CNT_decode_erspan, CNT_decode_erspan_bad, DECODE_TUN_ERSPAN,
		                p + hl, len - hl, next);
	default:
		return unsupported(c);
	}
}

/*
 * A GRE header and what follows (RFC 2784, RFC 2890). RFC 2784 §2.5: a
 * receiver not implementing RFC 1701 discards a packet with any of the R,
 * s or Recur bits set (bits 1 and 4-7; K and S are RFC 2890's); the
 * Reserved0 bits after them are ignored. Version 1 is PPTP's enhanced GRE
 * (RFC 2637), which carries PPP: not decoded.
 */
static enum tunnel_rc
gre(struct counters *c, enum counter_id id, enum counter_id bad_id, uint8_t kind, const uint8_t *p,
    size_t len, struct tunnel_next *next)
{
	uint16_t flags, proto;
	size_t hl = 4;

	if (len < hl) {
		return bad(c, bad_id);
	}
	flags = rd16(p);
	proto = rd16(p + 2);
	if ((flags & GRE_VER) == 1) {
		return unsupported(c);
	}
	if ((flags & (GRE_VER | GRE_R | GRE_SSR | GRE_RECUR)) != 0) {
		return bad(c, bad_id);
	}
	/* optional fields, each 4 bytes, in this order: checksum + reserved, key, sequence */
	hl += (flags & GRE_C) != 0 ? 4 : 0;
	hl += (flags & GRE_K) != 0 ? 4 : 0;
	hl += (flags & GRE_S) != 0 ? 4 : 0;
	if (hl > len) {
		return bad(c, bad_id);
	}
	p += hl;
	len -= hl;
	switch (proto) {
	case GRE_PROTO_ERSPAN2:
	case GRE_PROTO_ERSPAN3:
		return erspan(c, proto, (flags & GRE_S) != 0, p, len, next);
	case TUNNEL_IP4:
	case TUNNEL_IP6:
	case TUNNEL_ETH:
	case TUNNEL_MPLS:
	case TUNNEL_MPLS_MC:
		return carry(c, id, kind, proto, p, len, next);
	default:
		return unsupported(c);
	}
}

enum tunnel_rc
tunnel_gre(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	enum tunnel_rc rc =
	        gre(c, CNT_decode_gre, CNT_decode_gre_bad, DECODE_TUN_GRE, p, len, next);

	return rc == TUNNEL_NONE ? TUNNEL_DROP : rc;
}

/*
 * RFC 7348 §5: the I flag must be set; the other flags and the reserved
 * fields are ignored on receipt (Suricata tolerates them too). The inner
 * frame's ethertype must be one that a VXLAN segment carries, so that an
 * ordinary datagram to port 4789 is not taken for a tunnel.
 */
static enum tunnel_rc
vxlan(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	uint16_t type;

	if (len < VXLAN_HLEN + ETH_HLEN || (p[0] & VXLAN_I) == 0) {
		return bad(c, CNT_decode_vxlan_bad);
	}
	type = rd16(p + VXLAN_HLEN + 12);
	if (type != TUNNEL_IP4 && type != TUNNEL_IP6 && type != 0x0806 && type != 0x8100 &&
	    type != 0x88a8 && type != 0x9100 && type != TUNNEL_MPLS && type != TUNNEL_MPLS_MC &&
	    type != TUNNEL_PPPOE) {
		return bad(c, CNT_decode_vxlan_bad);
	}
	return carry(c, CNT_decode_vxlan, DECODE_TUN_VXLAN, TUNNEL_ETH, p + VXLAN_HLEN,
	             len - VXLAN_HLEN, next);
}

/*
 * RFC 8926 §3.4: version 0; Opt Len counts the options in 4-byte words;
 * each option (§3.5) is a 4-byte header whose 5-bit Length counts its data
 * in 4-byte words. The options must tile the announced length exactly.
 */
static enum tunnel_rc
geneve(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	size_t hl, o;
	uint16_t proto;

	if (len < GENEVE_HLEN || (p[0] >> 6) != 0) {
		return bad(c, CNT_decode_geneve_bad);
	}
	hl = GENEVE_HLEN + (size_t)(p[0] & 0x3f) * 4;
	if (hl > len) {
		return bad(c, CNT_decode_geneve_bad);
	}
	for (o = GENEVE_HLEN; o < hl; o += 4 + (size_t)(p[o + 3] & 0x1f) * 4) {
		if (hl - o < 4) {
			return bad(c, CNT_decode_geneve_bad);
		}
	}
	if (o != hl) {
		return bad(c, CNT_decode_geneve_bad);
	}
	proto = rd16(p + 2);
	switch (proto) {
	case TUNNEL_ETH:
		if (len - hl < ETH_HLEN) {
			return bad(c, CNT_decode_geneve_bad);
		}
		return carry(c, CNT_decode_geneve, DECODE_TUN_GENEVE, proto, p + hl, len - hl,
		             next);
	case TUNNEL_IP4:
	case TUNNEL_IP6:
		if (len == hl || (p[hl] >> 4) != (proto == TUNNEL_IP4 ? 4 : 6)) {
			return bad(c, CNT_decode_geneve_bad);
		}
		return carry(c, CNT_decode_geneve, DECODE_TUN_GENEVE, proto, p + hl, len - hl,
		             next);
	default:
		return unsupported(c);
	}
}

/*
 * 3GPP TS 29.281 §5.1: version 1, PT 1; Length counts what follows the
 * first 8 bytes. If any of E, S, PN is set the next 4 bytes are present;
 * with E, extension headers (§5.2) chain: a length byte in 4-byte units,
 * content, and the next type in the last byte, 0 ending the chain. Only a
 * G-PDU (type 255) carries a user packet: IPv4 or IPv6 by version nibble.
 */
static enum tunnel_rc
gtp(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	size_t hl = GTP_HLEN, end;
	uint8_t ext;
	int n;

	if (len < GTP_HLEN || (p[0] >> 5) != 1 || (p[0] & 0x10) == 0) {
		return bad(c, CNT_decode_gtp_bad);
	}
	end = GTP_HLEN + (size_t)rd16(p + 2);
	if (end > len) {
		return bad(c, CNT_decode_gtp_bad);
	}
	if ((p[0] & (GTP_E | GTP_S | GTP_PN)) != 0) {
		hl += GTP_OPT_HLEN;
		if (hl > end) {
			return bad(c, CNT_decode_gtp_bad);
		}
		ext = (p[0] & GTP_E) != 0 ? p[hl - 1] : 0;
		for (n = 0; ext != 0; n++) {
			size_t el;

			if (n == GTP_EXT_MAX || hl == end) {
				return bad(c, CNT_decode_gtp_bad);
			}
			el = (size_t)p[hl] * 4;
			if (el == 0 || el > end - hl) {
				return bad(c, CNT_decode_gtp_bad);
			}
			ext = p[hl + el - 1];
			hl += el;
		}
	}
	if (p[1] != GTP_G_PDU) {
		return unsupported(c); /* echo, error indication, end marker: signalling */
	}
	return carry_ip(c, CNT_decode_gtp, CNT_decode_gtp_bad, DECODE_TUN_GTP, p + hl, end - hl,
	                next);
}

/*
 * AYIYA (draft-massar-v6ops-ayiya-02 §5, as Zeek and Suricata read it): an
 * identity of 2^IDLen bytes and a signature of SigLen 4-byte words follow
 * the 8-byte header; the Next Header byte names the payload (IPv6 or IPv4)
 * for the forward opcode; other opcodes (heartbeat, query) carry none.
 */
static enum tunnel_rc
ayiya(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	size_t hl;

	if (len < AYIYA_HLEN) {
		return bad(c, CNT_decode_ayiya_bad);
	}
	hl = AYIYA_HLEN + ((size_t)1 << (p[0] >> 4)) + (size_t)(p[1] >> 4) * 4;
	if (hl > len) {
		return bad(c, CNT_decode_ayiya_bad);
	}
	if ((p[2] & 0x0f) != AYIYA_OP_FWD) {
		return unsupported(c);
	}
	if (p[3] != AYIYA_NH_IP4 && p[3] != AYIYA_NH_IP6) {
		return unsupported(c);
	}
	if (len == hl || (p[hl] >> 4) != (p[3] == AYIYA_NH_IP4 ? 4 : 6)) {
		return bad(c, CNT_decode_ayiya_bad);
	}
	return carry(c, CNT_decode_ayiya, DECODE_TUN_AYIYA,
	             p[3] == AYIYA_NH_IP4 ? TUNNEL_IP4 : TUNNEL_IP6, p + hl, len - hl, next);
}

enum tunnel_rc
tunnel_udp(struct counters *c, uint16_t sport, uint16_t dport, const uint8_t *p, size_t len,
           struct tunnel_next *next)
{
	/* AYIYA goes both ways on 5072 at the server's end: its header names itself strictly
	 * enough (a power-of-two identity, the forward opcode, an IP version matching the
	 * Next Header) for the source port to be enough */
	if (sport == TUNNEL_PORT_AYIYA && !tunnel_udp_port(0, dport)) {
		return ayiya(c, p, len, next);
	}
	switch (dport) {
	case TUNNEL_PORT_VXLAN:
		return vxlan(c, p, len, next);
	case TUNNEL_PORT_GENEVE:
		return geneve(c, p, len, next);
	case TUNNEL_PORT_GRE_UDP:
		return gre(c, CNT_decode_gre_udp, CNT_decode_gre_bad, DECODE_TUN_GRE_UDP, p, len,
		           next);
	case TUNNEL_PORT_GTP_U:
		return gtp(c, p, len, next);
	case TUNNEL_PORT_AYIYA:
		return ayiya(c, p, len, next);
	default:
		return TUNNEL_NONE;
	}
}

enum tunnel_rc
tunnel_mpls(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	uint32_t label;
	bool bottom;
	int n;

	/* RFC 3032 §2.1: 20-bit label, 3 bits TC, S (bottom of stack), 8 bits TTL */
	for (n = 0;; n++) {
		if (len < 4 || n == MPLS_LABELS_MAX) {
			counters_inc(c, CNT_decode_mpls_bad);
			return TUNNEL_DROP;
		}
		label = (uint32_t)p[0] << 12 | (uint32_t)p[1] << 4 | (uint32_t)(p[2] >> 4);
		bottom = (p[2] & 0x01) != 0;
		p += 4;
		len -= 4;
		if (bottom) {
			break;
		}
	}
	if (len == 0) {
		counters_inc(c, CNT_decode_mpls_bad);
		return TUNNEL_DROP;
	}
	/* RFC 3032 §2.1: label 0 is the IPv4 explicit null, 2 the IPv6 one */
	if (label == 0 && (p[0] >> 4) == 4) {
		return carry(c, CNT_decode_mpls, DECODE_TUN_MPLS, TUNNEL_IP4, p, len, next);
	}
	if (label == 2 && (p[0] >> 4) == 6) {
		return carry(c, CNT_decode_mpls, DECODE_TUN_MPLS, TUNNEL_IP6, p, len, next);
	}
	switch (p[0] >> 4) {
	case 4:
		return carry(c, CNT_decode_mpls, DECODE_TUN_MPLS, TUNNEL_IP4, p, len, next);
	case 6:
		return carry(c, CNT_decode_mpls, DECODE_TUN_MPLS, TUNNEL_IP6, p, len, next);
	case 0:
		/* RFC 4385 §3: a pseudowire control word starts with nibble 0; an Ethernet
		 * frame follows it (RFC 4448) */
		if (len < 4 + ETH_HLEN) {
			counters_inc(c, CNT_decode_mpls_bad);
			return TUNNEL_DROP;
		}
		return carry(c, CNT_decode_mpls, DECODE_TUN_MPLS, TUNNEL_ETH, p + 4, len - 4, next);
	default:
		return unsupported(c);
	}
}

enum tunnel_rc
tunnel_pppoe(struct counters *c, const uint8_t *p, size_t len, struct tunnel_next *next)
{
	size_t plen, hl;
	uint16_t proto;

	/* RFC 2516 §4: VER 1, TYPE 1, CODE 0 in the session stage; LENGTH counts the PPP
	 * payload, protocol field included */
	if (len < PPPOE_HLEN + 2 || p[0] != 0x11 || p[1] != 0) {
		counters_inc(c, CNT_decode_pppoe_bad);
		return TUNNEL_DROP;
	}
	plen = rd16(p + 4);
	if (plen < 2 || plen > len - PPPOE_HLEN) {
		counters_inc(c, CNT_decode_pppoe_bad);
		return TUNNEL_DROP;
	}
	/* RFC 1661 §6.5: a compressed (1-byte) protocol field is odd */
	if ((p[PPPOE_HLEN] & 1) != 0) {
		proto = p[PPPOE_HLEN];
		hl = PPPOE_HLEN + 1;
	} else {
		proto = rd16(p + PPPOE_HLEN);
		hl = PPPOE_HLEN + 2;
	}
	len = PPPOE_HLEN + plen;
	switch (proto) {
	case 0x0021:
		return carry(c, CNT_decode_pppoe, DECODE_TUN_PPPOE, TUNNEL_IP4, p + hl, len - hl,
		             next);
	case 0x0057:
		return carry(c, CNT_decode_pppoe, DECODE_TUN_PPPOE, TUNNEL_IP6, p + hl, len - hl,
		             next);
	default:
		return unsupported(c); /* LCP, IPCP, CHAP...: PPP's own control traffic */
	}
}
