/*
 * `feedwatch match`: the same stages as `run`, without EAL, over saved feed
 * documents and pcap captures (read with libpcap). The analyst's and the test
 * suite's quick path.
 */
#ifndef FW_OFFLINE_H
#define FW_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>

struct offline_opts {
	const char *config;          /* NULL: defaults */
	const char *const *wl_paths; /* watchlist files or folders; none: the config's */
	size_t n_wl_paths;
	bool json;    /* NDJSON alert lines instead of the readable form */
	bool items;   /* list every item as a JSON line instead of matching */
	bool http;    /* list every HTTP response as a JSON line instead of matching */
	bool explain; /* before each item's alerts, why each watchlist did or did not match */
	const char *charset; /* the transport charset to assume for documents, or NULL */
};

/*
 * Run every file in <files> (a pcap, by its magic number, or else a feed
 * document) through decode..match and print the alerts to stdout. Returns
 * the exit code: 0 if it ran (matches or not), 1 on a bad watchlist or an
 * unreadable file.
 */
int offline_main(const struct offline_opts *o, char *const *files, int n_files);

#endif
