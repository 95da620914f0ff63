/*
 * Tunnel and link encapsulation headers, one at a time, for net/decode.c.
 *
 * Each function reads one encapsulation header at <p> (<len> bytes, already
 * trimmed to the enclosing packet's length) and, when it is well formed,
 * says in struct tunnel_next where the packet it carries starts and what it
 * is, as an ethertype: decode.c then decodes that packet as it would a
 * frame's payload, up to TUNNEL_MAX_DEPTH levels. Nothing here follows a
 * tunnel itself, so nesting is bounded in one place.
 *
 * Every header kind has a counter for those taken off and one for malformed
 * ones (core/counters.h, decode section). What a tunnel carries that is not
 * decoded (PPP control protocols, a GTP echo, an ERSPAN frame type other
 * than Ethernet or IP) is counted decode_tunnel_unsupported.
 */
#ifndef FW_TUNNEL_H
#define FW_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "net/decode.h"

#define TUNNEL_MAX_DEPTH 4 /* nested tunnels taken off before a packet is dropped */

/* What a tunnel carries, as an ethertype (GRE's Protocol Type is one, RFC 2784 §2.4). */
#define TUNNEL_IP4     0x0800
#define TUNNEL_IP6     0x86dd
#define TUNNEL_ETH     0x6558 /* transparent Ethernet bridging: a whole Ethernet frame */
#define TUNNEL_MPLS    0x8847 /* RFC 3032 §2.1: unicast */
#define TUNNEL_MPLS_MC 0x8848 /* and multicast */
#define TUNNEL_PPPOE   0x8864 /* RFC 2516 §4: session stage */

/* UDP destination ports (IANA) that carry tunnels. */
#define TUNNEL_PORT_GRE_UDP 4754
#define TUNNEL_PORT_VXLAN   4789
#define TUNNEL_PORT_GENEVE  6081
#define TUNNEL_PORT_GTP_U   2152
#define TUNNEL_PORT_AYIYA   5072

enum tunnel_rc {
	TUNNEL_NEXT, /* <next> is the carried packet */
	TUNNEL_NONE, /* UDP only: not that tunnel's header; go on with the datagram as UDP */
	TUNNEL_DROP, /* counted */
};

struct tunnel_next {
	const uint8_t *p; /* the carried packet, inside the header's buffer */
	size_t len;
	uint16_t type; /* TUNNEL_IP4, TUNNEL_IP6, TUNNEL_ETH, TUNNEL_MPLS* */
	uint8_t kind;  /* enum decode_tunnel */
};

/*
 * Whether tunnel_udp() reads a datagram from <sport> to <dport>: one to a
 * tunnel port, or one from the AYIYA port (an AYIYA server answers from
 * 5072 to the client's port). Any thread.
 */
static inline bool
tunnel_udp_port(uint16_t sport, uint16_t dport)
{
	return dport == TUNNEL_PORT_GRE_UDP || dport == TUNNEL_PORT_VXLAN ||
	       dport == TUNNEL_PORT_GENEVE || dport == TUNNEL_PORT_GTP_U ||
	       dport == TUNNEL_PORT_AYIYA || sport == TUNNEL_PORT_AYIYA;
}

/*
 * The UDP payload <p> (<len> bytes, the UDP length's) of a datagram from
 * <sport> to <dport>. TUNNEL_NONE when tunnel_udp_port() says no, or when
 * the payload is not a well-formed header of that port's tunnel (counted
 * as its *_bad: the datagram may be an ordinary one, e.g. a feed push);
 * TUNNEL_DROP when it is one but carries what is not decoded (counted);
 * else TUNNEL_NEXT with <next> filled. Any thread; no allocation.
 */
enum tunnel_rc tunnel_udp(struct counters *c, uint16_t sport, uint16_t dport, const uint8_t *p,
                          size_t len, struct tunnel_next *next);

/*
 * The GRE packet <p> (<len> bytes, the IP payload of protocol 47): RFC 2784
 * with RFC 2890's key and sequence number, version 0 only, and the ERSPAN
 * type I, II or III header after it. TUNNEL_NEXT with <next> filled, or
 * TUNNEL_DROP counted (decode_gre_bad, decode_erspan_bad,
 * decode_tunnel_unsupported). Any thread; no allocation.
 */
enum tunnel_rc tunnel_gre(struct counters *c, const uint8_t *p, size_t len,
                          struct tunnel_next *next);

/*
 * The MPLS label stack at <p> (RFC 3032): labels up to the bottom of stack,
 * then IPv4 or IPv6 (by version nibble, RFC 4928) or, after a zero control
 * word (RFC 4385), an Ethernet pseudowire frame. TUNNEL_NEXT or TUNNEL_DROP
 * counted. Any thread; no allocation.
 */
enum tunnel_rc tunnel_mpls(struct counters *c, const uint8_t *p, size_t len,
                           struct tunnel_next *next);

/*
 * The PPPoE session header and PPP protocol at <p> (RFC 2516 §4, RFC 1661
 * §2): IPv4 (0x0021) or IPv6 (0x0057), trimmed to the PPPoE length.
 * TUNNEL_NEXT or TUNNEL_DROP counted. Any thread; no allocation.
 */
enum tunnel_rc tunnel_pppoe(struct counters *c, const uint8_t *p, size_t len,
                            struct tunnel_next *next);

#endif
