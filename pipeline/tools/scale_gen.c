/*
 * The generated workload of feedwatch-scale: word pools, N distinct terms,
 * the watchlist files that hold them and news-like item text with terms
 * planted in it, and the plain-literal baseline database of the terms.
 * Deterministic for a seed. See scale_gen.h.
 */
#include "tools/scale_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/gen/gen.h"

/* ---- word pools ---- */

/*
 * Space-separated, split once by scale_gen_init(); '_' inside an entry stands for
 * a space and a lone '-' for the empty string. Background text draws only on
 * P_FIRST, P_WORDS, P_PROPER and P_CATEGORY, and every term carries a word of
 * two or more syllables, so the text holds terms only where they are planted.
 */
enum pool_id {
	P_FIRST,
	P_SYL,
	P_END,
	P_PLACE_SUF,
	P_PLACE_PRE,
	P_ORG_SUF,
	P_NOUN,
	P_EVENT,
	P_FIRST_CYR,
	P_SYL_CYR,
	P_END_CYR,
	P_FIRST_GR,
	P_SYL_GR,
	P_END_GR,
	P_WORDS,
	P_PROPER,
	P_CATEGORY,
	P__MAX
};

static const char *const pool_src[P__MAX] = {
	[P_FIRST] =
	        "James Maria Anna Lucas Sofia Mateo Oliver Emma Noah Olivia Liam Ava Ethan Isabel "
	        "Henrik Astrid Pekka Aino Matteo Giulia Lorenzo Chiara Daniel Sarah David Laura "
	        "Michael Julia Thomas Elena Peter Nadia Karim Omar Layla Hassan Amir Priya Arjun "
	        "Rahul Ananya Kenji Yuki Hiroshi Chinedu Amara Kwame Abebe Thabo Diego Camila "
	        "Gabriel "
	        "Andrea Marco Paolo Pierre Claire Louis Hugo Jan Piotr Pavel Olga Dmitri Ivan "
	        "Natalia "
	        "Kemal Mehmet Emre Yusuf Fatima Tariq Ibrahim Leila Reza Darius Sunita Vikram "
	        "Deepa "
	        "Kiran Ravi Mei Hana Ren Bruno Thiago Beatriz Rafael Frederik Mette Lasse Sigrid "
	        "Tove "
	        "Ingrid Robert Helen George Alice Samuel Grace",
	[P_SYL] =
	        "ka vel mor dan tes bal ros fen gar hal lin mar nor pel sal tor ard bre cal dor el "
	        "fal gri hol ist jor kas lor mel ner ost pra qui ryn sev tam ul vor wen zar",
	[P_END] = "- ov sen ez ini ski ton berg",
	[P_PLACE_SUF] = "grad ville burg abad pur stad ford polis ia mouth",
	[P_PLACE_PRE] = "Port Lake Mount San New North South Fort Cape Upper",
	[P_ORG_SUF] =
	        "Holdings Group Energy Bank Institute Shipping Minerals Telecom Pharma Capital "
	        "Airlines Foundation",
	[P_NOUN] =
	        "pipeline ceasefire tariff sanctions election border vaccine grain_export nuclear "
	        "debt oil_price refinery",
	[P_EVENT] = "talks deal ban summit dispute crisis probe protest accord standoff",
	[P_FIRST_CYR] = "Сергей Андрей Алексей Дмитрий Михаил Николай "
	                "Владимир Игорь Олег Юрий Павел Иван Анна "
	                "Мария Елена Ольга Наталья Татьяна Ирина "
	                "Светлана Борис Виктор Антон Максим",
	[P_SYL_CYR] = "ка вел мор дан тес бал рос фен гар лин мар нор "
	              "пел сал тор бор ков лев сер зуб",
	[P_END_CYR] = "ов ев ин ский енко ова ина ич",
	[P_FIRST_GR] = "Γιώργος Νίκος Δημήτρης Κώστας Γιάννης Μαρία "
	               "Ελένη Κατερίνα Σοφία Αθηνά Χρήστος Βασίλης",
	[P_SYL_GR] = "πα πο λο νι κο δη μη τρι στα θε ρα γι αν ελ κα μα",
	[P_END_GR] = "ου ης ος ίδης άκης όπουλος",
	[P_WORDS] =
	        "the a of to in and for on with after before over said says will would could has "
	        "have "
	        "was were is are be government minister officials talks week year report reports "
	        "police court company market prices rates bank economy growth inflation workers "
	        "union "
	        "strike election vote party leader president parliament council city region "
	        "country "
	        "border troops forces attack security agreement deal plan budget tax spending "
	        "health "
	        "hospital school students study research climate energy gas oil power water flood "
	        "storm fire heat record new first last more than most least people residents "
	        "families "
	        "children women men announced rejected approved warned called expected agreed "
	        "denied "
	        "confirmed launched opened closed rise fall cut increase decline support "
	        "opposition "
	        "critics analysts investors shares profits talks summit meeting statement "
	        "spokesman "
	        "spokeswoman local national international foreign public private that which while "
	        "despite amid since about around nearly almost million billion percent per cent "
	        "day "
	        "night morning early late Monday Tuesday Wednesday Thursday Friday weekend "
	        "officers "
	        "investigation trial judge ruling appeal law rules policy reform crisis pressure "
	        "concerns fears hopes plans team match season win lost game",
	[P_PROPER] =
	        "London Paris Berlin Madrid Rome Washington Brussels Tokyo Beijing Delhi Cairo "
	        "Nairobi Lagos Sydney Toronto Chicago Europe Africa Asia Reuters Smith Johnson "
	        "Williams Brown Miller Davis Wilson Taylor Garcia Martin Thompson Clark Lewis "
	        "Walker "
	        "Young",
	[P_CATEGORY] = "World Politics Business Science Health Sport Culture Technology",
};

