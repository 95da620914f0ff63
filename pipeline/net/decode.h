/*
 * Packet header decode: Ethernet (Ethernet II, and 802.3 with LLC/SNAP),
 * 802.1Q / QinQ, IPv4 (fragments are handed to net/ipfrag.h), IPv6 with its
 * extension headers (Hop-by-Hop, Routing, Destination Options, AH skipped;
 * Fragment handed to net/ipfrag.h like an IPv4 fragment), TCP (options
 * walked and checked), UDP. Plain C over the frame bytes; no DPDK type.
 *
 * Tunnels are taken off down to the innermost TCP or UDP packet, which is
 * what struct decoded describes (its addresses and ports make the flow):
 * GRE (RFC 2784/2890) carrying IPv4, IPv6, Ethernet or ERSPAN II/III,
 * GRE-in-UDP (UDP 4754, RFC 8086), VXLAN (UDP 4789, RFC 7348), Geneve (UDP
 * 6081, RFC 8926), GTP-U (UDP 2152, TS 29.281), AYIYA (UDP 5072), IP-in-IP
 * and IPv6-in-IPv4 (protocols 4 and 41), PPPoE sessions (RFC 2516) and MPLS
 * label stacks (RFC 3032). At most TUNNEL_MAX_DEPTH (net/tunnel.h) of them
 * are nested: deeper is dropped (decode_tunnel_depth). A UDP datagram to a
 * tunnel port whose payload is not that tunnel's header stays an ordinary
 * UDP datagram (it may be a feed push); its header is counted malformed.
 * Fragments inside a tunnel go to net/ipfrag.h under the inner addresses;
 * fragments of a tunnel packet (UDP, GRE, IP-in-IP) reassemble into one
 * that decode_l4_payload() follows.
 *
 * Checksums are not checked unless struct decode_cfg asks: captures are
 * often taken on hosts that offload checksumming, so their checksums are
 * wrong on the wire copy.
 */
#ifndef FW_DECODE_H
#define FW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"

enum decode_rc {
	DECODE_KEEP, /* a TCP or UDP packet: <out> is filled */
	DECODE_DROP, /* not for us or malformed: counted in <c> */
	DECODE_FRAG, /* a well-formed IPv4 or IPv6 fragment of a TCP, UDP, GRE or IP-in-IP datagram */
};

#define DECODE_TCP 6
#define DECODE_UDP 17

/* What struct decoded's tunnel_kind says the innermost tunnel was. */
enum decode_tunnel {
	DECODE_TUN_NONE,
	DECODE_TUN_GRE,     /* GRE over IP, any payload but ERSPAN */
	DECODE_TUN_ERSPAN,  /* GRE carrying ERSPAN type I, II or III */
	DECODE_TUN_GRE_UDP, /* GRE-in-UDP */
	DECODE_TUN_VXLAN,
	DECODE_TUN_GENEVE,
	DECODE_TUN_GTP,
	DECODE_TUN_AYIYA,
	DECODE_TUN_IPIP, /* IPv4 or IPv6 straight in IPv4 or IPv6 (protocols 4, 41) */
	DECODE_TUN_PPPOE,
	DECODE_TUN_MPLS,
};

/* TCP options seen (struct decoded's tcp_opts). */
#define DECODE_OPT_MSS       0x01
#define DECODE_OPT_WSCALE    0x02
#define DECODE_OPT_SACK_PERM 0x04
#define DECODE_OPT_SACK      0x08
#define DECODE_OPT_TS        0x10
#define DECODE_OPT_AUTH      0x20 /* TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925): signed segment */
#define DECODE_OPT_BAD       0x80 /* the list was malformed: walked up to the bad option only */

/* TCP flag bits as on the wire. */
#define DECODE_TH_FIN 0x01
#define DECODE_TH_SYN 0x02
#define DECODE_TH_RST 0x04
#define DECODE_TH_PSH 0x08
#define DECODE_TH_ACK 0x10

