/*
 * feedwatch: one binary, git-style subcommands. Parsing the command line and
 * exit codes live here; the work lives in core/.
 */
#include <errno.h>
#include <getopt.h>
#include <hs/hs.h>
#include <jemalloc/jemalloc.h>
#include <rte_version.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alert/alert_text.h"
#include "alert/tail.h"
#include "core/config.h"
#include "core/log.h"
#include "core/offline.h"
#include "core/run.h"
#include "ctl/ctl.h"
#include "match/watchlist.h"

#define EXIT_USAGE     2
#define MAX_WL_ARGS    64
#define DEFAULT_SOCKET "/run/feedwatch/alerts.sock"

static const char usage_text[] =
        "usage: feedwatch <command> [options]\n"
        "\n"
        "commands:\n"
        "  run   [-c FILE] [--pcap FILE | --iface IF] [--socket PATH] [--journal DIR]\n"
        "        [--control PATH] [--wait-clients N] [-- EAL args]\n"
        "        capture (--pcap, --iface, or the config's capture section), match and\n"
        "        publish alerts; with a capture file, exit when it is done;\n"
        "        SIGHUP, `feedwatch ctl reload` or a changed watchlist file reloads\n"
        "  check [-c FILE] [WATCHLIST...]\n"
        "        validate the config and watchlists without touching the network: every\n"
        "        problem as file:line:col: error|warning: reason; exit 0 only if no error\n"
        "  match [-c FILE] [-w WATCHLIST|DIR]... [--json | --explain] [--charset CS] FILE...\n"
        "        match saved feed documents or pcap captures offline (no DPDK); --explain\n"
        "        shows, per item, each watchlist's rules, which clauses held, and the hits\n"
        "  match [-c FILE] --items [--charset CS] FILE...\n"
        "        list every item extracted, one JSON object a line, without matching\n"
        "  match [-c FILE] --http FILE.pcap...\n"
        "        list every HTTP response reassembled, one JSON object a line\n"
        "  tail  [--socket PATH|HOST:PORT] [--resume SEQ] [--json] [--watchlist NAME]...\n"
        "        [--severity LEVEL] [--color=WHEN] [--once] [--state FILE]\n"
        "        follow the alerts of a running feedwatch: readable on a terminal, NDJSON\n"
        "        when piped; reconnects and resumes after the last alert seen\n"
        "  ctl   [--control PATH] reload | watchlists | clients | stats [--json] | version\n"
        "        talk to a running feedwatch over its control socket: reload the\n"
        "        watchlists, list them, list the alert stream's clients and their lag,\n"
        "        print the counters, ports, watchlists and clients, name the running version\n"
        "  version\n"
        "        print the versions of feedwatch and the libraries it runs on\n";

