/*
 * Generated watchlists: realistic terms built combinatorially from built-in
 * pools (first and last names across cultures, Cyrillic, Greek and Chinese
 * names, places, organisations, news phrases, acronyms), spread over
 * watchlists and written as YAML files feedwatch loads.
 *
 * Truth must be unambiguous, so a candidate term is refused when it equals,
 * contains or is contained in (as whole words, case and accents folded) a
 * term already made: every contiguous run of words of every accepted term
 * goes into a hash set, and a candidate is checked both ways. CJK characters
 * count as words of their own, as in the matcher.
 */
#include "tools/gen/gen_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Space-separated pools (split once at create time). */
static const char first_latin[] =
        "James Maria José Ana João Lucas Sofia Mateo Chloé Léa Élodie François Jürgen Lukas "
        "Anja Björn Søren Ingrid Åsa Zoë Noël Inés Ramón Raúl Núria Joaquín Zoltán Ágnes "
        "Tomás Dmitri Olga Natalia Pavel Jan Piotr Agnieszka Kemal Mehmet Emre Yusuf Fatima "
        "Omar Layla Hassan Amir Priya Arjun Rahul Ananya Hiroshi Yuki Kenji Chinedu Amara Kwame "
        "Abebe Thabo Nomvula Valentina Camila Diego Alejandro Gabriela Andrés Mónica Héctor "
        "Oliver Emma Noah Olivia Liam Ava Ethan Isabel Henrik Astrid Pekka Aino Eero Matteo "
        "Giulia Francesca Lorenzo Chiara Niccolò Seán Siobhán Aoife Ciarán Dafydd Rhian "
        "Margarida Gonçalo Benoît Hélène Gaëlle Jérôme Renée Günther Käthe Mónika Dóra Bálint "
        "Ngozi Oluwaseun Tendai Farah Yasmin Karim Nadia Rania Tariq Ibrahim Leila Reza Darius "
        "Shirin Aziz Anwar Sunita Vikram Deepa Kiran Ravi Mei Hana Sakura Daiki Ren Aiko "
        "Mariana Lucía Pilar Rocío Ximena Joaquim Rafaela Thiago Bruno Caio Beatriz Inês "
        "Frederik Mette Lasse Sigrid Tove Ólafur Guðrún Sigríður Eiríkur";
static const char last_latin[] =
        "Müller Schmidt García Fernández López Martínez González Rodríguez Pérez Sánchez "
        "Silva Santos Oliveira Costa Pereira Dubois Lefèvre Moreau Girard Fontaine Rossi "
        "Bianchi Esposito Romano Ricci Kowalski Nowak Horváth Nagy Kovács Szabó Popescu "
        "Ionescu Yilmaz Kaya Demir Öztürk Haddad Khalil Nasser Mansour Rahman Sharma Patel "
        "Gupta Iyer Reddy Nair Tanaka Suzuki Takahashi Watanabe Yamamoto Nakamura Okafor "
        "Adeyemi Mensah Owusu Kamau Otieno Dlamini Smith Johnson Williams Brown Jones Miller "
        "Davis Wilson Anderson Taylor Thomas Moore Martin Jackson Thompson White Harris "
        "Clark Lewis Robinson Walker Young Allen Wright Scott Hill Green Adams Baker Nelson "
        "Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart "
        "Morris Murphy Cook Rogers O'Brien Andersson Johansson Karlsson Nilsson Eriksson "
        "Larsen Hansen Jensen Nielsen Virtanen Korhonen Mäkinen Nieminen Horvat Papadopoulos "
        "Georgiou Dimitriou Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
        "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
        "Lange Schmitt Werner Krause Meier Lehmann Köhler Herrmann König Walter Peeters "
        "Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters Dumont Lambert Bernard "
        "Petit Durand Leroy Roux Fournier Mercier Blanc Guérin Boyer Garnier Chevalier "
        "Ferrari Colombo Bruno Gallo Conti Marino Greco Lombardi Moretti Barbieri Fontana "
        "Caruso Mariani Rinaldi Ferraro Galli Vieira Ribeiro Carvalho Gomes Martins Rocha "
        "Almeida Lopes Soares Fernandes Nunes Cardoso Teixeira Moreira Correia Mendes "
        "Ramírez Torres Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez "
        "Ruiz Jiménez Mendoza Herrera Medina Castro Vargas Romero Aguilar Navarro Domínguez";
