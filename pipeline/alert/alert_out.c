#include "alert/alert_out.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"

struct client {
	int fd;
	char *buf;   /* ring of conf.client_buffer bytes */
	size_t head; /* next byte to send */
	size_t len;  /* bytes pending */
};

struct alert_out {
	struct alert_out_conf conf;
	struct counters *c;
	int listen_fd;
	char *socket_path;
	FILE *journal;
	uint32_t n_clients;
	struct client *clients; /* conf.max_clients slots */
};

static void
client_drop(struct alert_out *o, struct client *cl)
{
	close(cl->fd);
	free(cl->buf);
	cl->fd = -1;
	cl->buf = NULL;
	cl->head = cl->len = 0;
	o->n_clients--;
}

static void
client_flush(struct alert_out *o, struct client *cl)
{
	size_t cap = o->conf.client_buffer;

	while (cl->len > 0) {
		size_t chunk = cl->len;
		ssize_t w;

		if (cl->head + chunk > cap) {
			chunk = cap - cl->head;
		}
		w = send(cl->fd, cl->buf + cl->head, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				return;
			}
			client_drop(o, cl);
			return;
		}
		cl->head = (cl->head + (size_t)w) % cap;
		cl->len -= (size_t)w;
	}
	cl->head = 0;
}

static void
accept_clients(struct alert_out *o)
{
	for (;;) {
		int fd = accept4(o->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *slot = NULL;
		uint32_t i;

		if (fd < 0) {
			return;
		}
		for (i = 0; i < o->conf.max_clients; i++) {
			if (o->clients[i].fd < 0) {
				slot = &o->clients[i];
				break;
			}
		}
		if (slot == NULL) {
			counters_inc(o->c, CNT_alert_clients_refused);
			close(fd);
			continue;
		}
		slot->buf = malloc(o->conf.client_buffer);
		if (slot->buf == NULL) {
			counters_inc(o->c, CNT_alert_clients_refused);
			close(fd);
			continue;
		}
		slot->fd = fd;
		slot->head = slot->len = 0;
		o->n_clients++;
		counters_inc(o->c, CNT_alert_clients_accepted);
	}
}

/* Clients may write (resume requests come later); read and discard, and notice EOF. */
static void
read_clients(struct alert_out *o)
{
	char sink[512];
	uint32_t i;

	for (i = 0; i < o->conf.max_clients; i++) {
		struct client *cl = &o->clients[i];
		ssize_t r;

		if (cl->fd < 0) {
			continue;
		}
		do {
			r = recv(cl->fd, sink, sizeof(sink), MSG_DONTWAIT);
		} while (r > 0);
		if (r == 0 ||
		    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			client_drop(o, cl);
		}
	}
}

struct alert_out *
alert_out_open(const struct alert_out_conf *conf, struct counters *c, char **err)
{
	struct alert_out *o = NULL;
	struct sockaddr_un sa;
	uint32_t i;

	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	o->conf = *conf;
	o->c = c;
	o->listen_fd = -1;
	if (o->conf.max_clients == 0) {
		o->conf.max_clients = 1;
	}
	if (o->conf.client_buffer < 65536) {
		o->conf.client_buffer = 65536;
	}
	o->clients = calloc(o->conf.max_clients, sizeof(*o->clients));
	if (o->clients == NULL) {
		err_set(err, "out of memory");
		goto fail;
	}
	for (i = 0; i < o->conf.max_clients; i++) {
		o->clients[i].fd = -1;
	}
	if (conf->journal_path != NULL && conf->journal_path[0] != '\0') {
		o->journal = fopen(conf->journal_path, "ae");
		if (o->journal == NULL) {
			err_set(err, "%s: cannot open journal: %s", conf->journal_path,
			        strerror(errno));
			goto fail;
		}
	}
	if (conf->socket_path != NULL && conf->socket_path[0] != '\0') {
		if (strlen(conf->socket_path) >= sizeof(sa.sun_path)) {
			err_set(err, "%s: socket path too long", conf->socket_path);
			goto fail;
		}
		o->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (o->listen_fd < 0) {
			err_set(err, "socket: %s", strerror(errno));
			goto fail;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		strcpy(sa.sun_path, conf->socket_path);
		unlink(conf->socket_path);
		if (bind(o->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(o->listen_fd, 64) != 0) {
			err_set(err, "%s: cannot listen: %s", conf->socket_path, strerror(errno));
			goto fail;
		}
		o->socket_path = strdup(conf->socket_path);
		if (o->socket_path == NULL) {
			err_set(err, "out of memory");
			goto fail;
		}
	}
	return o;
fail:
	alert_out_close(o, 0);
	return NULL;
}

void
alert_out_line(struct alert_out *o, const char *line, size_t len)
{
	size_t cap = o->conf.client_buffer;
	uint32_t i;

	if (o->journal != NULL && fwrite(line, 1, len, o->journal) != len) {
		counters_inc(o->c, CNT_alert_journal_errors);
	}
	if (o->listen_fd >= 0) {
		accept_clients(o);
	}
	for (i = 0; i < o->conf.max_clients; i++) {
		struct client *cl = &o->clients[i];
		size_t tail, first;

		if (cl->fd < 0) {
			continue;
		}
		if (cap - cl->len < len) {
			client_flush(o, cl);
			if (cl->fd < 0) {
				continue;
			}
			if (cap - cl->len < len) {
				counters_inc(o->c, CNT_alert_clients_slow);
				client_drop(o, cl);
				continue;
			}
		}
		tail = (cl->head + cl->len) % cap;
		first = len < cap - tail ? len : cap - tail;
		memcpy(cl->buf + tail, line, first);
		memcpy(cl->buf, line + first, len - first);
		cl->len += len;
		client_flush(o, cl);
	}
}

void
alert_out_poll(struct alert_out *o, int timeout_ms)
{
	struct pollfd pfd[1];
	uint32_t i;

	if (o->journal != NULL) {
		fflush(o->journal);
	}
	if (o->listen_fd >= 0) {
		pfd[0].fd = o->listen_fd;
		pfd[0].events = POLLIN;
		if (timeout_ms > 0) {
			poll(pfd, 1, timeout_ms);
		}
		accept_clients(o);
	}
	read_clients(o);
	for (i = 0; i < o->conf.max_clients; i++) {
		if (o->clients[i].fd >= 0) {
			client_flush(o, &o->clients[i]);
		}
	}
}

uint32_t
alert_out_clients(const struct alert_out *o)
{
	return o->n_clients;
}

void
alert_out_close(struct alert_out *o, int linger_ms)
{
	uint64_t deadline;
	uint32_t i;

	if (o == NULL) {
		return;
	}
	deadline = clock_ns(CLOCK_MONOTONIC) / 1000000u + (uint64_t)(linger_ms > 0 ? linger_ms : 0);
	for (;;) {
		bool pending = false;

		for (i = 0; o->clients != NULL && i < o->conf.max_clients; i++) {
			if (o->clients[i].fd >= 0) {
				client_flush(o, &o->clients[i]);
				pending |= o->clients[i].fd >= 0 && o->clients[i].len > 0;
			}
		}
		if (!pending || clock_ns(CLOCK_MONOTONIC) / 1000000u >= deadline) {
			break;
		}
		usleep(1000);
	}
	for (i = 0; o->clients != NULL && i < o->conf.max_clients; i++) {
		if (o->clients[i].fd >= 0) {
			client_drop(o, &o->clients[i]);
		}
	}
	if (o->listen_fd >= 0) {
		close(o->listen_fd);
	}
	if (o->socket_path != NULL) {
		unlink(o->socket_path);
	}
	if (o->journal != NULL) {
		fclose(o->journal);
	}
	free(o->socket_path);
	free(o->clients);
	free(o);
}
