/*
 * Per-lcore counters. Every stage counts what it drops, truncates or bypasses
 * here instead of logging or failing: malformed input is a counter. Each
 * worker owns one cache-aligned struct counters; the control side sums them.
 *
 * The table below is the only X-macro in the project. Append new counters to
 * the section of the stage that bumps them; names are stable (they become
 * telemetry and Prometheus names), so never rename one.
 */
#ifndef FW_COUNTERS_H
#define FW_COUNTERS_H

#include <stdint.h>

#define COUNTER_TABLE(X)                                                                           \
	/* core / worker */                                                                        \
	X(rx_packets, "packets received")                                                          \
	X(rx_bytes, "bytes received")                                                              \
	X(rx_multiseg, "frames larger than one mbuf, copied flat before decode")                   \
	X(rx_spread_full,                                                                          \
	  "frames dropped by the spreading RX lcore: their worker's ring was full")                \
	/* decode */                                                                               \
	X(decode_eth_short, "frames shorter than an Ethernet header")                              \
	X(decode_vlan, "802.1Q / QinQ tags seen")                                                  \
	X(decode_vlan_short, "truncated VLAN tags")                                                \
	X(decode_not_ip, "frames that are neither IPv4 nor IPv6")                                  \
	X(decode_ip4, "IPv4 packets")                                                              \
	X(decode_ip6, "IPv6 packets")                                                              \
	X(decode_ip_bad, "malformed IP headers (length, version, checksum-free checks)")           \
	X(decode_ip_frag, "IPv4 and IPv6 fragments seen (then reassembled)")                       \
	X(decode_ip6_ext, "IPv6 extension headers walked")                                         \
	X(decode_ip6_unreadable, "IPv6 packets ending in ESP or No Next Header")                   \
	X(decode_ip6_ext_bad, "IPv6 packets with truncated or too many extension headers")         \
	X(decode_other_proto, "IP packets that are neither TCP nor UDP")                           \
	X(decode_tcp, "TCP segments")                                                              \
	X(decode_tcp_bad, "malformed TCP headers")                                                 \
	X(decode_udp, "UDP datagrams")                                                             \
	X(decode_udp_bad, "malformed UDP headers")                                                 \
	X(ip_frag_reassembled, "IPv4 datagrams reassembled from fragments")                        \
	X(ip_frag_timeout, "IPv4 datagrams dropped incomplete after limits.frag_timeout_s")        \
	X(ip_frag_overlap, "IPv4 fragments overlapping held bytes (first copy kept)")              \
	X(ip_frag_limit, "IPv4 datagrams dropped: reassembly table, arena or size cap exhausted")  \
	X(ip_frag_bad, "malformed or inconsistent IPv4 fragments (datagram dropped)")              \
	X(decode_tcp_opt_bad, "TCP segments with a malformed option list (kept)")                  \
	X(decode_ip_csum_bad, "IPv4 headers with a bad checksum, when verified (dropped)")         \
	X(decode_l4_csum_bad, "TCP and UDP checksums bad, when verified (dropped)")                \
	X(decode_tunnel_depth, "packets inside more than 4 nested tunnels (dropped)")              \
	X(decode_tunnel_frag, "fragments inside a reassembled tunnel datagram (dropped)")          \
	X(decode_tunnel_unsupported, "tunnel payloads not decoded (PPP control, GTP echo, ...)")   \
	X(decode_gre, "GRE headers taken off (not ERSPAN)")                                        \
	X(decode_gre_bad, "malformed GRE headers (dropped; in UDP 4754, kept as UDP)")             \
	X(decode_erspan, "ERSPAN headers taken off (types I, II and III)")                         \
	X(decode_erspan_bad, "malformed ERSPAN headers (dropped)")                                 \
	X(decode_gre_udp, "GRE-in-UDP headers taken off (UDP port 4754)")                          \
	X(decode_vxlan, "VXLAN headers taken off (UDP port 4789)")                                 \
	X(decode_vxlan_bad, "UDP to port 4789 without a VXLAN header (kept as UDP)")               \
	X(decode_geneve, "Geneve headers taken off (UDP port 6081)")                               \
	X(decode_geneve_bad, "UDP to port 6081 without a valid Geneve header (kept as UDP)")       \
	X(decode_gtp, "GTP-U headers taken off (UDP port 2152)")                                   \
	X(decode_gtp_bad, "UDP to port 2152 without a valid GTP-U header (kept as UDP)")           \
	X(decode_ayiya, "AYIYA headers taken off (UDP port 5072)")                                 \
	X(decode_ayiya_bad, "UDP to port 5072 without a valid AYIYA header (kept as UDP)")         \
	X(decode_ipip, "IPv4 or IPv6 packets taken out of IPv4 or IPv6 (protocols 4, 41)")         \
	X(decode_pppoe, "PPPoE session headers taken off")                                         \
	X(decode_pppoe_bad, "malformed PPPoE session headers (dropped)")                           \
	X(decode_mpls, "MPLS label stacks taken off")                                              \
	X(decode_mpls_bad, "malformed or too deep MPLS label stacks (dropped)")                    \
	X(decode_llc_snap, "802.3 frames with an LLC/SNAP header")                                 \
	/* flow */                                                                                 \
	X(flow_created, "flows created")                                                           \
	X(flow_evicted, "flows evicted, idle the longest first, to make room in a full table")     \
	X(flow_expired, "flows evicted after the idle timeout")                                    \
	X(flow_closed, "flows ended by FIN or RST on both sides")                                  \
	/* tcp stream */                                                                           \
	X(tcp_midstream, "streams picked up without a SYN")                                        \
	X(tcp_ooo_queued, "out-of-order segments held")                                            \
	X(tcp_ooo_limit, "out-of-order segments dropped at the per-stream or pool limit")          \
	X(tcp_retrans_bytes, "retransmitted bytes delivered once and skipped after")               \
	X(tcp_overlap_diff, "held bytes retransmitted with different content (first copy kept)")   \
	X(tcp_gap, "holes skipped when a stream closed or overflowed")                             \
	X(tcp_rst, "RST segments")                                                                 \
	X(tcp_rst_signed, "RST segments with TCP-MD5/TCP-AO, ignored (unverifiable, injected?)")   \
	/* http */                                                                                 \
	X(http_requests, "HTTP requests parsed")                                                   \
	X(http_sessions_full, "flows whose payload went unparsed: every HTTP session was in use")  \
	X(http_responses, "HTTP responses parsed")                                                 \
	X(http_bad_request, "malformed HTTP requests (flow bypassed)")                             \
	X(http_bad_response, "malformed HTTP responses (flow bypassed)")                           \
	X(http_header_limit, "HTTP header blocks over the size limit (flow bypassed)")             \
	X(http_body_limit, "HTTP bodies truncated at http.max_body")                               \
	X(http_unpaired, "responses without a matching request")                                   \
	X(http_chunked_bad, "malformed chunked encoding")                                          \
	X(http_gzip, "gzip or deflate bodies decoded")                                             \
	X(http_gzip_bad, "corrupt gzip or deflate bodies")                                         \
	X(http_not_feed, "response bodies skipped because they are not feeds")                     \
	X(http_pending_overflow, "pipelined requests beyond HTTP_MAX_PENDING (response unpaired)") \
	X(http_upgrade, "connections that switched protocols (101), bypassed")                     \
	X(http_connect_tunnel, "CONNECT tunnels opened (HTTP inside is read)")                     \
	X(http_tunnel_opaque,                                                                      \
	  "CONNECT tunnel directions that were not HTTP (TLS...), left unread")                    \
	X(http_gzip_pool_empty, "compressed bodies skipped: every inflate stream was busy")        \
	X(http_gap, "TCP holes outside a known HTTP body: that direction's framing is lost")       \
	X(http_gap_recovered, "TCP holes inside an HTTP body stepped over (that body incomplete)") \
	X(http_reqline_lenient, "request lines read leniently (extra spaces, odd or cut version)") \
	X(http_status_bad, "status lines without a valid status code (read as 200)")               \
	X(http_rsp_junk, "junk lines before a status line, skipped")                               \
	X(http_rsp_no_status, "responses without a status line, read as a body until close")       \
	X(http_header_lenient, "bad header lines read leniently (bare CR, space before colon)")    \
	X(http_cl_lenient, "malformed or conflicting Content-Length (first number used)")          \
	X(http_chunked_lenient, "chunk-size lines with junk or blank lines before, read")          \
	X(http_chunked_fallback, "bodies announced chunked that were not, read until close")       \
	X(http_ce_unknown, "Content-Encoding codings not decoded, ignored (body passed as is)")    \
	X(http_ce_layers_limit, "bodies with more stacked Content-Encodings than decoded (raw)")   \
	X(http_ce_passthrough, "bodies labelled compressed that were not, delivered raw")          \
	X(http_gzip_lead_ws, "gzip bodies with whitespace before the gzip header, skipped")        \
	X(http_te_cl_conflict, "messages with Transfer-Encoding and Content-Length (smuggling?)")  \
	X(http_br, "brotli bodies decoded")                                                        \
	X(http_br_bad, "corrupt or truncated brotli bodies")                                       \
	X(http_br_memcap, "brotli bodies stopped: no room left in http.br_memcap")                 \
	X(http_decomp_ratio, "compressed bodies stopped at http.max_ratio (decompression bomb)")   \
	/* feed */                                                                                 \
	X(feed_documents, "feed documents started")                                                \
	X(feed_items, "feed items extracted")                                                      \
	X(feed_item_truncated, "item fields truncated at feed.max_item")                           \
	X(feed_bad_xml, "feed documents abandoned as malformed")                                   \
	X(feed_unknown_format, "documents that were not RSS, RDF, Atom or JSON Feed")              \
	X(feed_pool_empty, "documents skipped because every parser was busy")                      \
	X(feed_bad_json, "JSON documents abandoned as malformed, truncated or nested too deep")    \
	X(feed_depth_limit, "XML documents abandoned for nesting deeper than 1024 elements")       \
	X(feed_junk_before_root, "documents with junk before the root element, skipped")           \
	X(feed_charset_stream, "documents converted to UTF-8 through iconv (UTF-16, CJK, ...)")    \
	X(feed_charset_unknown, "charset labels iconv does not know (document read as UTF-8)")     \
	X(udp_feed_datagrams, "UDP datagrams parsed as feed documents")                            \
	/* match */                                                                                \
	X(match_items_scanned, "items scanned by Hyperscan")                                       \
	X(match_bytes_scanned, "bytes scanned by Hyperscan")                                       \
	X(match_items_matched, "items that matched at least one watchlist")                        \
	X(match_hits_truncated, "hits beyond the per-alert limit")                                 \
	X(match_scan_error, "Hyperscan scan errors")                                               \
	X(match_item_truncated, "items whose text was cut at the scan buffer size")                \
	X(match_hits_overflow, "hits beyond the per-item hit table (rules decided on the rest)")   \
	X(match_dedup_suppressed, "repeats of an alerted item within dedup.window, not alerted")   \
	X(match_dedup_evicted, "dedup entries evicted from a full bucket before their window")     \
	/* alert */                                                                                \
	X(alert_enqueued, "alert records handed to the writer")                                    \
	X(alert_pool_empty, "alerts lost because the record pool was empty")                       \
	X(alert_ring_full, "alerts lost because the writer ring was full")                         \
	/* writer (main lcore) */                                                                  \
	X(alert_written, "alert lines written (seq assigned)")                                     \
	X(alert_journal_errors, "journal writes that failed")                                      \
	X(alert_clients_accepted, "alert socket clients accepted")                                 \
	X(alert_clients_refused, "alert socket clients refused at output.max_clients")             \
	X(alert_clients_slow,                                                                      \
	  "alert socket clients disconnected for falling output.client_buffer behind")             \
	X(alert_clients_gaps, "gap lines sent to clients that fell output.client_buffer behind")   \
	X(alert_lines_skipped, "alert lines not sent to slow clients (each within a gap line)")    \
	X(alert_replayed, "alert lines sent to clients from the journal after resume_after")       \
	X(alert_requests_bad, "client request lines that were not valid requests")                 \
	X(alert_ecs_errors, "alerts that could not be written in ECS layout (journal has them)")   \
	X(alert_flushes, "times the writer flushed pending lines to its clients")                  \
	/* journal (writer thread) */                                                              \
	X(journal_torn_bytes, "bytes of a partial last line cut off when the journal was opened")  \
	X(journal_rotated, "journal segments started")                                             \
	X(journal_deleted, "journal segments deleted by journal.retain_bytes / retain_age")        \
	X(journal_fsyncs, "journal fsync calls")                                                   \
	/* NATS JetStream sink (its own thread) */                                                 \
	X(nats_published, "alerts published to JetStream and acknowledged")                        \
	X(nats_retried, "alert publishes sent again after a failure or a missing ack")             \
	X(nats_pending, "alerts published and not yet acknowledged (a gauge)")                     \
	X(nats_errors, "JetStream publish errors and negative acks")                               \
	X(nats_reconnects, "reconnections to the NATS server")                                     \
	X(nats_gaps, "alerts the sink could not publish: gone from the journal (retention)")

enum counter_id {
#define COUNTER_ENUM(name, help) CNT_##name,
	COUNTER_TABLE(COUNTER_ENUM)
#undef COUNTER_ENUM
	        CNT__MAX
};

struct counters {
	uint64_t v[CNT__MAX];
} __attribute__((aligned(64)));

static inline void
counters_inc(struct counters *c, enum counter_id id)
{
	c->v[id]++;
}

static inline void
counters_add(struct counters *c, enum counter_id id, uint64_t n)
{
	c->v[id] += n;
}

/* The stable name of counter <id> ("rx_packets"). */
const char *counters_name(enum counter_id id);

/* One line of help text for counter <id>. */
const char *counters_help(enum counter_id id);

/* dst += src, counter by counter. Control plane. */
void counters_sum(struct counters *dst, const struct counters *src);

#endif
