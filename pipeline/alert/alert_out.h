/*
 * Where alert lines go: an append-only journal file and a Unix stream socket
 * that any number of consumers (up to output.max_clients) may read, e.g.
 * `socat - UNIX-CONNECT:/run/feedwatch/alerts.sock` or `feedwatch tail`.
 * Plain C, used only by the writer thread.
 *
 * Every client has its own bounded buffer (output.client_buffer bytes). A
 * line is appended to every client's buffer and flushed with non-blocking
 * writes; a client whose buffer cannot take the next line is disconnected
 * and counted (alert_clients_slow) rather than ever slowing the writer down
 * or losing a line silently: the journal still has it.
 */
#ifndef FW_ALERT_OUT_H
#define FW_ALERT_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

struct alert_out_conf {
	const char *socket_path;  /* NULL or "": no socket */
	const char *journal_path; /* NULL or "": no journal */
	uint32_t max_clients;
	uint32_t client_buffer; /* bytes per client */
};

struct alert_out;

/*
 * Create the socket (replacing a stale one at that path) and open the journal
 * for appending. Returns NULL and sets <*err> (heap) on failure. <c> receives
 * the alert_* writer counters. Control plane.
 */
struct alert_out *alert_out_open(const struct alert_out_conf *conf, struct counters *c, char **err);

/* Append one complete line (ending in '\n') to the journal and every client. */
void alert_out_line(struct alert_out *o, const char *line, size_t len);

/*
 * Accept new clients, read and discard what clients send, flush pending
 * bytes. Waits at most <timeout_ms> for something to happen (0: poll once).
 */
void alert_out_poll(struct alert_out *o, int timeout_ms);

/* Number of connected clients. */
uint32_t alert_out_clients(const struct alert_out *o);

/*
 * Flush the journal, give clients up to <linger_ms> to take what is pending,
 * close every socket and unlink the socket path. Accepts NULL.
 */
void alert_out_close(struct alert_out *o, int linger_ms);

#endif
