/*
 * Fuzz target: a line of the alert stream as `feedwatch tail` reads it from
 * a socket (any bytes: the TCP listener may be anyone's). Every kind is
 * parsed; an alert that parses is encoded again, natively and in ECS, and the
 * native line must parse back to the same seq, which the journal's seq
 * reader must agree with.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_ecs.h"
#include "alert/alert_json.h"
#include "alert/alert_text.h"
#include "alert/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char line[ALERT_JSON_MAX], ecs[ALERT_ECS_MAX];
static struct alert_line a, b;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	if (alert_text_parse_line((const char *)data, size, &a) != ALERT_LINE_ALERT || a.ecs) {
		return 0;
	}
	n = alert_json_encode(&a.rec, a.seq, a.latency_us, line, sizeof(line));
	if (n == 0 || line[n - 1] != '\n') {
		abort();
	}
	/* (strings may differ: invalid UTF-8 came back as U+FFFD) */
	if (alert_text_parse_line(line, n - 1, &b) != ALERT_LINE_ALERT || b.seq != a.seq) {
		abort();
	}
	if (a.seq > 0 && journal_line_seq(line, n) != a.seq) {
		abort();
	}
	if (alert_ecs_encode(&a.rec, a.seq, a.latency_us, "fuzz", ecs, sizeof(ecs)) == 0) {
		abort();
	}
	return 0;
}
