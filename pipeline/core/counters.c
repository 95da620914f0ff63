#include "counters.h"

static const char *const names[CNT__MAX] = {
#define COUNTER_NAME(name, help) #name,
	COUNTER_TABLE(COUNTER_NAME)
#undef COUNTER_NAME
};

static const char *const helps[CNT__MAX] = {
#define COUNTER_HELP(name, help) help,
	COUNTER_TABLE(COUNTER_HELP)
#undef COUNTER_HELP
};

const char *
counters_name(enum counter_id id)
{
	return id < CNT__MAX ? names[id] : "?";
}

const char *
counters_help(enum counter_id id)
{
	return id < CNT__MAX ? helps[id] : "?";
}

void
counters_sum(struct counters *dst, const struct counters *src)
{
	int i;

	for (i = 0; i < CNT__MAX; i++) {
		dst->v[i] += src->v[i];
	}
}
