/*
 * The alert stream server: a Unix stream socket (and optionally a TCP
 * listener) that any number of consumers read, e.g. `feedwatch tail` or
 * `socat - UNIX-CONNECT:/run/feedwatch/alerts.sock`. Plain C, used only by
 * the writer thread (the ctl snapshot excepted).
 *
 * Lines are kept once, in one shared ring of recent output; each client is a
 * position in it, so a thousand clients cost a thousand positions, not a
 * thousand copies. A client is sent only whole lines: a short write resumes
 * where it stopped, and the line it was in is finished before anything else
 * (a gap, a notice) is sent. A client may fall output.client_buffer bytes
 * behind; past that its policy applies:
 *   - disconnect: the rest of its current line, then
 *     {"notice":{"type":"disconnect",...}}, then the connection is closed
 *     (alert_clients_slow);
 *   - skip: the rest of its current line, then {"gap":{"from":A,"to":B,
 *     "reason":"slow"}}, then live lines from the newest on
 *     (alert_clients_gaps, alert_lines_skipped).
 * Either way the writer never waits for a client.
 *
 * Every connection starts with a hello line. A client may then send
 * {"resume_after":N} (within output.resume_wait of connecting, or it is
 * live from the moment it connected): it gets N+1 onward, from the ring if
 * the ring still holds them, else from the journal, then live lines, in
 * order, with nothing missing or repeated; alerts that left the journal are
 * one {"gap":{...,"reason":"retention"}} line.
 */
#ifndef FW_ALERT_OUT_H
#define FW_ALERT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "ctl/metrics.h"

struct alert_out_conf {
	const char *socket_path;  /* NULL or "": no Unix socket */
	const char *socket_group; /* NULL or "": the process's group */
	uint32_t socket_mode;     /* permission bits of the socket, e.g. 0660 */
	const char *tcp_listen;   /* "addr:port" or "[v6]:port"; NULL or "": no TCP */
	const char *journal_dir;  /* replay source; NULL or "": replay only from the ring */
	const char *node;         /* named in the hello line */
	const char *version;      /* named in the hello line */
	bool ecs;                 /* lines are in ECS layout: replayed lines are converted */
	uint32_t max_clients;
	uint32_t client_buffer; /* bytes a client may fall behind */
	uint32_t slow_policy;   /* CONFIG_SLOW_DISCONNECT or CONFIG_SLOW_SKIP */
	uint32_t resume_wait_ms;
};

struct alert_out;

/*
 * Listen (replacing a stale socket file, refusing one another process
 * serves). <last_seq> is the seq of the last alert already written (the
 * journal's), announced to clients and the base of the ring. Returns NULL
 * and sets <*err> (heap) on failure. <c> receives the alert_* counters.
 * Control plane.
 */
struct alert_out *alert_out_open(const struct alert_out_conf *conf, struct counters *c,
                                 uint64_t last_seq, char **err);

/*
 * Queue one complete line (ending in '\n') holding alert <seq>, which must
 * be the last seq + 1. Nothing is sent until alert_out_flush().
 */
void alert_out_line(struct alert_out *o, uint64_t seq, const char *line, size_t len);

/* Send what is queued to every client that can take it now (one write per client). */
void alert_out_flush(struct alert_out *o);

/*
 * Accept clients, read their requests, advance replays and timers, and
 * flush. Waits at most <timeout_ms> for something to happen (0: poll once).
 */
void alert_out_poll(struct alert_out *o, int timeout_ms);

/* Number of connected clients. */
uint32_t alert_out_clients(const struct alert_out *o);

/* Bytes of the shared ring of recent lines (sized from output.client_buffer). */
size_t alert_out_ring_bytes(const struct alert_out *o);

/*
 * Every client's state (lag, alerts sent, skipped, replayed) into <v> (at
 * most <cap>; *n set) and the last seq written into *last_seq. Called from
 * any thread but the writer's: it asks the writer thread for a snapshot and
 * waits at most <wait_ms> for it. 0; 1 when more clients than <cap> were
 * connected (the first <cap> are given); -1 when the writer did not answer.
 */
int alert_out_snapshot(struct alert_out *o, struct metrics_client *v, uint32_t cap, uint32_t *n,
                       uint64_t *last_seq, int wait_ms);

/*
 * One line per client (id, peer, state, alerts sent, lag in lines and bytes,
 * alerts skipped, replayed) into <buf> of <cap> bytes, NUL-terminated;
 * returns the length. Called from another thread: it asks the writer thread
 * for a snapshot and waits at most <wait_ms> for it (the text says so if the
 * writer did not answer).
 */
size_t alert_out_describe(struct alert_out *o, char *buf, size_t cap, int wait_ms);

/*
 * Give clients up to <linger_ms> to take what is pending, close every
 * socket and unlink the socket path. Accepts NULL.
 */
void alert_out_close(struct alert_out *o, int linger_ms);

#endif
