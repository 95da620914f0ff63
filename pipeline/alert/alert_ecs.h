/*
 * Alert records as Elastic Common Schema (ECS 8.11) documents, one NDJSON
 * line each (schema: alert-ecs.schema.json beside this file), so Elastic,
 * OpenSearch, Graylog and Wazuh index them without an ingest pipeline. Only
 * real ECS fields appear at the top level; everything feedwatch-specific is
 * under "feedwatch". Plain C, any thread.
 */
#ifndef FW_ALERT_ECS_H
#define FW_ALERT_ECS_H

#include <stddef.h>
#include <stdint.h>

#include "alert/alert-t.h"

#define ALERT_ECS_VERSION "8.11.0"
#define ALERT_ECS_MAX     65536 /* fits any record even if every byte is escaped */

/*
 * The ECS event.severity (and event.risk_score) of a feedwatch severity label,
 * on Elastic's 0-100 risk score scale: info 1, low 21, medium 47, high 73,
 * critical 99; an unknown label (or NULL) is 0.
 */
int alert_ecs_severity(const char *label);

/*
 * Encode record <r> with sequence number <seq> and packet-to-alert latency
 * <latency_us> as one ECS document followed by '\n' into <buf> of <cap>
 * bytes. <node> (NULL is taken as "") names this host: observer.hostname,
 * and event.id is "<node>:<seq>" (just "<seq>" when it is empty). Strings are
 * escaped per RFC 8259; invalid UTF-8 becomes U+FFFD. Returns the line's
 * length, or 0 if <cap> is too small (ALERT_ECS_MAX always suffices when
 * <node> is at most 255 bytes).
 */
size_t alert_ecs_encode(const struct alert_rec *r, uint64_t seq, uint64_t latency_us,
                        const char *node, char *buf, size_t cap);

#endif