/* Syllables for surnames the lists above cannot supply (scaling to 100,000 terms). */
static const char syl_a[] = "Var Kel Mor Dan Tes Bal Ros Fen Gar Hal Lin Mar Nor Pel Sal Tor "
                            "Vel Ard Bren Cal Dor Ell Fal Grim Hol Ist Jor Kast Lor Mel";
static const char syl_b[] = "an en in on ar er or al el il ov ev ik as es is ur ad ed id";
static const char syl_c[] = "sen son berg stein dal holm mark ton ley wood ford ski ova ini "
                            "ez ek ard ens heim ic os is aki oglu";

static const char first_cyr[] = "Сергей Андрей Алексей Дмитрий Михаил Николай Владимир Игорь "
                                "Олег Юрий Павел Иван Анна Мария Елена Ольга Наталья Татьяна "
                                "Ирина Светлана Екатерина Юлия Ксения Борис Виктор Григорий "
                                "Антон Артём Максим Роман Денис Евгений Вадим Кирилл Илья";
static const char last_cyr[] =
        "Лавров Петров Иванов Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов "
        "Волков Соловьёв Васильев Зайцев Павлов Семёнов Голубев Виноградов Богданов "
        "Воробьёв Фёдоров Михайлов Беляев Тарасов Белов Комаров Орлов Киселёв Макаров Андреев "
        "Ковалёв Ильин Гусев Титов Кузьмин Кудрявцев Баранов Куликов Алексеев Степанов "
        "Яковлев Сорокин Сергеев Романов Захаров Борисов Королёв Герасимов Пономарёв "
        "Григорьев Лазарев Медведев Ершов Никитин Соболев Рябов Поляков Цветков Данилов Жуков "
        "Фролов Журавлёв Николаев Крылов Шевченко Коваленко Бондаренко Ткаченко Кравченко "
        "Олейник Мельник Лысенко Руденко Марченко";
static const char first_greek[] = "Γιώργος Νίκος Δημήτρης Κώστας Γιάννης Μαρία Ελένη Κατερίνα "
                                  "Σοφία Αθηνά Παναγιώτης Χρήστος Βασίλης Ιωάννα Δέσποινα "
                                  "Αλέξανδρος Θεόδωρος Ευάγγελος Άννα Μιχάλης";
static const char last_greek[] = "Παπαδόπουλος Γεωργίου Δημητρίου Νικολάου Παπαγεωργίου "
                                 "Οικονόμου Καραγιάννης Βλάχος Αντωνίου Μακρής Αθανασίου "
                                 "Κωνσταντίνου Ιωάννου Πετρίδης Χατζής Σταθόπουλος Λαμπράκης "
                                 "Μαυρίδης Ζαχαρίου Καλογεράκης";
static const char cjk_surname[] = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹";
static const char cjk_given[] = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂华建国文辉玲红鹏飞宇浩"
                                "晨雪梅鑫斌宁欣婷瑞凯博涵思嘉子轩怡佳诗雨琪俊逸晓天";
static const char cjk_place[] = "北京 上海 广州 深圳 天津 重庆 南京 武汉 成都 杭州 西安 苏州 长沙 "
                                "青岛 大连 厦门 香港 台北 東京 大阪";
