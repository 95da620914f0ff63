/*
 * feedwatch-natsdump: print every message of a JetStream stream as one JSON
 * line, for integration tests and the multi-node demo:
 *
 *   {"stream_seq":N,"subject":"...","msg_id":"...","data":<the alert line>}
 *
 * The body is a JSON alert line and is embedded as JSON, not as a string.
 *
 * feedwatch-natsdump --bench N measures the sink: N ~600-byte alert lines
 * written to a scratch journal, published through nats_sink to a fresh
 * stream, and the rate at which they are acknowledged.
 */
#include <getopt.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert/journal.h"
#include "alert/nats_sink.h"
#include "core/counters.h"
#include "core/log.h"

static void
put_json_str(FILE *out, const char *s, size_t n)
{
	size_t i;
	unsigned char ch;

	fputc('"', out);
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			fputc('\\', out);
			fputc(ch, out);
		} else if (ch < 0x20) {
			fprintf(out, "\\u%04x", ch);
		} else {
			fputc(ch, out);
		}
	}
	fputc('"', out);
}

static int
dump(const char *url, const char *stream)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	natsStatus st;
	const char *id, *data, *subj;
	uint64_t seq;
	int len, rc = 1;

	st = natsConnection_ConnectTo(&nc, url);
	if (st == NATS_OK) {
		st = natsConnection_JetStream(&js, nc, NULL);
	}
	if (st == NATS_OK) {
		st = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
	}
	if (st != NATS_OK) {
		fprintf(stderr, "feedwatch-natsdump: %s, stream %s: %s\n", url, stream,
		        natsStatus_GetText(st));
		goto fail;
	}
	for (seq = si->State.FirstSeq; seq != 0 && seq <= si->State.LastSeq; seq++) {
		st = js_GetMsg(&m, js, stream, seq, NULL, &jerr);
		if (st == NATS_NOT_FOUND) {
			continue; /* deleted or purged */
		}
		if (st != NATS_OK) {
			fprintf(stderr, "feedwatch-natsdump: stream %s seq %" PRIu64 ": %s\n",
			        stream, seq, natsStatus_GetText(st));
			goto fail;
		}
		id = "";
		natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
		subj = natsMsg_GetSubject(m);
		data = natsMsg_GetData(m);
		len = natsMsg_GetDataLength(m);
		printf("{\"stream_seq\":%" PRIu64 ",\"subject\":", seq);
		put_json_str(stdout, subj, strlen(subj));
		printf(",\"msg_id\":");
		put_json_str(stdout, id, strlen(id));
		printf(",\"data\":");
		if (len > 0 && (data[0] == '{' || data[0] == '[')) {
			fwrite(data, 1, (size_t)len, stdout);
		} else {
			put_json_str(stdout, data != NULL ? data : "", (size_t)len);
		}
		printf("}\n");
		natsMsg_Destroy(m);
		m = NULL;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
fail:
	natsMsg_Destroy(m);
	jsStreamInfo_Destroy(si);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	return rc;
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N alert-sized lines through the real journal and sink; prints the rate. */
static int
bench(const char *url, const char *stream, uint32_t n, uint32_t max_pending)
{
	char dir[] = "/tmp/feedwatch-natsbench-XXXXXX";
	struct counters jc, c;
	struct journal_conf jconf;
	struct nats_sink_conf sc;
	struct journal *j = NULL;
	struct nats_sink *s = NULL;
	char *err = NULL, *buf = NULL, cmd[128], node[64];
	size_t len = 0, line = 0;
	uint32_t i, k = 0, batch = 1000;
	double t0, t1;
	int rc = 1;

	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	memset(&jconf, 0, sizeof(jconf));
	jconf.dir = dir;
	jconf.segment_bytes = 64ull << 20;
	jconf.retain_bytes = 1ull << 40;
	jconf.fsync_ms = JOURNAL_FSYNC_NEVER;
	j = journal_open(&jconf, &jc, &err);
	buf = malloc((size_t)batch * 700);
	if (j == NULL || buf == NULL) {
		fprintf(stderr, "feedwatch-natsdump: %s\n", err != NULL ? err : "out of memory");
		goto fail;
	}
	memset(&sc, 0, sizeof(sc));
	sc.url = url;
	sc.stream = stream;
	sc.subject = "feedwatch.bench";
	/* a fresh node id per run, so an earlier run's ids are not duplicates */
	snprintf(node, sizeof(node), "bench-%ld-%ld", (long)getpid(), (long)time(NULL));
	sc.node = node;
	sc.journal_dir = dir;
	sc.create_stream = true;
	sc.max_pending = max_pending;
	sc.ack_timeout_ms = 5000;
	sc.dup_window_s = 600;
	s = nats_sink_start(&sc, &c, &err);
	if (s == NULL) {
		fprintf(stderr, "feedwatch-natsdump: %s\n", err);
		goto fail;
	}
	/* the journal is written in full first: the rate is the sink's alone */
	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		len = 0;
		for (uint32_t x = 0; x < k; x++) {
			int w = sprintf(buf + len,
			                "{\"seq\":%" PRIu64
			                ",\"ts\":\"2026-11-28T10:00:00.000123Z\","
			                "\"watchlist\":\"bench-%u\",\"severity\":\"high\","
			                "\"item\":{\"title\":\"",
			                journal_last_seq(j) + x + 1, (i + x) % 8);
			memset(buf + len + (size_t)w, 'x', 600 - 100);
			len += (size_t)w + 500;
			len += (size_t)sprintf(buf + len, "\"}}\n");
		}
		line = len / k;
		if (journal_append(j, buf, len, k) != 0) {
			fprintf(stderr, "feedwatch-natsdump: journal_append failed\n");
			goto fail;
		}
	}
	t0 = secs();
	nats_sink_notify(s, n);
	while (nats_sink_acked(s) < n) {
		usleep(1000);
		if (secs() - t0 > 600) {
			fprintf(stderr, "feedwatch-natsdump: gave up at %" PRIu64 " acked\n",
			        nats_sink_acked(s));
			goto fail;
		}
	}
	t1 = secs();
	printf("nats publish: %u lines of ~%zu bytes acked in %.3f s: %.0f lines/s, %.1f MB/s "
	       "(max_pending %u, retried %" PRIu64 ")\n",
	       n, line, t1 - t0, n / (t1 - t0), (double)n * (double)line / (t1 - t0) / 1e6,
	       max_pending, c.v[CNT_nats_retried]);
	rc = 0;
fail:
	nats_sink_stop(s, 2000);
	journal_close(j);
	free(buf);
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "feedwatch-natsdump: could not remove %s\n", dir);
	}
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: feedwatch-natsdump --url URL --stream NAME\n"
	                "       feedwatch-natsdump --url URL --bench N [--stream NAME] "
	                "[--max-pending M]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "stream", required_argument, NULL, 's' },
		{ "bench", required_argument, NULL, 'b' },
		{ "max-pending", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *stream = NULL;
	uint32_t nbench = 0, max_pending = 4096;
	int o, rc;

	while ((o = getopt_long(argc, argv, "u:s:b:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 'u':
			url = optarg;
			break;
		case 's':
			stream = optarg;
			break;
		case 'b':
			nbench = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			max_pending = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
			return o == 'h' ? 0 : 2;
		}
	}
	if (url == NULL || (stream == NULL && nbench == 0) || optind != argc || max_pending == 0) {
		usage();
		return 2;
	}
	if (nbench > 0) {
		log_quiet(1);
		rc = bench(url, stream != NULL ? stream : "FEEDWATCH_BENCH", nbench, max_pending);
	} else {
		rc = dump(url, stream);
	}
	nats_Close();
	return rc;
}
