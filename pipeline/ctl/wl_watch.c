#include "ctl/wl_watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

/*
 * IN_CLOSE_WRITE rather than IN_MODIFY: a file is read only once its writer is done with
 * it. IN_CREATE matters only for links (a regular file created empty is followed by its own
 * IN_CLOSE_WRITE, and reacting to the create would reload a half-written file).
 */
#define WATCH_MASK                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

struct wl_watch {
	int fd;
	int wd;
	char *dir; /* not an open fd: one would delay IN_DELETE_SELF until it is closed */
	bool pending;
	bool gone;
	unsigned int settle_ms;
	uint64_t last_ms; /* when the last relevant event was drained */
};

static bool
has_suffix(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return n > m && memcmp(s + n - m, suf, m) == 0;
}

bool
wl_watch_name_relevant(const char *name)
{
	size_t n = strlen(name);

	/* the same rule as the loader's folder listing (match/wl_compile.c) */
	if (n == 0 || name[0] == '.') {
		return false;
	}
	return has_suffix(name, n, ".yaml") || has_suffix(name, n, ".yml");
}

struct wl_watch *
wl_watch_open(const char *dir, char **err)
{
	struct wl_watch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		err_set(err, "%s: out of memory", dir);
		return NULL;
	}
	w->fd = -1;
	w->settle_ms = WL_WATCH_SETTLE_MS;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		err_set(err, "%s: inotify: %s", dir, strerror(errno));
		goto fail;
	}
	w->wd = inotify_add_watch(w->fd, dir, WATCH_MASK);
	if (w->wd < 0) {
		err_set(err, "%s: cannot watch: %s%s", dir, strerror(errno),
		        errno == ENOSPC ? " (raise fs.inotify.max_user_watches)" : "");
		goto fail;
	}
	w->dir = strdup(dir);
	if (w->dir == NULL) {
		err_set(err, "%s: out of memory", dir);
		goto fail;
	}
	return w;
fail:
	wl_watch_close(w);
	return NULL;
}

int
wl_watch_fd(const struct wl_watch *w)
{
	return w->fd;
}

void
wl_watch_set_settle(struct wl_watch *w, unsigned int ms)
{
	w->settle_ms = ms;
}

bool
wl_watch_dir_gone(const struct wl_watch *w)
{
	return w->gone;
}

/* Whether one event should lead to a reload. */
static bool
event_relevant(struct wl_watch *w, const struct inotify_event *ev)
{
	char path[PATH_MAX];
	struct stat st;

	if ((ev->mask & IN_Q_OVERFLOW) != 0) {
		return true;
	}
	if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
		/* IN_IGNORED alone also follows the folder's unmount: the watch is gone too */
		w->gone = true;
		return true;
	}
	if (ev->len == 0 || (ev->mask & IN_ISDIR) != 0 || !wl_watch_name_relevant(ev->name)) {
		return false;
	}
	if ((ev->mask & IN_CREATE) == 0) {
		return true;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->dir, ev->name) >= sizeof(path) ||
	    lstat(path, &st) != 0) {
		/* gone already: its IN_DELETE or IN_MOVED_FROM is in the queue and counts */
		return false;
	}
	return S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1);
}

bool
wl_watch_changed(struct wl_watch *w, uint64_t now_ms)
{
	/* inotify_event is followed by its name: align as the man page's example does */
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
	        __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		const char *p = buf;

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		while (p < buf + n) {
			const struct inotify_event *ev =
			        (const struct inotify_event *)(const void *)p;

			if (event_relevant(w, ev)) {
				w->pending = true;
				w->last_ms = now_ms;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (w->pending && now_ms - w->last_ms >= w->settle_ms) {
		w->pending = false;
		return true;
	}
	return false;
}

int
wl_watch_timeout(const struct wl_watch *w, uint64_t now_ms)
{
	uint64_t due;

	if (!w->pending) {
		return -1;
	}
	due = w->last_ms + w->settle_ms;
	return due <= now_ms ? 0 : (int)(due - now_ms);
}

void
wl_watch_close(struct wl_watch *w)
{
	if (w == NULL) {
		return;
	}
	if (w->fd >= 0) {
		close(w->fd);
	}
	free(w->dir);
	free(w);
}