static const char places[] =
        "Moscow Kyiv Kharkiv Donetsk Tehran Isfahan Gaza Rafah Aleppo Idlib Mosul Basra Kabul "
        "Kandahar Karachi Lahore Dhaka Yangon Manila Jakarta Surabaya Hanoi Bangkok Taipei "
        "Kaohsiung Pyongyang Seoul Busan Osaka Nagoya Beijing Shanghai Wuhan Shenzhen Nairobi "
        "Mombasa Lagos Abuja Kano Accra Khartoum Darfur Tripoli Benghazi Tunis Algiers "
        "Casablanca Dakar Bamako Niamey Kinshasa Goma Luanda Harare Maputo Johannesburg Durban "
        "Bogotá Medellín Caracas Maracaibo Quito Lima Cusco Valparaíso Montevideo Asunción "
        "Brussels Strasbourg Marseille Lyon Bordeaux Toulouse Hamburg Munich Cologne Leipzig "
        "Dresden Kraków Lviv Odesa Minsk Vilnius Riga Tallinn Helsinki Tampere Göteborg Malmö "
        "Bergen Trondheim Reykjavík Porto Coimbra Sevilla Málaga Zaragoza Bilbao Napoli "
        "Palermo Torino Genova Thessaloniki Zürich Genève Ankara Izmir Erbil Sanaa Aden Muscat "
        "Doha Riyadh Jeddah Amman Beirut Damascus Baghdad Tbilisi Yerevan Baku Almaty Tashkent "
        "Bishkek Dushanbe Ulaanbaatar Vladivostok Novosibirsk Yekaterinburg Kazan Murmansk";
static const char place_pre[] = "Port Lake Mount Upper Lower Fort Cape Glen";
static const char place_root[] = "Aldera Tessin Varnholm Kestral Morvane Ostrava Belmora Carrick "
                                 "Dunmore Ellsworth Falkirk Gransden Harwick Innisfail Kilbride "
                                 "Lochmere Marlow Norwood Pembrey Rosslare Selwick Thornbury";
static const char org_root[] = "Meridian Vantor Halcyon Corvex Aurelia Tessaro Brightwell "
                               "Norland Oakridge Quantis Rivermark Solvane Tarrant Umbrel Valmont "
                               "Westerly Zephyra Arcadis Belgrave Castellan Dunmark Everhart "
                               "Fairholm Granite Harbourne Ironvale Juniper Kingsford";
static const char org_suffix[] = "Holdings Group Capital Energy Logistics Shipping Minerals "
                                 "Telecom Pharma Bank Insurance Airlines Motors Foods Partners "
                                 "Institute Foundation Systems Analytics Robotics";
static const char topic[] = "ceasefire grain-export nuclear pipeline tariff sanctions border "
                            "refugee election vaccine drought wildfire flood currency bond "
                            "gas-supply chip-export arms debt pension housing fishing-quota "
                            "interest-rate oil-price steel-import water-rights satellite "
                            "cyberattack minimum-wage";
static const char event[] = "talks cut hike deal ban freeze probe summit dispute crisis "
                            "protest inquiry relief reform vote ruling standoff accord "
                            "walkout embargo";
static const char acro_letters[] = "BCDFGHJKLMNPQRSTVWXZ";

struct pool {
	char **v;
	uint32_t n;
};

struct pools {
	struct pool first, last, sa, sb, sc, fcyr, lcyr, fgr, lgr, cjs, cjg, cjp, place, ppre,
	        proot, oroot, osuf, topic, event;
};

/* Splits <src> at spaces ("-" inside a word stands for a space), or into characters if <chars>. */
static int
pool_split(struct pool *p, const char *src, bool chars)
{
	const char *s = src, *end = src + strlen(src);
	uint32_t cap = 0;

	while (s < end) {
		const char *e = s;
		char *w;
		size_t i;

		if (chars) {
			(void)gen_utf8_next(&e, end);
		} else {
			while (e < end && *e != ' ') {
				e++;
			}
		}
		if (e == s) {
			s++;
			continue;
		}
		if (p->n == cap) {
			char **nv;

			cap = cap == 0 ? 64 : cap * 2;
			nv = realloc(p->v, cap * sizeof(*nv));
			if (nv == NULL) {
				return -1;
			}
			p->v = nv;
		}
		w = strndup(s, (size_t)(e - s));
		if (w == NULL) {
			return -1;
		}
		for (i = 0; w[i] != 0 && !chars; i++) {
			if (w[i] == '-') {
				w[i] = ' ';
			}
		}
		p->v[p->n++] = w;
		s = e;
	}
	return 0;
}

static void
pools_free(struct pools *ps)
{
	struct pool *p = (struct pool *)ps;
	size_t i, k;

	for (k = 0; k < sizeof(*ps) / sizeof(struct pool); k++) {
		for (i = 0; i < p[k].n; i++) {
			free(p[k].v[i]);
		}
		free(p[k].v);
	}
}

