/*
 * Alert records to NDJSON lines (schema: alert.schema.json beside this file),
 * and the helpers that fill a record's bounded strings. Plain C, any thread.
 */
#ifndef FW_ALERT_JSON_H
#define FW_ALERT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "alert/alert-t.h"
#include "core/span.h"

/*
 * Copy <src> into <dst> of <cap> bytes (cap >= 1), NUL-terminated, cut at a
 * UTF-8 character boundary if it does not fit. Returns the bytes copied.
 */
size_t alert_copy_text(char *dst, size_t cap, struct span src);

/*
 * Writes <s> as a JSON string (quotes included, RFC 8259 escapes, invalid
 * UTF-8 as \ufffd) into <buf> of <cap> bytes, not NUL-terminated. Returns its
 * length, or 0 if it does not fit (6 * s.len + 2 bytes always do).
 */
size_t alert_json_string(char *buf, size_t cap, struct span s);

/*
 * Encode record <r> with sequence number <seq> and packet-to-alert latency
 * <latency_us> as one JSON object followed by '\n' into <buf> of <cap>
 * bytes. Strings are escaped per RFC 8259; invalid UTF-8 becomes U+FFFD.
 * Returns the line's length, or 0 if <cap> is too small (ALERT_JSON_MAX always
 * suffices).
 */
size_t alert_json_encode(const struct alert_rec *r, uint64_t seq, uint64_t latency_us, char *buf,
                         size_t cap);

#define ALERT_JSON_MAX 65536 /* fits any record even if every byte is escaped */

/*
 * The other lines a stream carries (alert.schema.json describes all four).
 * Each writes one JSON object and '\n' into <buf> of <cap> bytes and returns
 * its length, or 0 if <cap> is too small (ALERT_JSON_NOTE_MAX always does:
 * strings are cut at a UTF-8 boundary to 32 bytes for version, 64 for node,
 * 128 for message and 16 for format, reason and type). No argument is NULL.
 */
#define ALERT_JSON_NOTE_MAX 1024

/* {"hello":{"version":V,"node":N,"format":F,"last_seq":S}}: first line on every connection */
size_t alert_json_hello(char *buf, size_t cap, const char *version, const char *node,
                        const char *format, uint64_t last_seq);

/*
 * {"gap":{"from":A,"to":B,"reason":R}}: alerts A..B (inclusive) are not in
 * this stream; R is "slow" (the client fell behind) or "retention" (gone
 * from the journal). A client gets them back by reconnecting with
 * {"resume_after":A-1} while the journal still has them.
 */
size_t alert_json_gap(char *buf, size_t cap, uint64_t from, uint64_t to, const char *reason);

/*
 * {"notice":{"type":T,"message":M,"last_seq":S}}: T is "disconnect" (the
 * server closes the connection after this line; S is the last alert sent) or
 * "error" (a request line was refused; the stream goes on).
 */
size_t alert_json_notice(char *buf, size_t cap, const char *type, const char *message,
                         uint64_t last_seq);

#endif