/* How to decode; decode_packet() and decode_l4_payload() take NULL for the defaults (all off). */
struct decode_cfg {
	/*
	 * Check the IPv4 header checksum (RFC 791) and the TCP and UDP checksums
	 * over the IPv4 or IPv6 pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200
	 * §8.1), at every level of a tunnel; a bad one drops the packet
	 * (decode_ip_csum_bad, decode_l4_csum_bad). A zero UDP checksum means
	 * none on IPv4; on IPv6 it is bad except to a UDP tunnel port (RFC 6935).
	 */
	bool verify_checksums;
};

struct decoded {
	bool is_ip6;
	uint8_t proto;     /* DECODE_TCP or DECODE_UDP; a DECODE_FRAG's may be 47 (GRE), 4 or 41 */
	uint8_t tcp_flags; /* DECODE_TH_* (TCP only) */
	uint16_t vlan;     /* outermost VLAN id, 0 if untagged */
	uint8_t src[16];   /* IPv4 uses the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint16_t sport; /* host order */
	uint16_t dport;
	uint32_t seq; /* host order (TCP only) */
	uint32_t ack;
	struct span payload; /* L4 payload inside the frame, trimmed to the IP length */
	/*
	 * DECODE_FRAG only: the fragment's place in its datagram. <payload> is then
	 * the fragment's IP payload (not an L4 payload; for IPv6, what follows the
	 * Fragment header) and the ports, seq and flags are zero. RFC 791 and RFC
	 * 8200 §4.5: the datagram is named by (src, dst, id, proto).
	 */
	uint32_t ip_id;    /* IPv4: 16 bits; IPv6 (Fragment header): 32 */
	uint16_t frag_off; /* in bytes (the header's 13-bit field times 8) */
	bool frag_more;    /* MF: more fragments follow */
	/* Tunnels taken off to reach this packet (0: none), and the innermost one's kind. */
	uint8_t tunnel_depth;
	uint8_t tunnel_kind; /* enum decode_tunnel */
	/*
	 * TCP options (RFC 9293 §3.1, RFC 7323, RFC 2018): DECODE_OPT_* seen. A
	 * malformed list (an option running past the header, a bad length for
	 * its kind) sets DECODE_OPT_BAD and counts decode_tcp_opt_bad, but the
	 * segment is kept, as Suricata keeps it and as end hosts (Linux
	 * tcp_parse_options()) accept it: its payload is where the Data Offset
	 * says whatever the options hold.
	 */
	uint8_t tcp_opts;
	uint8_t tcp_wscale; /* window scale shift, capped at 14 (RFC 7323 §2.3) */
	uint16_t tcp_mss;
};

/*
 * Decode <len> bytes of the Ethernet frame <frame> (not NULL unless len is
 * 0) into <out>, as <cfg> (NULL: defaults) says. Returns DECODE_KEEP for a
 * well-formed TCP or UDP packet (inside its tunnels), DECODE_FRAG for a
 * fragment of one; anything else is counted in <c> under a decode_* counter
 * and returns DECODE_DROP. The payload span points into <frame>. Any
 * thread; no allocation.
 */
enum decode_rc decode_packet(const struct decode_cfg *cfg, struct counters *c, const uint8_t *frame,
                             size_t len, struct decoded *out);

/*
 * Decode the TCP, UDP or GRE header (or the IP-in-IP packet) at the start
 * of <l4>, a reassembled IP payload, into <d>, whose IP-level fields (is_ip6, proto, src, dst, vlan,
 * tunnel_depth) are already set (a DECODE_FRAG result), as <cfg> (NULL:
 * defaults) says. The same parser and counters as for an unfragmented
 * packet, checksum over the whole datagram included: DECODE_KEEP with the
 * ports, seq, flags and payload (a span into <l4>) filled, or DECODE_DROP
 * counted in <c>. A UDP datagram that carries a tunnel is followed into it,
 * so <d> may then describe the inner packet; a fragment inside it is
 * dropped (decode_tunnel_frag), so this never returns DECODE_FRAG. The
 * fragment fields are cleared first. Any thread; no allocation.
 */
enum decode_rc decode_l4_payload(const struct decode_cfg *cfg, struct counters *c, struct span l4,
                                 struct decoded *d);

#endif