static int
pools_init(struct pools *ps)
{
	memset(ps, 0, sizeof(*ps));
	if (pool_split(&ps->first, first_latin, false) ||
	    pool_split(&ps->last, last_latin, false) || pool_split(&ps->sa, syl_a, false) ||
	    pool_split(&ps->sb, syl_b, false) || pool_split(&ps->sc, syl_c, false) ||
	    pool_split(&ps->fcyr, first_cyr, false) || pool_split(&ps->lcyr, last_cyr, false) ||
	    pool_split(&ps->fgr, first_greek, false) || pool_split(&ps->lgr, last_greek, false) ||
	    pool_split(&ps->cjs, cjk_surname, true) || pool_split(&ps->cjg, cjk_given, true) ||
	    pool_split(&ps->cjp, cjk_place, false) || pool_split(&ps->place, places, false) ||
	    pool_split(&ps->ppre, place_pre, false) || pool_split(&ps->proot, place_root, false) ||
	    pool_split(&ps->oroot, org_root, false) || pool_split(&ps->osuf, org_suffix, false) ||
	    pool_split(&ps->topic, topic, false) || pool_split(&ps->event, event, false)) {
		pools_free(ps);
		return -1;
	}
	return 0;
}

static const char *
pick(struct gen_rng *rng, const struct pool *p)
{
	return p->v[gen_rng_below(rng, p->n)];
}

/* ---- word runs ---- */

struct wspan {
	uint32_t s, e;
};

/* Word spans of <text> as the matcher sees boundaries; CJK characters are words of their own. */
static uint32_t
words_of(const char *text, size_t len, struct wspan *out, uint32_t max)
{
	const char *p = text, *end = text + len;
	uint32_t n = 0;
	bool in = false;

	while (p < end) {
		const char *at = p;
		uint32_t cp = gen_utf8_next(&p, end);
		bool w = wl_is_word_cp(cp), uns = wl_is_unspaced(cp);

		if (w && !uns && in) {
			out[n - 1].e = (uint32_t)(p - text);
			continue;
		}
		in = false;
		if (!w) {
			continue;
		}
		if (n == max) {
			return n;
		}
		out[n].s = (uint32_t)(at - text);
		out[n].e = (uint32_t)(p - text);
		n++;
		in = !uns;
	}
	return n;
}

#define MAX_TERM_WORDS 8

uint32_t
gen_wl_detect(const struct gen_wl *wl, const char *text, size_t len, gen_found_fn *fn, void *arg)
{
	struct wspan w[512];
	uint32_t n, i, j, found = 0;
	size_t base = 0;

	/* in windows of 512 words, overlapping by the longest term */
	while (base < len) {
		n = words_of(text + base, len - base, w, 512);
		if (n == 0) {
			break;
		}
		for (i = 0; i < n; i++) {
			if (n == 512 && i + wl->max_words > n) {
				break;
			}
			for (j = i; j < n && j < i + wl->max_words; j++) {
				uint32_t t;

				if (w[j].e - w[i].s > wl->max_len * 2 + 8) {
					break;
				}
				t = gen_hmap_get(&wl->full, gen_fold_hash(text + base + w[i].s,
				                                          w[j].e - w[i].s));
				if (t != UINT32_MAX) {
					found++;
					if (fn != NULL) {
						fn(arg, t, base + w[i].s);
					}
				}
			}
		}
		if (n < 512) {
			break;
		}
		base += w[i].s;
	}
	return found;
}

/* ---- generation ---- */

