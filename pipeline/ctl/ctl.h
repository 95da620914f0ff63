/*
 * The control socket: `feedwatch ctl reload | stats | watchlists | clients | version` talks
 * to a running feedwatch over a Unix stream socket. The server side runs on feedwatch's
 * control thread (ctl_poll() calls the command handler there, so a handler may rebuild and
 * publish a watchlist generation); the client side is ctl_request().
 *
 * Wire protocol (text, one connection may carry several requests in turn):
 *
 *   request  = one line: the command and its arguments, ending in "\n" ("\r\n" is accepted),
 *              at most CTL_LINE_MAX bytes including the newline, no NUL byte. Empty lines
 *              are ignored. A final line without "\n" counts when the client half-closes.
 *   reply    = the lines the handler wrote, then one status line:
 *                ".ok"          the command succeeded
 *                ".error <n>"   it failed; <n> (1..255) is the exit status for the client
 *              A reply line that starts with "." is sent with one more "." in front
 *              (dot-stuffing as in SMTP, RFC 5321 §4.5.2): a line whose first character is
 *              "." and whose second is not is always the status line, whatever the handler
 *              wrote; the client removes the extra dot from the others. A reply text that
 *              does not end in "\n" gets one before the status line.
 *
 * A human can drive it with `socat - UNIX-CONNECT:/run/feedwatch/ctl.sock`: replies read as
 * plain text ending in ".ok". Requests are answered in order; the server handles the
 * next request of a connection only after the previous reply has been written out.
 *
 * Limits: CTL_MAX_CLIENTS connections (one more is told "too many clients" and closed); a
 * request line longer than CTL_LINE_MAX gets an error reply and the connection is closed; a
 * connection with no traffic either way for CTL_IDLE_MS (a half-sent request, or a reply
 * the client does not read) is dropped; a reply is cut at CTL_REPLY_MAX bytes, with a last
 * text line saying so before the status line.
 */
#ifndef FW_CTL_H
#define FW_CTL_H

#include <stdio.h>

#define CTL_LINE_MAX    4096
#define CTL_MAX_CLIENTS 16
#define CTL_IDLE_MS     5000
#define CTL_REPLY_MAX   (1024 * 1024)

struct ctl_server;
struct ctl_reply;

/*
 * A command handler, called on the thread that calls ctl_poll(). <cmd> is one request line
 * without its line ending, NUL-terminated, valid during the call only. Write the reply text
 * with ctl_reply_printf(). Return 0 for success, else the exit status the client should use
 * (1; values outside 1..255 are sent as 1).
 */
typedef int ctl_handler_fn(void *arg, const char *cmd, struct ctl_reply *r);

/*
 * Listen on Unix stream socket <path> (at most 107 bytes). A leftover socket file at <path>
 * is replaced, unless a live process answers on it (then the error says "already in use");
 * any other kind of file there is an error. The socket gets permissions <mode> (e.g. 0660)
 * and, unless <group> is NULL, group <group> (a name, or a number). The socket is
 * non-blocking. Returns the server, or NULL with a heap message in *err.
 */
struct ctl_server *ctl_open(const char *path, unsigned int mode, const char *group, char **err);

/*
 * The listening socket, for the caller's poll(): readable when a client connects. Connected
 * clients' sockets are polled inside ctl_poll(), so a caller that waits on this fd itself
 * must still call ctl_poll() at least every 100 ms while ctl_clients() > 0.
 */
int ctl_fd(const struct ctl_server *s);

/* Number of connected clients (0..CTL_MAX_CLIENTS). */
int ctl_clients(const struct ctl_server *s);

/*
 * Replace CTL_IDLE_MS for this server (tests use a short one). <ms> > 0.
 */
void ctl_set_idle_timeout(struct ctl_server *s, int ms);

/*
 * Append printf-formatted text to the reply being built for the current request. Only valid
 * inside a handler, on the <r> it was given. Text past CTL_REPLY_MAX is dropped. Returns the
 * number of bytes formatted, or -1 if the text did not fit or memory ran out.
 */
int ctl_reply_printf(struct ctl_reply *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * Accept pending clients, read their request lines, call <fn>(<arg>, line, reply) for each
 * complete line and queue the framed reply, written without blocking. Waits at most
 * <timeout_ms> (0: one pass without waiting) and returns as soon as a pass has handled at
 * least one command; the time a handler itself takes is not bounded here. A slow or silent
 * client never makes this wait past <timeout_ms>. Returns the number of commands handled,
 * or -1 if poll() on the sockets failed.
 */
int ctl_poll(struct ctl_server *s, int timeout_ms, ctl_handler_fn *fn, void *arg);

/*
 * Close every client and the listening socket, and remove the socket file if it is still
 * the one ctl_open() created. Accepts NULL.
 */
void ctl_close(struct ctl_server *s);

/*
 * Client: connect to <path>, send <cmd> + "\n", copy the reply text (without the status
 * line, dot-stuffing undone) to <out>, and return the status the server gave: 0 ok, 1..255
 * failure. Returns -1 with a heap message in *err if no server answers (the message names
 * the path and says whether feedwatch seems not to be running or permission was denied),
 * if <cmd> is empty, too long or holds a newline, if the connection ends before the status
 * line, or if the whole exchange takes longer than <timeout_ms> (a reload of 100k terms can
 * take ~10 s: callers pass 60000). Any thread; blocks at most about <timeout_ms>.
 */
int ctl_request(const char *path, const char *cmd, FILE *out, int timeout_ms, char **err);

#endif