/* vowels that take an accent, and the accented forms (UTF-8) */
static const char accent_from[] = "aeiou";
static const char *const accent_to[][2] = {
	{ "á", "ä" }, { "é", "ë" }, { "í", "ï" }, { "ó", "ö" }, { "ú", "ü" },
};
static const char cjk_surname[] = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹";
static const char cjk_given[] = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂华建国文辉玲红鹏飞宇浩"
                                "晨雪梅鑫斌宁欣婷瑞凯博涵思嘉子轩怡佳诗雨琪俊逸晓天";

#define POOL_MAX 256

struct pool {
	const char *v[POOL_MAX];
	uint32_t n;
};

static struct pool pools[P__MAX];
static char *pool_mem[P__MAX];

void
scale_gen_fini(void)
{
	int i;

	for (i = 0; i < P__MAX; i++) {
		free(pool_mem[i]);
		pool_mem[i] = NULL;
		pools[i].n = 0;
	}
}

int
scale_gen_init(void)
{
	int i;

	for (i = 0; i < P__MAX; i++) {
		char *save = NULL, *tok;

		pool_mem[i] = strdup(pool_src[i]);
		if (pool_mem[i] == NULL) {
			scale_gen_fini();
			return -1;
		}
		for (tok = strtok_r(pool_mem[i], " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			char *c;

			if (pools[i].n == POOL_MAX) {
				scale_gen_fini();
				return -1;
			}
			for (c = tok; *c != 0; c++) {
				*c = *c == '_' ? ' ' : *c;
			}
			if (strcmp(tok, "-") == 0) {
				tok[0] = 0;
			}
			pools[i].v[pools[i].n++] = tok;
		}
	}
	return 0;
}

/* ---- a 64-bit key set (keys are hashes of ASCII-lowercased terms) ---- */

struct kset {
	uint64_t *k; /* 0 = empty */
	size_t cap;  /* power of two */
};

static uint64_t
fold_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 'A' && ch <= 'Z') {
			ch = (unsigned char)(ch + 32);
		}
		h = (h ^ ch) * 0x100000001b3ull;
	}
	return h == 0 ? 1 : h;
}