/* Registers <t> as term <idx> if it neither contains nor is contained in an accepted term. */
static int
accept_term(struct gen_wl *wl, const char *t, uint32_t idx)
{
	struct wspan w[64];
	uint32_t n = words_of(t, strlen(t), w, 64), i, j;
	uint64_t whole;

	if (n == 0 || n > MAX_TERM_WORDS || w[0].s != 0 || w[n - 1].e != strlen(t)) {
		return 0; /* terms start and end with a word character */
	}
	whole = gen_fold_hash(t, strlen(t));
	if (gen_hmap_get(&wl->parts, whole) != UINT32_MAX) {
		return 0; /* equal to, or inside, an accepted term */
	}
	for (i = 0; i < n; i++) {
		for (j = i; j < n; j++) {
			if (gen_hmap_get(&wl->full, gen_fold_hash(t + w[i].s, w[j].e - w[i].s)) !=
			    UINT32_MAX) {
				return 0; /* an accepted term is inside it */
			}
		}
	}
	for (i = 0; i < n; i++) {
		for (j = i; j < n; j++) {
			if (gen_hmap_put(&wl->parts, gen_fold_hash(t + w[i].s, w[j].e - w[i].s),
			                 0) < 0) {
				return -1;
			}
		}
	}
	if (gen_hmap_put(&wl->full, whole, idx) < 0) {
		return -1;
	}
	if (n > wl->max_words) {
		wl->max_words = n;
	}
	if (strlen(t) > wl->max_len) {
		wl->max_len = strlen(t);
	}
	return 1;
}

static bool
is_ascii(const char *s)
{
	for (; *s != 0; s++) {
		if ((unsigned char)*s >= 0x80) {
			return false;
		}
	}
	return true;
}

/* Case variants round-trip through the matcher's folding for Latin and Cyrillic, not Greek/CJK. */
static bool
case_ok(const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		uint32_t cp = gen_utf8_next(&p, end);

		if (cp >= 0x370 && cp != 0x401 && cp != 0x451 && !(cp >= 0x410 && cp <= 0x44f)) {
			return false;
		}
		if (cp > 0xff && cp < 0x370) {
			return false;
		}
		if (cp == 0xdf || cp == 0xff) {
			return false; /* ß and ÿ have no single-character capital in Latin-1 */
		}
	}
	return true;
}

static bool
ends_in_letter(const char *s)
{
	const char *p = s, *end = s + strlen(s);
	uint32_t cp = 0;

	while (p < end) {
		cp = gen_utf8_next(&p, end);
	}
	return wl_is_word_cp(cp) && !wl_is_unspaced(cp);
}

/* Appends a term owning <text> and <display> (NULL: set by the caller). */
static struct gen_term *
push_term(struct gen_wl *wl, uint32_t *cap, char *text, char *display, const char *kind)
{
	struct gen_term *t;

	if (text == NULL) {
		free(display);
		return NULL;
	}
	if (wl->n_terms == *cap) {
		uint32_t nc = *cap * 2 + 256;
		struct gen_term *nt = realloc(wl->terms, nc * sizeof(*nt));

		if (nt == NULL) {
			free(text);
			free(display);
			return NULL;
		}
		wl->terms = nt;
		*cap = nc;
	}
	t = &wl->terms[wl->n_terms++];
	memset(t, 0, sizeof(*t));
	t->text = text;
	t->display = display;
	t->kind = kind;
	t->ascii = is_ascii(text);
	t->can_case = case_ok(text);
	t->glue = ends_in_letter(text);
	{
		const char *p = text, *end = text + strlen(text);

		while (p < end) {
			if (wl_is_unspaced(gen_utf8_next(&p, end))) {
				t->cjk = true;
			}
		}
	}
	return t;
}

/* Cyrillic → Latin, BGN/PCGN-like, for an entity's Latin name. */
static void
translit_cyr(const char *s, char *out, size_t cap)
{
	static const char *const lower[32] = { "a",  "b",    "v", "g", "d", "e",  "zh", "z",
		                               "i",  "y",    "k", "l", "m", "n",  "o",  "p",
		                               "r",  "s",    "t", "u", "f", "kh", "ts", "ch",
		                               "sh", "shch", "",  "y", "",  "e",  "yu", "ya" };
	const char *p = s, *end = s + strlen(s);
	size_t o = 0;
	bool upper_next = true;

	while (p < end && o + 6 < cap) {
		uint32_t cp = gen_utf8_next(&p, end);
		const char *r;
		bool up = false;

		if (cp >= 0x410 && cp <= 0x42f) {
			cp += 0x20;
			up = true;
		} else if (cp == 0x401) {
			cp = 0x451;
			up = true;
		}
		if (cp >= 0x430 && cp <= 0x44f) {
			r = lower[cp - 0x430];
		} else if (cp == 0x451) {
			r = "yo";
		} else if (cp == 0x456 || cp == 0x406) {
			r = "i";
		} else {
			out[o++] = (char)(cp < 0x80 ? cp : '?');
			upper_next = cp == ' ';
			continue;
		}
		if (r[0] != 0) {
			out[o] = (up || upper_next) ? (char)(r[0] - 32) : r[0];
			memcpy(out + o + 1, r + 1, strlen(r + 1));
			o += strlen(r);
		}
		upper_next = false;
	}
	out[o] = 0;
}

