/*
 * The per-worker packet engine: decode -> flow -> tcp stream -> http -> feed
 * -> match -> alert record, all plain C over the frame bytes. The DPDK worker
 * loop (core/worker.c) and the offline tools (`feedwatch match` over pcaps)
 * drive the same engine; they differ only in how a packet is kept alive while
 * one of its segments waits for a hole to fill (struct tcp_stream_ops) and
 * where alert records come from and go to (struct engine_ops).
 *
 * One engine per worker, used by that worker only. Nothing here blocks.
 */
#ifndef FW_ENGINE_H
#define FW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "alert/alert-t.h"
#include "core/config.h"
#include "core/counters.h"
#include "flow/tcp_stream.h"

struct feed_item;
struct wl_item;
struct wl_set;
struct engine;

/* One HTTP response as the engine reassembled it. Spans valid during the call only. */
struct engine_http {
	int status;
	struct span url;    /* the paired request's feed URL; len 0 if unpaired */
	struct span method; /* the paired request's method, host and target (struct http_msg) */
	struct span host;
	struct span target;
	const char *server; /* "addr:port" of the server, and of the client */
	const char *client;
	uint64_t body_bytes; /* after de-chunking and decoding (up to http.max_body) */
	bool has_body;       /* RFC 9112 §6.3 gave it one (not HEAD, 204, 304, length 0) */
	bool complete;       /* the framing said where it ended (not a gap, not cut by close) */
};

struct engine_ops {
	/* A free record to fill, or NULL (the caller counts alert_pool_empty). */
	struct alert_rec *(*alert_get)(void *arg);
	/* Hand a filled record on; the engine no longer touches it. */
	void (*alert_submit)(void *arg, struct alert_rec *rec);
	/* How held TCP segments keep their packet alive (NULL if every frame is passed
	 * with a NULL ref: the engine then copies what it holds). */
	const struct tcp_stream_ops *tcp;
	/* Optional: told of every item before it is matched, with the URL of its
	 * document (offline --items). */
	void (*item_seen)(void *arg, const struct feed_item *item, struct span url);
	/* Optional: told of every HTTP response as its body ends (offline --http). */
	void (*http_seen)(void *arg, const struct engine_http *rsp);
	/* Optional: told of every item as the matcher sees it (benchmarks). */
	void (*item_scanned)(void *arg, const struct wl_item *item);
	void *arg;
};

/*
 * An engine sized by <cfg>'s limits, counting into <c> (which must outlive
 * it). Watchlists are set separately. NULL on allocation failure. Control
 * plane.
 */
struct engine *engine_create(const struct fw_config *cfg, const struct engine_ops *ops,
                             struct counters *c);

/*
 * Scan items against <set> from now on (NULL: match nothing). Allocates the
 * scratch for it; returns 0 or -ENOMEM (the previous set stays). Must not run
 * concurrently with engine_packet() on the same engine. Control plane.
 */
int engine_set_watchlists(struct engine *e, const struct wl_set *set);

/*
 * Scan items against <set> with <scratch> from now on, both owned by the
 * caller (a watchlist generation: core/wl_gen.h). No allocation: the worker
 * calls this between bursts when a new generation was published. The
 * previous ones must stay valid until this returns.
 */
struct wl_scratch;
void engine_use_watchlists(struct engine *e, const struct wl_set *set, struct wl_scratch *scratch);

/*
 * One frame of <len> bytes. <ts_ns>: capture time (wall clock, ns);
 * <mono_ns>: monotonic receive time. <ref> is the packet that owns <frame>,
 * passed to ops->tcp->hold() if a segment must wait; NULL when <frame> lives
 * only during the call, in which case a segment that must wait is copied
 * (up to 16 MiB held per engine; beyond, counted as tcp_ooo_limit).
 */
void engine_packet(struct engine *e, const uint8_t *frame, size_t len, uint64_t ts_ns,
                   uint64_t mono_ns, void *ref);

/*
 * A whole feed document that did not come from a packet (a file given to
 * `feedwatch match`). <url> names it in alerts; flow.proto is "file".
 * <charset>: the charset a transport would have named (NULL if none).
 */
void engine_document(struct engine *e, const uint8_t *doc, size_t len, const char *url,
                     const char *charset);

/* Expire idle flows (at most a small batch per call). <now_ns> monotonic. */
void engine_tick(struct engine *e, uint64_t now_ns);

/* End every flow now (end of capture): what is held is delivered, bodies end. */
void engine_flush(struct engine *e);

/*
 * Bytes of state the engine keeps per flow (flow table entry and user area),
 * whether or not it carries payload.
 */
size_t engine_flow_bytes(void);

/* Bytes of the HTTP state a flow takes from limits.http_sessions once it carries payload. */
size_t engine_session_bytes(void);

/* Frees <e> after flushing. Accepts NULL. */
void engine_free(struct engine *e);

#endif
