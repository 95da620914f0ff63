#include "metrics_rig.h"

#include <stdio.h>
#include <string.h>

void
fake_init(struct fake *f, unsigned int n_sources)
{
	char name[24];
	unsigned int i;
	int k;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n_sources; i++) {
		for (k = 0; k < CNT__MAX; k++) {
			f->c[i].v[k] = (uint64_t)(i + 1) * 1000u + (uint64_t)k;
		}
		if (i == 0) {
			snprintf(name, sizeof(name), "writer");
		} else {
			snprintf(name, sizeof(name), "worker%u", i - 1);
		}
		stats_add(&f->src, name, &f->c[i]);
	}
	snprintf(f->ports[0].name, sizeof(f->ports[0].name), "net_pcap0");
	f->ports[0].ipackets = 11;
	f->ports[0].ibytes = 12;
	f->ports[0].imissed = 13;
	f->ports[0].ierrors = 14;
	f->ports[0].rx_nombuf = 15;
	snprintf(f->ports[1].name, sizeof(f->ports[1].name), "0000:3b:00.0");
	f->clients[0].id = 3;
	snprintf(f->clients[0].peer, sizeof(f->clients[0].peer), "127.0.0.1:5555");
	f->clients[0].state = "live";
	f->clients[0].sent_to = 40;
	f->clients[0].lag_alerts = 41;
	f->clients[0].lag_bytes = 42;
	f->clients[0].skipped = 43;
	f->clients[0].replayed = 44;
	f->clients[0].bytes_sent = 45;
	f->clients[1].id = 4;
	snprintf(f->clients[1].peer, sizeof(f->clients[1].peer), "uid 1000");
	f->clients[1].state = "replay";
	f->v.src = &f->src;
	f->v.rate = &f->rate;
	f->v.ports = f->ports;
	f->v.n_ports = 2;
	f->v.clients = f->clients;
	f->v.n_clients = 2;
	f->v.clients_known = true;
	f->v.last_seq = 99;
	f->v.wl.generation = 7;
	f->v.wl.watchlists = 2;
	f->v.wl.terms = 120;
	f->v.wl.db_bytes = 4096;
	f->v.wl.reloads = 5;
	f->v.wl.reload_failed = 1;
	f->v.wl.last_reload_s = 0.25;
	f->v.wl.last_reload_unix = 1700000000;
	f->v.version = "0.1.0";
	f->v.dpdk_version = "DPDK 22.11.11";
	f->v.hs_version = "5.4.9";
	f->v.node = "lab1";
	f->v.start_unix = 1690000000;
}

int
fake_view(void *arg, struct metrics_view *v)
{
	struct fake *f = arg;

	f->calls++;
	if (f->fail) {
		return -1;
	}
	*v = f->v;
	return 0;
}

/* Lines of <text> equal to <line> (whole lines). */
int
count_lines(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;
	int hits = 0;

	while (*p != 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		hits += len == n && memcmp(p, line, n) == 0;
		p += len + (nl != NULL);
	}
	return hits;
}