static void
synth_surname(struct gen_rng *rng, const struct pools *ps, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", pick(rng, &ps->sa), pick(rng, &ps->sb), pick(rng, &ps->sc));
}

enum kind {
	K_NAME = 0,
	K_SYNTH,
	K_CYR,
	K_GREEK,
	K_CJK_NAME,
	K_CJK_PLACE,
	K_PLACE,
	K_PLACE2,
	K_ORG,
	K_ORG_AMP,
	K_PHRASE,
	K_ACRONYM,
	K_ENTITY,
	K__MAX
};

/* Relative weights of the kinds, in per mille. */
static const uint16_t kind_weight[K__MAX] = {
	[K_NAME] = 300,    [K_SYNTH] = 150,  [K_CYR] = 90,    [K_GREEK] = 30, [K_CJK_NAME] = 40,
	[K_CJK_PLACE] = 5, [K_PLACE] = 40,   [K_PLACE2] = 40, [K_ORG] = 80,   [K_ORG_AMP] = 25,
	[K_PHRASE] = 90,   [K_ACRONYM] = 40, [K_ENTITY] = 70,
};

static const char *const kind_name[K__MAX] = {
	[K_NAME] = "name",       [K_SYNTH] = "name",    [K_CYR] = "non-ascii",
	[K_GREEK] = "non-ascii", [K_CJK_NAME] = "cjk",  [K_CJK_PLACE] = "cjk",
	[K_PLACE] = "place",     [K_PLACE2] = "place",  [K_ORG] = "org",
	[K_ORG_AMP] = "org",     [K_PHRASE] = "phrase", [K_ACRONYM] = "acronym",
	[K_ENTITY] = "entity",
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
	return K_SYNTH;
}

/* A candidate text of kind <k> into <buf>; for K_ENTITY, <alt> gets the Cyrillic name. */
static void
candidate(struct gen_rng *rng, const struct pools *ps, enum kind k, char *buf, size_t cap,
          char *alt, size_t alt_cap)
{
	char sur[64];
	uint32_t i;

	switch (k) {
	case K_NAME:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->first), pick(rng, &ps->last));
		break;
	case K_SYNTH:
		synth_surname(rng, ps, sur, sizeof(sur));
		snprintf(buf, cap, "%s %s", pick(rng, &ps->first), sur);
		break;
	case K_CYR:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->fcyr), pick(rng, &ps->lcyr));
		break;
	case K_GREEK:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->fgr), pick(rng, &ps->lgr));
		break;
	case K_CJK_NAME:
		snprintf(buf, cap, "%s%s%s", pick(rng, &ps->cjs), pick(rng, &ps->cjg),
		         pick(rng, &ps->cjg));
		break;
	case K_CJK_PLACE:
		snprintf(buf, cap, "%s", pick(rng, &ps->cjp));
		break;
	case K_PLACE:
		snprintf(buf, cap, "%s", pick(rng, &ps->place));
		break;
	case K_PLACE2:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->ppre), pick(rng, &ps->proot));
		break;
	case K_ORG:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->oroot), pick(rng, &ps->osuf));
		break;
	case K_ORG_AMP:
		snprintf(buf, cap, "%s & %s", pick(rng, &ps->last), pick(rng, &ps->last));
		break;
	case K_PHRASE:
		snprintf(buf, cap, "%s %s", pick(rng, &ps->topic), pick(rng, &ps->event));
		break;
	case K_ACRONYM:
		for (i = 0; i < 4 && i + 1 < cap; i++) {
			buf[i] = acro_letters[gen_rng_below(rng, sizeof(acro_letters) - 1)];
		}
		buf[i] = 0;
		break;
	default: /* K_ENTITY: a Cyrillic person and the Latin spelling of the name */
		snprintf(alt, alt_cap, "%s %s", pick(rng, &ps->fcyr), pick(rng, &ps->lcyr));
		translit_cyr(alt, buf, cap);
		break;
	}
}