/* 1 inserted, 0 present. */
static int
kset_put(struct kset *s, uint64_t key)
{
	size_t i = (size_t)(key ^ (key >> 29)) & (s->cap - 1);

	while (s->k[i] != 0) {
		if (s->k[i] == key) {
			return 0;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->k[i] = key;
	return 1;
}

/* ---- terms ---- */

void
scale_gen_terms_free(struct scale_gen_terms *t)
{
	free(t->buf);
	free(t->off);
	memset(t, 0, sizeof(*t));
}

const char *
scale_gen_term_at(const struct scale_gen_terms *t, uint32_t i)
{
	return t->buf + t->off[i];
}

#define PICK(rng, id) (pools[id].v[gen_rng_below((rng), pools[id].n)])

/* The <i>-th code point of a UTF-8 string of 3-byte characters (CJK pools). */
static void
cjk_pick(struct gen_rng *rng, const char *pool, char *out)
{
	uint32_t n = (uint32_t)(strlen(pool) / 3), k = gen_rng_below(rng, n);

	memcpy(out, pool + 3 * k, 3);
	out[3] = 0;
}

/*
 * A word of <lo>..<hi> syllables from <syl> plus an ending from <end>,
 * capitalized: ASCII by toupper, Cyrillic and Greek lower-case letters by
 * their block offset (U+0430..044F and U+03B1..03C9 are 0x20 above capitals).
 */
static void
syl_word(struct gen_rng *rng, enum pool_id syl, enum pool_id end, uint32_t lo, uint32_t hi,
         char *out, size_t cap)
{
	uint32_t k = lo + gen_rng_below(rng, hi - lo + 1), i;
	size_t o = 0;
	unsigned char *u = (unsigned char *)out;

	out[0] = 0;
	for (i = 0; i < k; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%s", PICK(rng, syl));
	}
	snprintf(out + o, cap - o, "%s", PICK(rng, end));
	if (u[0] >= 'a' && u[0] <= 'z') {
		u[0] = (unsigned char)(u[0] - 32);
	} else if (u[0] == 0xd0 && u[1] >= 0xb0 && u[1] <= 0xbf) { /* а..п */
		u[1] = (unsigned char)(u[1] - 0x20);
	} else if (u[0] == 0xd1 && u[1] >= 0x80 && u[1] <= 0x8f) { /* р..я */
		u[0] = 0xd0;
		u[1] = (unsigned char)(u[1] + 0x20);
	} else if (u[0] == 0xce && u[1] >= 0xb1 && u[1] <= 0xbf) { /* α..ο */
		u[1] = (unsigned char)(u[1] - 0x20);
	} else if (u[0] == 0xcf && u[1] >= 0x80 && u[1] <= 0x89 && u[1] != 0x82) { /* π..ω */
		u[0] = 0xce;
		u[1] = (unsigned char)(u[1] + 0x20);
	}
}

#define SYL_WORD(rng, s, e, lo, hi, out) syl_word((rng), (s), (e), (lo), (hi), (out), sizeof(out))

enum kind {
	K_PERSON = 0,
	K_PERSON3,
	K_PLACE1,
	K_PLACE2,
	K_ORG,
	K_PHRASE,
	K_CYR,
	K_GREEK,
	K_ACCENT,
	K_CJK,
	K__MAX
};

/* Per mille; the last four (non-ASCII) add up to 4%. */
static const uint16_t kind_weight[K__MAX] = {
	[K_PERSON] = 470, [K_PERSON3] = 60, [K_PLACE1] = 110, [K_PLACE2] = 80, [K_ORG] = 100,
	[K_PHRASE] = 140, [K_CYR] = 15,     [K_GREEK] = 8,    [K_ACCENT] = 10, [K_CJK] = 7,
};

static enum kind
pick_kind(struct gen_rng *rng)
{
	uint32_t r = gen_rng_below(rng, 1000), acc = 0;
	int k;

	for (k = 0; k < K__MAX; k++) {
		acc += kind_weight[k];
		if (r < acc) {
			return (enum kind)k;
		}
	}
	return K_PERSON;
}

static void
candidate(struct gen_rng *rng, enum kind k, char *out, size_t cap)
{
	char w[96], a[16], b[16], c[16];
	const char *v;
	size_t i;

	switch (k) {
	case K_PERSON:
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		snprintf(out, cap, "%s %s", PICK(rng, P_FIRST), w);
		break;
	case K_PERSON3:
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		snprintf(out, cap, "%s %s %s", PICK(rng, P_FIRST), PICK(rng, P_FIRST), w);
		break;
	case K_PLACE1:
		/* two syllables at least: "Mar" + "ia" would be a first name of the background text */
		SYL_WORD(rng, P_SYL, P_PLACE_SUF, 2, 3, w);
		snprintf(out, cap, "%s", w);
		break;
	case K_PLACE2:
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		snprintf(out, cap, "%s %s", PICK(rng, P_PLACE_PRE), w);
		break;
	case K_ORG:
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		snprintf(out, cap, "%s %s", w, PICK(rng, P_ORG_SUF));
		break;
	case K_PHRASE:
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		if (gen_rng_chance(rng, 0.5)) {
			snprintf(out, cap, "%s %s", w, PICK(rng, P_NOUN));
		} else {
			snprintf(out, cap, "%s %s %s", w, PICK(rng, P_NOUN), PICK(rng, P_EVENT));
		}
		break;
	case K_CYR:
		SYL_WORD(rng, P_SYL_CYR, P_END_CYR, 2, 3, w);
		snprintf(out, cap, "%s %s", PICK(rng, P_FIRST_CYR), w);
		break;
	case K_GREEK:
		SYL_WORD(rng, P_SYL_GR, P_END_GR, 2, 3, w);
		snprintf(out, cap, "%s %s", PICK(rng, P_FIRST_GR), w);
		break;
	case K_ACCENT:
		/* a Latin surname with one vowel after the first letter accented */
		SYL_WORD(rng, P_SYL, P_END, 2, 3, w);
		snprintf(out, cap, "%s ", PICK(rng, P_FIRST));
		for (i = 1; w[i] != 0 && strchr(accent_from, w[i]) == NULL; i++) {
		}
		if (w[i] == 0) {
			snprintf(out + strlen(out), cap - strlen(out), "%sé", w);
			break;
		}
		v = accent_to[strchr(accent_from, w[i]) - accent_from][gen_rng_below(rng, 2)];
		snprintf(out + strlen(out), cap - strlen(out), "%.*s%s%s", (int)i, w, v, w + i + 1);
		break;
	default: /* K_CJK: a three-character name, written without spaces */
		cjk_pick(rng, cjk_surname, a);
		cjk_pick(rng, cjk_given, b);
		cjk_pick(rng, cjk_given, c);
		snprintf(out, cap, "%s%s%s", a, b, c);
		break;
	}
}

static int
terms_push(struct scale_gen_terms *t, const char *s)
{
	size_t len = strlen(s) + 1;

	if (t->len + len > t->cap) {
		size_t nc = t->cap == 0 ? 1 << 20 : t->cap * 2;
		char *nb = realloc(t->buf, nc);

		if (nb == NULL) {
			return -1;
		}
		t->buf = nb;
		t->cap = nc;
	}
	memcpy(t->buf + t->len, s, len);
	t->off[t->n++] = t->len;
	t->len += len;
	return 0;
}

/* <n> distinct terms (case-insensitively distinct for ASCII letters), deterministic for <seed>. */
int
scale_gen_terms_make(struct scale_gen_terms *t, uint32_t n, uint64_t seed)
{
	struct gen_rng rng = { seed };
	struct kset set = { NULL, 64 };
	int rc = -1;

	memset(t, 0, sizeof(*t));
	while (set.cap < (size_t)n * 2) {
		set.cap *= 2;
	}
	set.k = calloc(set.cap, sizeof(*set.k));
	t->off = calloc(n, sizeof(*t->off));
	if (set.k == NULL || t->off == NULL) {
		goto fail;
	}
	while (t->n < n) {
		enum kind k = pick_kind(&rng);
		char buf[256];
		int tries;

		for (tries = 0;; tries++) {
			/* a pool that has run dry (CJK at a million terms) falls back to persons */
			candidate(&rng, tries < 100 ? k : K_PERSON, buf, sizeof(buf));
			if (kset_put(&set, fold_hash(buf)) == 1) {
				break;
			}
		}
		if (terms_push(t, buf) != 0) {
			goto fail;
		}
		for (const char *p = buf; *p != 0; p++) {
			if ((unsigned char)*p >= 0x80) {
				t->non_ascii++;
				break;
			}
		}
	}
	rc = 0;
fail:
	free(set.k);
	if (rc != 0) {
		scale_gen_terms_free(t);
	}
	return rc;
}

/* ---- watchlist files ---- */

int
scale_gen_write_watchlists(const struct scale_gen_terms *t, uint32_t n_wl, const char *dir)
{
	uint32_t w, i;

	for (w = 0; w < n_wl; w++) {
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/scale-%04u.yaml", dir, w);
		f = fopen(path, "w");
		if (f == NULL) {
			return -errno;
		}
		fprintf(f,
		        "# Generated by feedwatch-scale.\nname: scale-%04u\nseverity: medium\n"
		        "tags: [scale]\ndefaults: {case: insensitive, whole_word: true}\nterms:\n",
		        w);
		for (i = w; i < t->n; i += n_wl) {
			/* YAML 1.2 §7.3.1 double-quoted; the pools hold no '"' or '\\' */
			fprintf(f, "  - \"%s\"\n", scale_gen_term_at(t, i));
		}
		if (ferror(f) != 0) {
			fclose(f);
			return -EIO;
		}
		if (fclose(f) != 0) {
			return -errno;
		}
	}
	return 0;
}

void
scale_gen_remove_watchlists(uint32_t n_wl, const char *dir)
{
	uint32_t w;

	for (w = 0; w < n_wl; w++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/scale-%04u.yaml", dir, w);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- items ---- */

void
scale_gen_corpus_free(struct scale_gen_corpus *c)
{
	free(c->buf);
	free(c->it);
	memset(c, 0, sizeof(*c));
}

static int
put(struct scale_gen_corpus *c, const char *s, size_t len)
{
	if (c->len + len > c->cap) {
		size_t nc = c->cap == 0 ? 1 << 22 : c->cap;
		char *nb;

		while (c->len + len > nc) {
			nc *= 2;
		}
		nb = realloc(c->buf, nc);
		if (nb == NULL) {
			return -1;
		}
		c->buf = nb;
		c->cap = nc;
	}
	memcpy(c->buf + c->len, s, len);
	c->len += len;
	return 0;
}

static int
puts_c(struct scale_gen_corpus *c, const char *s)
{
	return put(c, s, strlen(s));
}

/*
 * <n_words> words of news-like text; the first capitalized if <cap>, a
 * full stop at the end if <stop>; <plant> (or NULL) replaces word <at>.
 */
static int
sentence(struct scale_gen_corpus *c, struct gen_rng *rng, uint32_t n_words, bool cap, bool stop,
         const char *plant, uint32_t at)
{
	uint32_t i;
	int rc = 0;

	for (i = 0; i < n_words && rc == 0; i++) {
		char w[64];
		uint32_t r = gen_rng_below(rng, 100);

		if (i > 0) {
			rc |= puts_c(c, " ");
		}
		if (plant != NULL && i == at) {
			rc |= puts_c(c, plant);
			continue;
		}
		if (r < 6) {
			snprintf(w, sizeof(w), "%s", PICK(rng, P_FIRST));
		} else if (r < 12) {
			snprintf(w, sizeof(w), "%s", PICK(rng, P_PROPER));
		} else if (r < 15) {
			snprintf(w, sizeof(w), "%u", gen_rng_below(rng, 2000));
		} else {
			snprintf(w, sizeof(w), "%s", PICK(rng, P_WORDS));
			if (i == 0 && cap && w[0] >= 'a' && w[0] <= 'z') {
				w[0] = (char)(w[0] - 32);
			}
		}
		rc |= puts_c(c, w);
		if (i + 1 < n_words && gen_rng_chance(rng, 0.06)) {
			rc |= puts_c(c, ",");
		}
	}
	if (stop && rc == 0) {
		rc = puts_c(c, ".");
	}
	return rc;
}

/*
 * Items until their fields hold <bytes> bytes: a title, a summary of 1-3
 * sentences, for half of them a content body of 3-10 sentences, an author,
 * a category and a link. A share <hit_rate> of items gets one term, picked
 * at random, in the title (a third) or the summary.
 */
int
scale_gen_corpus_make(struct scale_gen_corpus *c, const struct scale_gen_terms *t, size_t bytes,
                      double hit_rate, uint64_t seed)
{
	struct gen_rng rng = { seed ^ 0x5ca1eull };

	memset(c, 0, sizeof(*c));
	while (c->len < bytes) {
		struct scale_gen_item *it;
		const char *plant = NULL;
		bool in_title = false;
		uint32_t nw, ns, i;
		char tmp[160];
		size_t start;
		int rc = 0;

		if (c->n == c->it_cap) {
			uint32_t nc = c->it_cap == 0 ? 65536 : c->it_cap * 2;
			struct scale_gen_item *ni = realloc(c->it, nc * sizeof(*ni));

			if (ni == NULL) {
				return -1;
			}
			c->it = ni;
			c->it_cap = nc;
		}
		it = &c->it[c->n++];
		memset(it, 0, sizeof(*it));
		if (gen_rng_chance(&rng, hit_rate)) {
			plant = scale_gen_term_at(t, gen_rng_below(&rng, t->n));
			in_title = gen_rng_below(&rng, 3) == 0;
			c->planted++;
		}

		start = c->len;
		nw = 6 + gen_rng_below(&rng, 7);
		rc |= sentence(c, &rng, nw, true, false, in_title ? plant : NULL,
		               gen_rng_below(&rng, nw));
		it->off[WL_FIELD_TITLE] = start;
		it->len[WL_FIELD_TITLE] = (uint32_t)(c->len - start);

		start = c->len;
		ns = 1 + gen_rng_below(&rng, 3);
		for (i = 0; i < ns; i++) {
			nw = 12 + gen_rng_below(&rng, 14);
			if (i > 0) {
				rc |= puts_c(c, " ");
			}
			rc |= sentence(c, &rng, nw, true, true, i == 0 && !in_title ? plant : NULL,
			               gen_rng_below(&rng, nw));
		}
		it->off[WL_FIELD_SUMMARY] = start;
		it->len[WL_FIELD_SUMMARY] = (uint32_t)(c->len - start);

		if (gen_rng_chance(&rng, 0.5)) {
			start = c->len;
			ns = 3 + gen_rng_below(&rng, 8);
			for (i = 0; i < ns; i++) {
				if (i > 0) {
					rc |= puts_c(c, " ");
				}
				rc |= sentence(c, &rng, 12 + gen_rng_below(&rng, 14), true, true,
				               NULL, 0);
			}
			it->off[WL_FIELD_CONTENT] = start;
			it->len[WL_FIELD_CONTENT] = (uint32_t)(c->len - start);
		}

		start = c->len;
		snprintf(tmp, sizeof(tmp), "%s %s", PICK(&rng, P_FIRST), PICK(&rng, P_PROPER));
		rc |= puts_c(c, tmp);
		it->off[WL_FIELD_AUTHOR] = start;
		it->len[WL_FIELD_AUTHOR] = (uint32_t)(c->len - start);

		start = c->len;
		rc |= puts_c(c, PICK(&rng, P_CATEGORY));
		it->off[WL_FIELD_CATEGORY] = start;
		it->len[WL_FIELD_CATEGORY] = (uint32_t)(c->len - start);

		start = c->len;
		snprintf(tmp, sizeof(tmp), "https://news.example.org/2026/11/%02u/story-%u",
		         1 + gen_rng_below(&rng, 28), c->n);
		rc |= puts_c(c, tmp);
		it->off[WL_FIELD_URL] = start;
		it->len[WL_FIELD_URL] = (uint32_t)(c->len - start);

		start = c->len;
		rc |= puts_c(c, "news.example.org");
		it->off[WL_FIELD_HOST] = start;
		it->len[WL_FIELD_HOST] = (uint32_t)(c->len - start);
		if (rc != 0) {
			return -1;
		}
	}
	return 0;
}

struct wl_item *
scale_gen_items(const struct scale_gen_corpus *c)
{
	struct wl_item *items = calloc(c->n > 0 ? c->n : 1, sizeof(*items));
	uint32_t i, f;

	for (i = 0; items != NULL && i < c->n; i++) {
		for (f = 0; f < WL_FIELD__MAX; f++) {
			items[i].field[f].ptr = (const uint8_t *)c->buf + c->it[i].off[f];
			items[i].field[f].len = c->it[i].len[f];
		}
	}
	return items;
}

/* ---- the plain-literal baseline ---- */

/* Every byte but ASCII letters and digits as \xHH: a plain literal whatever the term holds. */
static char *
hs_escape(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 1), *o = out;

	if (out == NULL) {
		return NULL;
	}
	for (; *s != 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9')) {
			*o++ = (char)ch;
		} else {
			o += sprintf(o, "\\x%02x", ch);
		}
	}
	*o = 0;
	return out;
}

hs_database_t *
scale_gen_plain_compile(const struct scale_gen_terms *t, char *err, size_t err_cap)
{
	char **expr = calloc(t->n, sizeof(*expr));
	unsigned int *flags = calloc(t->n, sizeof(*flags)), *ids = calloc(t->n, sizeof(*ids));
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	uint32_t i;

	if (expr == NULL || flags == NULL || ids == NULL) {
		snprintf(err, err_cap, "out of memory");
		goto fail;
	}
	for (i = 0; i < t->n; i++) {
		expr[i] = hs_escape(scale_gen_term_at(t, i));
		if (expr[i] == NULL) {
			snprintf(err, err_cap, "out of memory");
			goto fail;
		}
		flags[i] = HS_FLAG_CASELESS;
		ids[i] = i;
	}
	if (hs_compile_multi((const char *const *)expr, flags, ids, t->n, HS_MODE_BLOCK, NULL, &db,
	                     &cerr) != HS_SUCCESS) {
		snprintf(err, err_cap, "plain literals: hs_compile_multi: %s (pattern %d)",
		         cerr != NULL ? cerr->message : "?", cerr != NULL ? cerr->expression : -1);
		hs_free_compile_error(cerr);
		db = NULL;
	}
fail:
	for (i = 0; expr != NULL && i < t->n; i++) {
		free(expr[i]);
	}
	free(expr);
	free(flags);
	free(ids);
	return db;
}
