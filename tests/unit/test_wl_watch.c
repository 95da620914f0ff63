#include "ctl/wl_watch.h"

#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"

#define YAML "watchlist:\n  id: t\n  terms: [a]\n"

/* One scratch folder per test; time is driven by the tests, starting at T0. */
#define T0 1000000u

static char dir[64];

static void
path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void
write_file(const char *name, const char *text)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void
rename_in(const char *from, const char *to)
{
	char a[256], b[256];

	path_of(a, sizeof(a), from);
	path_of(b, sizeof(b), to);
	CU_ASSERT_FATAL(rename(a, b) == 0);
}

static void
remove_in(const char *name)
{
	char p[256];

	path_of(p, sizeof(p), name);
	CU_ASSERT_FATAL(unlink(p) == 0);
}

/* A fresh folder holding main.yaml, watched, with nothing pending. */
static struct wl_watch *
setup(void)
{
	struct wl_watch *w;
	char *err = NULL;

	snprintf(dir, sizeof(dir), "/tmp/fw_wl_watch_XXXXXX");
	CU_ASSERT_FATAL(guard_mkdtemp(dir) == 0);
	write_file("main.yaml", YAML);
	w = wl_watch_open(dir, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT(!wl_watch_changed(w, T0));
	CU_ASSERT_EQUAL(wl_watch_timeout(w, T0), -1);
	return w;
}

static void
teardown(struct wl_watch *w)
{
	wl_watch_close(w);
	guard_rmtree(dir);
}

/* Reports over one simulated second after the file operations, polling every 50 ms. */
static int
changes_over_a_second(struct wl_watch *w, uint64_t start)
{
	uint64_t t;
	int n = 0;

	for (t = start; t <= start + 1000; t += 50) {
		n += wl_watch_changed(w, t) ? 1 : 0;
	}
	return n;
}

static void
test_wl_watch_atomic_rename_over_is_one_change(void)
{
	struct wl_watch *w = setup();

	write_file("main.yaml.tmp", YAML "# v2\n");
	rename_in("main.yaml.tmp", "main.yaml");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_in_place_write_is_one_change(void)
{
	struct wl_watch *w = setup();

	write_file("main.yaml", YAML "# v2\n");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_vim_save_is_one_change(void)
{
	struct wl_watch *w = setup();

	/* vim probes whether it may create files, then backs up by rename and writes anew */
	write_file("4913", "");
	remove_in("4913");
	rename_in("main.yaml", "main.yaml~");
	write_file("main.yaml", YAML "# v2\n");
	remove_in("main.yaml~");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_sed_in_place_is_one_change(void)
{
	struct wl_watch *w = setup();

	write_file("sedAb12Cd", YAML "# v2\n");
	rename_in("sedAb12Cd", "main.yaml");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_new_file_is_a_change(void)
{
	struct wl_watch *w = setup();

	write_file("extra.yml", YAML);
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_deleted_file_is_a_change(void)
{
	struct wl_watch *w = setup();

	remove_in("main.yaml");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_file_moved_away_is_a_change(void)
{
	struct wl_watch *w = setup();

	rename_in("main.yaml", "main.yaml.disabled");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_symlink_created_is_a_change(void)
{
	struct wl_watch *w = setup();
	char p[256];

	path_of(p, sizeof(p), "link.yaml");
	CU_ASSERT_FATAL(symlink("main.yaml", p) == 0);
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	teardown(w);
}

static void
test_wl_watch_editor_temporaries_alone_are_no_change(void)
{
	struct wl_watch *w = setup();
	char p[256];

	write_file(".main.yaml.swp", "swap");
	write_file(".main.yaml.swx", "swap");
	write_file("main.yaml~", YAML);
	write_file("#main.yaml#", YAML);
	write_file(".hidden.yaml", YAML);
	write_file("4913", "");
	remove_in("4913");
	/* emacs: lock symlink .#name pointing at user@host.pid */
	path_of(p, sizeof(p), ".#main.yaml");
	CU_ASSERT_FATAL(symlink("user@host.1234:1", p) == 0);
	remove_in(".#main.yaml");
	remove_in(".main.yaml.swp");
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 0);
	CU_ASSERT_EQUAL(wl_watch_timeout(w, T0 + 2000), -1);
	teardown(w);
}

static void
test_wl_watch_other_extensions_are_no_change(void)
{
	struct wl_watch *w = setup();
	char p[256];

	write_file("notes.txt", "hello");
	write_file("main.yaml.bak", YAML);
	path_of(p, sizeof(p), "sub.yaml");
	CU_ASSERT_FATAL(mkdir(p, 0755) == 0);
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 0);
	teardown(w);
}

static void
test_wl_watch_burst_of_ten_writes_is_one_change(void)
{
	struct wl_watch *w = setup();
	uint64_t t = T0;
	int i, n = 0;

	/* each write lands before the previous one settled: the burst only ends after the last */
	for (i = 0; i < 10; i++) {
		write_file("main.yaml", YAML);
		t += 150;
		n += wl_watch_changed(w, t) ? 1 : 0;
	}
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(changes_over_a_second(w, t), 1);
	teardown(w);
}

static void
test_wl_watch_reports_after_settle_time(void)
{
	struct wl_watch *w = setup();

	write_file("main.yaml", YAML);
	CU_ASSERT(!wl_watch_changed(w, T0 + 100));
	CU_ASSERT_EQUAL(wl_watch_timeout(w, T0 + 100), WL_WATCH_SETTLE_MS);
	CU_ASSERT(!wl_watch_changed(w, T0 + 100 + WL_WATCH_SETTLE_MS - 1));
	CU_ASSERT_EQUAL(wl_watch_timeout(w, T0 + 100 + WL_WATCH_SETTLE_MS - 1), 1);
	CU_ASSERT(wl_watch_changed(w, T0 + 100 + WL_WATCH_SETTLE_MS));
	CU_ASSERT_EQUAL(wl_watch_timeout(w, T0 + 100 + WL_WATCH_SETTLE_MS), -1);
	CU_ASSERT(!wl_watch_changed(w, T0 + 5000));
	teardown(w);
}

static void
test_wl_watch_settle_time_is_settable(void)
{
	struct wl_watch *w = setup();

	wl_watch_set_settle(w, 1000);
	write_file("main.yaml", YAML);
	CU_ASSERT(!wl_watch_changed(w, T0));
	CU_ASSERT(!wl_watch_changed(w, T0 + 999));
	CU_ASSERT(wl_watch_changed(w, T0 + 1000));
	teardown(w);
}

static void
test_wl_watch_fd_becomes_readable(void)
{
	struct wl_watch *w = setup();
	struct timeval tv = { 1, 0 };
	fd_set rd;

	write_file("main.yaml", YAML);
	FD_ZERO(&rd);
	FD_SET(wl_watch_fd(w), &rd);
	CU_ASSERT_EQUAL(select(wl_watch_fd(w) + 1, &rd, NULL, NULL, &tv), 1);
	teardown(w);
}

static void
test_wl_watch_folder_removed_is_a_change_and_flagged(void)
{
	struct wl_watch *w = setup();

	CU_ASSERT(!wl_watch_dir_gone(w));
	guard_rmtree(dir);
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	CU_ASSERT(wl_watch_dir_gone(w));
	wl_watch_close(w);
}

static void
test_wl_watch_folder_moved_is_a_change_and_flagged(void)
{
	struct wl_watch *w = setup();
	char moved[80];

	snprintf(moved, sizeof(moved), "%s.moved", dir);
	CU_ASSERT_FATAL(rename(dir, moved) == 0);
	CU_ASSERT_EQUAL(changes_over_a_second(w, T0 + 10), 1);
	CU_ASSERT(wl_watch_dir_gone(w));
	wl_watch_close(w);
	guard_rmtree(moved);
}

static void
test_wl_watch_open_fails_on_missing_or_non_folder(void)
{
	char *err = NULL;
	char p[256];

	CU_ASSERT_PTR_NULL(wl_watch_open("/nonexistent/feedwatch/watchlists", &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	CU_ASSERT(err != NULL && strstr(err, "/nonexistent/feedwatch/watchlists") != NULL);
	free(err);
	err = NULL;
	snprintf(dir, sizeof(dir), "/tmp/fw_wl_watch_XXXXXX");
	CU_ASSERT_FATAL(guard_mkdtemp(dir) == 0);
	write_file("main.yaml", YAML);
	path_of(p, sizeof(p), "main.yaml");
	CU_ASSERT_PTR_NULL(wl_watch_open(p, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	guard_rmtree(dir);
	wl_watch_close(NULL);
}

static void
test_wl_watch_name_filter_matches_loader(void)
{
	CU_ASSERT(wl_watch_name_relevant("ru.yaml"));
	CU_ASSERT(wl_watch_name_relevant("ru.yml"));
	CU_ASSERT(!wl_watch_name_relevant(".yaml"));
	CU_ASSERT(!wl_watch_name_relevant(".ru.yaml"));
	CU_ASSERT(!wl_watch_name_relevant(".#ru.yaml"));
	CU_ASSERT(!wl_watch_name_relevant("ru.yaml~"));
	CU_ASSERT(!wl_watch_name_relevant("#ru.yaml#"));
	CU_ASSERT(!wl_watch_name_relevant(".ru.yaml.swp"));
	CU_ASSERT(!wl_watch_name_relevant("ru.yaml.swx"));
	CU_ASSERT(!wl_watch_name_relevant("4913"));
	CU_ASSERT(!wl_watch_name_relevant("ru.txt"));
	CU_ASSERT(!wl_watch_name_relevant("ru.YAML"));
	CU_ASSERT(!wl_watch_name_relevant(""));
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("wl_watch", NULL, NULL);
	CU_add_test(s, "atomic rename over is one change",
	            test_wl_watch_atomic_rename_over_is_one_change);
	CU_add_test(s, "in-place write is one change", test_wl_watch_in_place_write_is_one_change);
	CU_add_test(s, "vim save is one change", test_wl_watch_vim_save_is_one_change);
	CU_add_test(s, "sed -i is one change", test_wl_watch_sed_in_place_is_one_change);
	CU_add_test(s, "new file is a change", test_wl_watch_new_file_is_a_change);
	CU_add_test(s, "deleted file is a change", test_wl_watch_deleted_file_is_a_change);
	CU_add_test(s, "file moved away is a change", test_wl_watch_file_moved_away_is_a_change);
	CU_add_test(s, "symlink created is a change", test_wl_watch_symlink_created_is_a_change);
	CU_add_test(s, "editor temporaries alone are no change",
	            test_wl_watch_editor_temporaries_alone_are_no_change);
	CU_add_test(s, "other extensions are no change",
	            test_wl_watch_other_extensions_are_no_change);
	CU_add_test(s, "burst of ten writes is one change",
	            test_wl_watch_burst_of_ten_writes_is_one_change);
	CU_add_test(s, "reports after settle time", test_wl_watch_reports_after_settle_time);
	CU_add_test(s, "settle time is settable", test_wl_watch_settle_time_is_settable);
	CU_add_test(s, "fd becomes readable", test_wl_watch_fd_becomes_readable);
	CU_add_test(s, "folder removed is a change and flagged",
	            test_wl_watch_folder_removed_is_a_change_and_flagged);
	CU_add_test(s, "folder moved is a change and flagged",
	            test_wl_watch_folder_moved_is_a_change_and_flagged);
	CU_add_test(s, "open fails on missing or non-folder",
	            test_wl_watch_open_fails_on_missing_or_non_folder);
	CU_add_test(s, "name filter matches loader", test_wl_watch_name_filter_matches_loader);
	return guard_run_tests();
}