static int
make_terms(struct gen_wl *wl, struct gen_rng *rng, const struct pools *ps, uint32_t n_terms)
{
	uint32_t cap = 0, fails = 0;

	while (wl->n_terms < n_terms) {
		enum kind k = pick_kind(rng);
		char buf[160], alt[160];
		struct gen_term *t;
		int rc;

		if (fails > 64) {
			k = K_SYNTH; /* the small pools are used up: synthetic surnames never run out */
		}
		if (k == K_ENTITY && wl->n_terms + 2 > n_terms) {
			k = K_SYNTH;
		}
		candidate(rng, ps, k, buf, sizeof(buf), alt, sizeof(alt));
		rc = accept_term(wl, buf, wl->n_terms);
		if (rc < 0) {
			return -1;
		}
		if (rc == 0) {
			fails++;
			continue;
		}
		if (k == K_ENTITY) {
			rc = accept_term(wl, alt, wl->n_terms + 1);
			if (rc < 0) {
				return -1;
			}
			if (rc == 0) {
				/* the Latin name stays reserved in the sets; use it as a plain name */
				k = K_NAME;
			}
		}
		fails = 0;
		t = push_term(wl, &cap, strdup(buf), NULL, kind_name[k]);
		if (t == NULL) {
			return -1;
		}
		if (k == K_ACRONYM) {
			t->cs = true;
			if (asprintf(&t->display, "cs:%s", buf) < 0) {
				t->display = NULL;
				return -1;
			}
		} else {
			t->display = strdup(buf);
			if (t->display == NULL) {
				return -1;
			}
			if (k != K_ENTITY && gen_rng_chance(rng, 0.07)) {
				t->scope =
				        gen_rng_chance(rng, 0.6) ? GEN_SCOPE_TITLE : GEN_SCOPE_BODY;
			}
		}
		if (k == K_ENTITY) {
			struct gen_entity *ne = realloc(wl->ents, (wl->n_ents + 1) * sizeof(*ne));

			if (ne == NULL) {
				return -1;
			}
			wl->ents = ne;
			ne = &wl->ents[wl->n_ents++];
			memset(ne, 0, sizeof(*ne));
			snprintf(ne->id, sizeof(ne->id), "person/p%u", wl->n_ents);
			ne->first = wl->n_terms - 1;
			ne->n = 2;
			t->entity = wl->n_ents;
			t = push_term(wl, &cap, strdup(alt), strdup(alt), "entity");
			if (t == NULL) {
				return -1;
			}
			t->entity = wl->n_ents;
		}
	}
	return 0;
}

struct gen_wl *
gen_wl_create(struct gen_rng *rng, uint32_t n_terms, uint32_t n_watchlists)
{
	struct gen_wl *wl = NULL;
	struct pools ps;
	uint32_t i;

	if (n_terms == 0 || n_watchlists == 0 || n_watchlists > n_terms) {
		return NULL;
	}
	if (pools_init(&ps) != 0) {
		return NULL;
	}
	wl = calloc(1, sizeof(*wl));
	if (wl == NULL) {
		goto fail;
	}
	wl->n_wl = n_watchlists;
	wl->names = calloc(n_watchlists, sizeof(*wl->names));
	if (wl->names == NULL || make_terms(wl, rng, &ps, n_terms) != 0) {
		goto fail;
	}
	for (i = 0; i < n_watchlists; i++) {
		snprintf(wl->names[i], sizeof(wl->names[i]), "gen-%05u", i);
	}
	/* every watchlist gets at least one term, the rest at random; an entity's names stay together */
	for (i = 0; i < wl->n_terms; i++) {
		struct gen_term *t = &wl->terms[i];

		t->wl = i < n_watchlists ? i : gen_rng_below(rng, n_watchlists);
		if (t->entity != 0 && wl->ents[t->entity - 1].first != i) {
			t->wl = wl->terms[i - 1].wl;
		} else if (t->entity != 0) {
			wl->ents[t->entity - 1].wl = t->wl;
		}
	}
	gen_hmap_clear(&wl->parts); /* only generation needs it */
	pools_free(&ps);
	return wl;
fail:
	pools_free(&ps);
	gen_wl_free(wl);
	return NULL;
}

