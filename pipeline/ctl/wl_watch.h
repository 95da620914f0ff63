/*
 * Watchlist folder watcher: turns inotify events on the watchlist folder into "reload now",
 * once per burst. Saving a file is rarely one event: vim renames file to file~, writes a new
 * file and deletes the backup; sed -i renames a temp file over; emacs adds .#file lock
 * symlinks and file~ backups. So only events on names the loader reads count (see
 * wl_watch_name_relevant()), and a change is reported once no further relevant event arrived
 * for a settle time (default WL_WATCH_SETTLE_MS). Control thread only; not thread-safe.
 */
#ifndef FW_WL_WATCH_H
#define FW_WL_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#define WL_WATCH_SETTLE_MS 200

struct wl_watch;

/*
 * Watch directory <dir> for changes to its *.yaml / *.yml files: a file written and closed,
 * renamed in or out, deleted, or a symlink (or hard link) created. Also notices the
 * directory itself being deleted or moved (wl_watch_changed() reports it and
 * wl_watch_dir_gone() turns true; the watch is dead from then on). Returns the watcher, or
 * NULL with a heap message in *err (no such directory, not a directory, inotify limits).
 */
struct wl_watch *wl_watch_open(const char *dir, char **err);

/* The non-blocking inotify fd, for the caller's poll() (readable when events are queued). */
int wl_watch_fd(const struct wl_watch *w);

/* Replace the settle time (WL_WATCH_SETTLE_MS) with <ms> >= 0. */
void wl_watch_set_settle(struct wl_watch *w, unsigned int ms);

/*
 * Drain pending events. Returns true exactly once per burst of relevant changes, on the
 * first call at which no relevant event has been drained for the settle time, as measured by
 * <now_ms> (CLOCK_MONOTONIC milliseconds from the caller, never decreasing, so tests can
 * drive time). An event counts at the <now_ms> of the call that drains it. Call it whenever
 * poll() says the fd is readable and also when wl_watch_timeout() expires. A queue overflow
 * counts as a relevant change (something may have been missed).
 */
bool wl_watch_changed(struct wl_watch *w, uint64_t now_ms);

/*
 * Milliseconds from <now_ms> until wl_watch_changed() could next return true (0: now), or
 * -1 if no change is pending. Events still queued on the fd are not seen until drained.
 */
int wl_watch_timeout(const struct wl_watch *w, uint64_t now_ms);

/* True once the watched directory was deleted or moved away. */
bool wl_watch_dir_gone(const struct wl_watch *w);

/*
 * Whether a directory entry named <name> is one the watchlist loader reads: ends in ".yaml"
 * or ".yml" and is not hidden. That rules out editor temporaries and backups (.#x, #x#, x~,
 * .x.swp, 4913, sedXXXXXX) and every other extension.
 */
bool wl_watch_name_relevant(const char *name);

/* Stop watching and free <w>. Accepts NULL. */
void wl_watch_close(struct wl_watch *w);

#endif
