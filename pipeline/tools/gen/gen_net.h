/*
 * The network layer of feedwatch-gen: documents served over HTTP/1.1 on TCP
 * or pushed in UDP datagrams, framed as Ethernet (optionally 802.1Q) over
 * IPv4 or IPv6, written to a classic pcap file. Addresses are in
 * 198.18.0.0/15 and 2001:db8::/32 only.
 */
#ifndef FW_GEN_NET_H
#define FW_GEN_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/gen/gen.h"

struct gen_pcap;

/* Create <path> and write the pcap header (Ethernet, microsecond stamps). NULL on error. */
struct gen_pcap *gen_pcap_open(const char *path);

/* Append one frame; the capture clock advances by <gap_us>. 0 or -errno. */
int gen_pcap_frame(struct gen_pcap *p, const uint8_t *frame, size_t len, uint32_t gap_us);

/* Frames and bytes written so far. */
uint64_t gen_pcap_frames(const struct gen_pcap *p);
uint64_t gen_pcap_bytes(const struct gen_pcap *p);

/* Flush and close. 0 or -errno. Accepts NULL. */
int gen_pcap_close(struct gen_pcap *p);

enum gen_coding {
	GEN_CODING_LENGTH = 0, /* Content-Length */
	GEN_CODING_CHUNKED,    /* random chunk sizes, extensions now and then, a trailer */
	GEN_CODING_GZIP,       /* Content-Encoding: gzip, Content-Length */
	GEN_CODING_GZIP_CHUNKED,
	GEN_CODING_DEFLATE, /* zlib-wrapped, Content-Length */
	/* the codings below are drawn only when --codings names them */
	GEN_CODING_BR, /* Content-Encoding: br (RFC 7932), quality 5..11, Content-Length */
	GEN_CODING_BR_CHUNKED,
	GEN_CODING_DEFLATE_RAW, /* "deflate" sent as raw RFC 1951 data (no zlib header), as old IIS */
	GEN_CODING_X_GZIP,      /* Content-Encoding: x-gzip, Content-Length */
	GEN_CODING_GZIP_BR, /* Content-Encoding: gzip, br (gzip applied first), Content-Length */
	/*
	 * No length: "Connection: close" and the server's FIN end the body
	 * (RFC 9112 §6.3 item 8). Only the last document of a connection can be
	 * served so; the ones before it on the same connection (keep-alive
	 * needs a length) get Content-Length and are reported as such.
	 */
	GEN_CODING_CLOSE,
	GEN_CODING__MAX
};

/* How one TCP connection is served. */
struct gen_conn_opts {
	enum gen_coding coding;
	uint32_t seg_min, seg_max; /* TCP payload sizes, uniform in [min, max] */
	double reorder;            /* share of segments delivered out of order */
	double dup;                /* share of segments sent twice */
	double overlap; /* share of segments retransmitted overlapping the next (same bytes) */
	bool wrap;      /* server ISN close to 2^32 so sequence numbers wrap */
	bool midstream; /* no handshake: the capture starts mid-connection */
	bool lose_one;  /* one server segment is never sent */
	bool ipv6;
	bool vlan;
	bool frag;      /* IPv4 only: server segments sent as IP fragments */
	bool pipelined; /* all requests first, then all responses */
	bool with_304;  /* a conditional request answered 304 (no body) before the documents */
};

/*
 * Serve <docs> (n >= 1) on one keep-alive connection (<conn_id> picks the
 * addresses and ports), writing the frames to <p>. Sets each doc's url,
 * coding (the one it was served with: with GEN_CODING_CLOSE, all but the
 * last document are "content-length") and adversity, and marks items
 * undetectable when a lost segment hides them: every item not wholly before
 * the loss in that document, and every item of the documents after it on the
 * same connection. 0 or -errno.
 */
int gen_net_http(struct gen_pcap *p, struct gen_rng *rng, const struct gen_conn_opts *o,
                 struct gen_doc *const *docs, uint32_t n, uint32_t conn_id);

/*
 * Push <doc> in one UDP datagram to <port> (it must fit in 65,507 bytes; with
 * <ipv6>, IPv6). Sets url ("udp://addr:port"), coding "udp". 0 or -errno.
 */
int gen_net_udp(struct gen_pcap *p, struct gen_rng *rng, struct gen_doc *doc, uint16_t port,
                bool ipv6, uint32_t conn_id);

/*
 * "content-length", "chunked", "gzip", "gzip+chunked", "deflate", "br",
 * "br+chunked", "deflate-raw", "x-gzip", "gzip+br", "close"; "unknown" out of range.
 */
const char *gen_coding_name(enum gen_coding c);

#endif