void
gen_wl_free(struct gen_wl *wl)
{
	uint32_t i;

	if (wl == NULL) {
		return;
	}
	for (i = 0; i < wl->n_terms; i++) {
		free(wl->terms[i].text);
		free(wl->terms[i].display);
	}
	free(wl->terms);
	free(wl->ents);
	free(wl->names);
	gen_hmap_clear(&wl->full);
	gen_hmap_clear(&wl->parts);
	free(wl);
}

uint32_t
gen_wl_count(const struct gen_wl *wl)
{
	return wl->n_wl;
}

const char *
gen_wl_name(const struct gen_wl *wl, uint32_t idx)
{
	return idx < wl->n_wl ? wl->names[idx] : NULL;
}

/* ---- YAML ---- */

/* A YAML double-quoted scalar (YAML 1.2 §7.3.1): backslash escapes, UTF-8 kept. */
static void
yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			fputc('\\', f);
			fputc(ch, f);
		} else if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\x%02x", ch);
		} else {
			fputc(ch, f);
		}
	}
	fputc('"', f);
}

static const char *const severities[] = { "info", "low", "medium", "high", "critical" };

static int
write_one(const struct gen_wl *wl, uint32_t w, const char *dir)
{
	char path[4096];
	FILE *f;
	uint32_t i, k;
	bool any_ent = false;

	snprintf(path, sizeof(path), "%s/%s.yaml", dir, wl->names[w]);
	f = fopen(path, "w");
	if (f == NULL) {
		return -errno;
	}
	fprintf(f,
	        "# Generated by feedwatch-gen: realistic terms with planted-hit ground truth.\n");
	fprintf(f, "name: %s\nseverity: %s\ntags: [generated, %s]\n", wl->names[w],
	        severities[w % NELEM(severities)], w % 2 == 0 ? "people" : "places");
	fprintf(f, "defaults: {case: insensitive, whole_word: true}\n");
	for (i = 0; i < wl->n_ents; i++) {
		const struct gen_entity *e = &wl->ents[i];

		if (e->wl != w) {
			continue;
		}
		if (!any_ent) {
			fprintf(f, "entities:\n");
			any_ent = true;
		}
		fprintf(f, "  - id: ");
		yq(f, e->id);
		fprintf(f, "\n    names: [");
		for (k = 0; k < e->n; k++) {
			fprintf(f, k > 0 ? ", " : "");
			yq(f, wl->terms[e->first + k].text);
		}
		fprintf(f, "]\n");
	}
	for (i = 0, k = 0; i < wl->n_terms; i++) {
		k += wl->terms[i].wl == w;
	}
	fprintf(f, k == 0 ? "terms: []\n" : "terms:\n");
	for (i = 0; i < wl->n_terms; i++) {
		const struct gen_term *t = &wl->terms[i];

		if (t->wl != w) {
			continue;
		}
		if (t->entity != 0) {
			const struct gen_entity *e = &wl->ents[t->entity - 1];

			if (e->first == i) {
				fprintf(f, "  - \"@%s\"\n", e->id);
			}
			continue;
		}
		fprintf(f, "  - ");
		if (t->scope != GEN_SCOPE_ANY) {
			fprintf(f, "{text: ");
			yq(f, t->text);
			fprintf(f, ", field: %s}\n",
			        t->scope == GEN_SCOPE_TITLE ? "title" : "body");
		} else {
			yq(f, t->display);
			fputc('\n', f);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) == 0 ? 0 : -errno;
}

int
gen_wl_write(const struct gen_wl *wl, const char *dir)
{
	uint32_t w;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		return -errno;
	}
	for (w = 0; w < wl->n_wl; w++) {
		int rc = write_one(wl, w, dir);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}
