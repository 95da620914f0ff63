/*
 * The one configuration file (configs/feedwatch.yaml documents every key and
 * its default). Loaded once on the control thread; workers get the values
 * they need copied into their own context.
 */
#ifndef FW_CONFIG_H
#define FW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_PORTS 16
#define CONFIG_MAX_PCI   16 /* capture.pci entries */
#define CONFIG_MAX_EAL   32 /* dpdk.eal_args entries */
#define CONFIG_MAX_BURST 256

/*
 * What one held out-of-order TCP segment is charged against tcp.reasm_memcap:
 * the mbuf it pins (RTE_MBUF_DEFAULT_BUF_SIZE) and its hold node, rounded.
 */
#define CONFIG_SEGMENT_BYTES 2304u

enum { CONFIG_FORMAT_FEEDWATCH, CONFIG_FORMAT_ECS };
enum { CONFIG_SLOW_DISCONNECT, CONFIG_SLOW_SKIP };
enum { CONFIG_LOG_ERROR, CONFIG_LOG_WARNING, CONFIG_LOG_INFO, CONFIG_LOG_DEBUG };

struct fw_config {
	char *path;                /* the file loaded, NULL for built-in defaults */
	char *watchlist_dir;       /* resolved against the config file's folder */
	char *wl_cache_dir;        /* compiled databases; "" = no cache */
	bool wl_watch;             /* reload when a file in watchlist_dir changes (inotify) */
	uint32_t dedup_window_s;   /* an item alerts once per watchlist in this window; 0: off */
	uint32_t dedup_entries;    /* remembered (item, watchlist) pairs per worker */
	char *control_path;        /* the control socket (feedwatch ctl) */
	char *control_group;       /* its group; "" = the process's */
	uint32_t control_mode;     /* its permission bits (0660) */
	char *pcap;                /* capture.pcap: read this file (net_pcap), then exit */
	char *iface;               /* capture.iface: capture live here (net_af_packet) */
	uint32_t iface_frames;     /* frames in its kernel ring, per queue (framecnt) */
	char *pci[CONFIG_MAX_PCI]; /* capture.pci: DPDK ports by PCI address */
	uint32_t n_pci;
	uint16_t http_ports[CONFIG_MAX_PORTS];
	uint32_t n_http_ports;
	uint16_t udp_ports[CONFIG_MAX_PORTS];
	uint32_t n_udp_ports;
	bool verify_checksums; /* IPv4 header, TCP and UDP checksums; a bad one drops the packet */
	char *socket_path;
	char *socket_group;   /* group owning the socket; "" = the process's */
	uint32_t socket_mode; /* permission bits of the socket (0660) */
	char *tcp_listen;     /* "addr:port" also serving the alert stream; "" = off */
	uint32_t out_format;  /* CONFIG_FORMAT_* of socket and NATS lines (the journal is native) */
	uint32_t slow_policy; /* CONFIG_SLOW_* */
	uint32_t
	        resume_wait_ms; /* a new client's time to send {"resume_after":N} before going live */
	uint32_t max_clients;
	uint32_t client_buffer; /* bytes a client may fall behind before slow_policy */
	char *journal_path;     /* journal.dir: the folder of segments; "" = no journal */
	uint64_t journal_segment_bytes;
	uint64_t journal_retain_bytes;
	uint32_t journal_retain_age_s; /* 0: no age limit */
	uint32_t journal_fsync_ms;     /* 0: every batch; UINT32_MAX: never */
	char *nats_url;                /* "" = no NATS sink; comma-separated servers */
	char *nats_stream;
	char *nats_subject; /* prefix: <subject>.<watchlist> */
	char *nats_node;    /* message ids are <node>:<seq>; "" = the host name */
	bool nats_create_stream;
	uint32_t nats_max_pending; /* publishes awaiting their ack */
	uint32_t nats_ack_timeout_ms;
	uint32_t nats_dup_window_s; /* the stream's duplicate window when feedwatch creates it */
	uint32_t flows;
	uint32_t flow_idle_s;
	uint64_t reasm_memcap; /* tcp.reasm_memcap: bytes of held segments per worker */
	uint32_t ooo_segments; /* reasm_memcap / CONFIG_SEGMENT_BYTES, set by config_load */
	uint32_t ooo_segments_per_stream;
	uint32_t ooo_bytes_per_stream;
	uint32_t frag_datagrams; /* IPv4 datagrams reassembled at once per worker; 0: off */
	uint32_t frag_max_bytes; /* IP payload cap per reassembled datagram */
	uint32_t frag_timeout_s; /* capture time a datagram waits for its fragments */
	uint64_t max_body;
	uint32_t max_item;
	uint32_t feed_parsers;
	uint32_t http_sessions; /* flows with payload parsed at once per worker */
	uint32_t gzip_streams;  /* http.inflate_streams */
	uint32_t max_ratio;     /* decoded / received bytes of a compressed body; 0: no limit */
	uint32_t max_header;    /* bytes of one HTTP header block or trailer */
	uint64_t br_memcap;     /* bytes for one worker's brotli decoders */
	uint32_t alert_pool;
	uint32_t alert_ring;
	uint32_t mbufs;
	uint32_t rx_queues;
	uint32_t rx_desc;
	uint32_t workers;     /* 0: one per RX queue; more: one RX lcore spreads to them */
	uint32_t worker_ring; /* packets queued per worker by the spreading RX lcore */
	uint32_t burst;       /* packets per rte_eth_rx_burst */
	uint32_t mbuf_cache;  /* per-lcore cache of the mbuf pool */
	char *lcores;         /* dpdk.lcores: EAL --lcores; "" = 0..n-1, as many as needed */
	char *file_prefix;    /* EAL --file-prefix; "" = feedwatch (feedwatch<pid> for a pcap) */
	uint32_t memory_mb;   /* EAL -m without hugepages; 0: 512 without hugepages, else EAL's */
	char *eal_args[CONFIG_MAX_EAL]; /* more EAL arguments, after the ones feedwatch builds */
	uint32_t n_eal_args;
	bool dpdk_telemetry; /* DPDK telemetry with the /feedwatch/ commands */
	char *prometheus;    /* telemetry.prometheus: "addr:port" serving /metrics; "" = off */
	uint32_t log_level;  /* CONFIG_LOG_* */
};

/*
 * Load <path> over the built-in defaults (path NULL: defaults only). Returns
 * NULL and sets <*err> to "file:line:col: reason" on any unknown key, wrong
 * type or out-of-range value. Control plane.
 */
struct fw_config *config_load(const char *path, char **err);

/* Frees <cfg>. Accepts NULL. */
void config_free(struct fw_config *cfg);

/* The name ("section.key") of setting <i>, or NULL past the last. */
const char *config_key_name(size_t i);

/* The first setting whose value differs between <a> and <b>, or NULL when none does. */
const char *config_diff(const struct fw_config *a, const struct fw_config *b);

/* Replace string setting <*slot> by a copy of <value>. 0 or -ENOMEM. */
int config_set_str(char **slot, const char *value);

#endif