static int
usage(const char *msg)
{
	if (msg != NULL) {
		fprintf(stderr, "feedwatch: %s\n", msg);
	}
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static bool
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static int
cmd_version(void)
{
	const char *je = "?";
	size_t sz = sizeof(je);

	mallctl("version", &je, &sz, NULL, 0);
	printf("feedwatch %s\n", FEEDWATCH_VERSION);
	printf("%s\n", rte_version());
	printf("hyperscan %s\n", hs_version());
	printf("jemalloc %s\n", je);
	return 0;
}

static int
cmd_run(char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "iface", required_argument, NULL, 'i' },
		{ "socket", required_argument, NULL, 's' },
		{ "journal", required_argument, NULL, 'j' },
		{ "control", required_argument, NULL, 'C' },
		{ "wait-clients", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o;
	int c;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'p':
			o.pcap = optarg;
			break;
		case 'i':
			o.iface = optarg;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'j':
			o.journal = optarg;
			break;
		case 'C':
			o.control = optarg;
			break;
		case 'W':
			if (!parse_u32(optarg, &o.wait_clients)) {
				return usage("--wait-clients takes a whole number");
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (o.pcap != NULL && o.iface != NULL) {
		return usage("give --pcap or --iface, not both");
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0) {
			return usage("unexpected argument (EAL arguments go after --)");
		}
		o.eal_argc = argc - optind;
		o.eal_argv = argv + optind;
	}
	return run_main(prog, &o);
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	struct fw_config *cfg = NULL;
	struct wl_diags d = { 0 };
	struct wl_set *set = NULL;
	char line[1400];
	const char *dir;
	char *err = NULL;
	uint32_t i;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	cfg = config_load(config, &err);
	if (cfg == NULL) {
		/* config_load names file:line:col; say it is an error like the rest */
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	dir = cfg->watchlist_dir;
	/* the compile is part of the check (a regex the matcher rejects); no cache is written */
	if (optind < argc) {
		set = wl_set_build((const char *const *)(argv + optind), (size_t)(argc - optind),
		                   NULL, &d);
	} else {
		set = wl_set_build(&dir, 1, NULL, &d);
	}
	for (i = 0; i < d.n; i++) {
		if (!d.v[i].warning) {
			fprintf(stderr, "%s\n", wl_diag_format(&d.v[i], line, sizeof(line)));
		}
	}
	for (i = 0; i < d.n; i++) {
		if (d.v[i].warning) {
			fprintf(stderr, "%s\n", wl_diag_format(&d.v[i], line, sizeof(line)));
		}
	}
	if (set == NULL) {
		fprintf(stderr, "%u error(s), %u warning(s)\n", d.n_errors, d.n_warnings);
		goto out;
	}
	printf("ok: %u watchlist(s), %u term(s), database %zu bytes, %u warning(s)\n",
	       wl_set_count(set), wl_set_terms(set), wl_set_db_bytes(set), d.n_warnings);
	rc = 0;
out:
	wl_set_free(set);
	wl_diags_clear(&d);
	config_free(cfg);
	free(err);
	return rc;
}

static int
cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *config = NULL;
	struct fw_config *cfg = NULL;
	char cmd[CTL_LINE_MAX];
	char *err = NULL;
	size_t used = 0;
	int c, rc = 1, i;

	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			path = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (optind >= argc) {
		return usage("ctl needs a command: reload, watchlists, clients, stats, version");
	}
	cmd[0] = 0;
	for (i = optind; i < argc; i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, "%s%s", i > optind ? " " : "",
		                 argv[i]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - used) {
			return usage("ctl command too long");
		}
		used += (size_t)n;
	}
	if (path == NULL) {
		cfg = config_load(config, &err);
		if (cfg == NULL) {
			fprintf(stderr, "%s\n", err);
			goto out;
		}
		path = cfg->control_path;
	}
	/* a reload of 100k terms compiles for seconds, more under a sanitizer */
	rc = ctl_request(path, cmd, stdout, 120000, &err);
	if (rc < 0) {
		fprintf(stderr, "feedwatch: %s\n", err);
		rc = 1;
	}
out:
	config_free(cfg);
	free(err);
	return rc;
}

static int
cmd_match(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "watchlist", required_argument, NULL, 'w' },
		{ "items", no_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'J' },
		{ "charset", required_argument, NULL, 'C' },
		{ "http", no_argument, NULL, 'H' },
		{ "explain", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *wl[MAX_WL_ARGS];
	struct offline_opts o;
	int c;

	memset(&o, 0, sizeof(o));
	o.wl_paths = wl;
	while ((c = getopt_long(argc, argv, "c:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'w':
			if (o.n_wl_paths == MAX_WL_ARGS) {
				return usage("too many -w");
			}
			wl[o.n_wl_paths++] = optarg;
			break;
		case 'I':
			o.items = true;
			break;
		case 'J':
			o.json = true;
			break;
		case 'C':
			o.charset = optarg;
			break;
		case 'H':
			o.http = true;
			break;
		case 'E':
			o.explain = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if ((o.items || o.http) && o.n_wl_paths > 0) {
		return usage("--items and --http list what was seen and match nothing: drop -w");
	}
	if (o.items && o.http) {
		return usage("give --items or --http, not both");
	}
	if (o.explain && (o.items || o.http || o.json)) {
		return usage("--explain explains matching: not with --items, --http or --json");
	}
	if (optind >= argc) {
		return usage("match needs at least one FILE");
	}
	log_quiet(o.json || o.items || o.http || o.explain);
	return offline_main(&o, argv + optind, argc - optind);
}

static int
cmd_tail(int argc, char **argv)
{
	return tail_main(argc, argv, DEFAULT_SOCKET);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		return usage(NULL);
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		return cmd_version();
	}
	if (strcmp(cmd, "run") == 0) {
		return cmd_run(argv[0], argc - 1, argv + 1);
	}
	if (strcmp(cmd, "check") == 0) {
		return cmd_check(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "match") == 0) {
		return cmd_match(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "tail") == 0) {
		return cmd_tail(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "ctl") == 0) {
		return cmd_ctl(argc - 1, argv + 1);
	}
	fprintf(stderr, "feedwatch: unknown command '%s'\n", cmd);
	return usage(NULL);
}
