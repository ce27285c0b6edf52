/*  router_simhash — see router_simhash.h. */
#include "router_simhash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_SHINGLE 3

/*  Decodes one code point; an invalid byte is taken as itself. */
static uint32_t s_next_cp(const unsigned char *p, size_t len, size_t *used)
{
    unsigned char c = p[0];
    int n = c < 0x80             ? 1
            : (c & 0xe0) == 0xc0 ? 2
            : (c & 0xf0) == 0xe0 ? 3
            : (c & 0xf8) == 0xf0 ? 4
                                 : 0;
    if (n == 0 || (size_t)n > len) {
        *used = 1;
        return c;
    }
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1fu : n == 3 ? c & 0x0fu : c & 0x07u;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *used = 1;
            return c;
        }
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    *used = (size_t)n;
    return cp;
}

/*  Characters that carry no meaning for "same matter". */
static bool s_ignored(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
    if (cp >= 0x3000 && cp <= 0x303f) /* CJK symbols and punctuation: 、。《》【】 … */
        return true;
    if (cp >= 0xff01 && cp <= 0xff0f) /* full-width ！＂＃ … ／ */
        return true;
    if (cp >= 0xff1a && cp <= 0xff20) /* ：；＜＝＞？＠ */
        return true;
    if (cp >= 0x2010 && cp <= 0x206f) /* general punctuation: – — ‘ ’ “ ” … */
        return true;
    return cp == 0xff5e || cp == 0x00b7; /* ～ · */
}

static uint64_t s_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t s_shingle_hash(const uint32_t *cps, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 4; b++) {
            h ^= (cps[i] >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    }
    return s_mix(h);
}

static void s_add(int32_t votes[64], uint64_t h)
{
    for (int b = 0; b < 64; b++)
        votes[b] += (h >> b) & 1 ? 1 : -1;
}

/*  Feeds the code points of text into a sliding window of S_SHINGLE. */
typedef struct {
    int32_t votes[64];
    uint32_t window[S_SHINGLE];
    size_t seen; /* code points kept so far */
} s_state_t;

static void s_feed(s_state_t *st, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        size_t used;
        uint32_t cp = s_next_cp(p + i, len - i, &used);
        i += used;
        if (s_ignored(cp))
            continue;
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        if (st->seen < S_SHINGLE) {
            st->window[st->seen] = cp;
        } else {
            memmove(st->window, st->window + 1, (S_SHINGLE - 1) * sizeof st->window[0]);
            st->window[S_SHINGLE - 1] = cp;
        }
        st->seen++;
        if (st->seen >= S_SHINGLE)
            s_add(st->votes, s_shingle_hash(st->window, S_SHINGLE));
    }
}

static uint64_t s_finish(s_state_t *st)
{
    if (st->seen == 0)
        return 0;
    if (st->seen < S_SHINGLE)
        s_add(st->votes, s_shingle_hash(st->window, st->seen));
    uint64_t h = 0;
    for (int b = 0; b < 64; b++)
        if (st->votes[b] > 0)
            h |= 1ull << b;
    return h;
}

uint64_t router_simhash(const char *text, size_t len)
{
    s_state_t st = {0};
    s_feed(&st, text, len);
    return s_finish(&st);
}

uint64_t router_simhash_clue(const char *title, const char *description)
{
    /*  One stream: the title runs on into the description, as a reader
     *  would read them. */
    s_state_t st = {0};
    if (title)
        s_feed(&st, title, strlen(title));
    if (description)
        s_feed(&st, description, strlen(description));
    return s_finish(&st);
}

int router_simhash_distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

int16_t router_simhash_band(uint64_t hash, int i)
{
    uint16_t band = (uint16_t)(hash >> (16 * i));
    /*  Two's complement reinterpretation without implementation-defined
     *  conversion. */
    return band < 0x8000 ? (int16_t)band : (int16_t)((int32_t)band - 0x10000);
}

double router_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1.0, sqrt(a)));
}

bool router_simhash_same_matter(const router_clue_sig_t *a, const router_clue_sig_t *b,
                                int max_distance, int64_t window_ms, double near_km)
{
    if (strcmp(a->field_code, b->field_code) != 0)
        return false;
    if (llabs(a->received_ms - b->received_ms) > window_ms)
        return false;
    bool place = strcmp(a->region_code, b->region_code) == 0 ||
                 (a->has_coordinates && b->has_coordinates &&
                  router_distance_km(a->lat, a->lon, b->lat, b->lon) <= near_km);
    return place && router_simhash_distance(a->simhash, b->simhash) <= max_distance;
}
