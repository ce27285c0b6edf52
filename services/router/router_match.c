/*  router_match — see router_match.h. */
#include "router_match.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

struct router_match {
    int32_t *next; /* nstates x 256: trie edges, then (compiled) the full DFA */
    int32_t *fail; /* per state: longest proper suffix that is a trie state */
    int32_t *out;  /* per state: first keyword ending here, or -1 */
    int32_t *dict; /* per state: nearest state on the fail chain with output, or -1 */
    size_t nstates;
    size_t cap;        /* states allocated */
    char **keywords;   /* by index */
    int32_t *same_end; /* per keyword: next keyword ending in the same state, or -1 */
    size_t nkeywords;
    bool compiled;
};

static unsigned char s_fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int32_t s_new_state(router_match_t *self)
{
    if (self->nstates == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->next = gy_realloc(self->next, self->cap * 256 * sizeof *self->next);
        self->fail = gy_realloc(self->fail, self->cap * sizeof *self->fail);
        self->out = gy_realloc(self->out, self->cap * sizeof *self->out);
        self->dict = gy_realloc(self->dict, self->cap * sizeof *self->dict);
    }
    size_t s = self->nstates++;
    for (int c = 0; c < 256; c++)
        self->next[s * 256 + (size_t)c] = -1;
    self->fail[s] = 0;
    self->out[s] = -1;
    self->dict[s] = -1;
    return (int32_t)s;
}

router_match_t *router_match_new(void)
{
    router_match_t *self = gy_calloc(1, sizeof *self);
    s_new_state(self); /* the root */
    return self;
}

void router_match_destroy(router_match_t **self_p)
{
    assert(self_p);
    router_match_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nkeywords; i++)
        free(self->keywords[i]);
    free(self->keywords);
    free(self->same_end);
    free(self->dict);
    free(self->out);
    free(self->fail);
    free(self->next);
    free(self);
    *self_p = NULL;
}

size_t router_match_add(router_match_t *self, const char *keyword)
{
    assert(!self->compiled);
    assert(keyword && *keyword);
    int32_t s = 0;
    for (const unsigned char *p = (const unsigned char *)keyword; *p; p++) {
        size_t edge = (size_t)s * 256 + s_fold(*p);
        if (self->next[edge] < 0) {
            int32_t t = s_new_state(self); /* may move self->next */
            self->next[edge] = t;
        }
        s = self->next[edge];
    }
    size_t k = self->nkeywords++;
    self->keywords = gy_realloc(self->keywords, self->nkeywords * sizeof *self->keywords);
    self->same_end = gy_realloc(self->same_end, self->nkeywords * sizeof *self->same_end);
    self->keywords[k] = gy_strdup(keyword);
    /*  Keep the chain in index order so hits come out in index order. */
    self->same_end[k] = -1;
    if (self->out[s] < 0) {
        self->out[s] = (int32_t)k;
    } else {
        int32_t last = self->out[s];
        while (self->same_end[last] >= 0)
            last = self->same_end[last];
        self->same_end[last] = (int32_t)k;
    }
    return k;
}

void router_match_compile(router_match_t *self)
{
    assert(!self->compiled);
    self->compiled = true;
    /*  Breadth first, so a state's fail target is final before its
     *  children need it.  Missing edges become the fail target's edges,
     *  which turns the trie into a DFA: scanning never follows fail links. */
    int32_t *queue = gy_malloc(self->nstates * sizeof *queue);
    size_t head = 0, tail = 0;
    for (int c = 0; c < 256; c++) {
        int32_t t = self->next[c];
        if (t < 0) {
            self->next[c] = 0;
        } else {
            self->fail[t] = 0;
            queue[tail++] = t;
        }
    }
    while (head < tail) {
        int32_t s = queue[head++];
        int32_t f = self->fail[s];
        self->dict[s] = self->out[f] >= 0 ? f : self->dict[f];
        for (int c = 0; c < 256; c++) {
            size_t edge = (size_t)s * 256 + (size_t)c;
            int32_t t = self->next[edge];
            if (t < 0) {
                self->next[edge] = self->next[(size_t)f * 256 + (size_t)c];
            } else {
                self->fail[t] = self->next[(size_t)f * 256 + (size_t)c];
                queue[tail++] = t;
            }
        }
    }
    free(queue);
}

size_t router_match_count(const router_match_t *self)
{
    return self->nkeywords;
}

const char *router_match_keyword(const router_match_t *self, size_t keyword)
{
    assert(keyword < self->nkeywords);
    return self->keywords[keyword];
}

static void s_report(const router_match_t *self, int32_t state, size_t end, router_match_fn *fn,
                     void *arg)
{
    for (int32_t k = self->out[state]; k >= 0; k = self->same_end[k])
        fn(arg, (size_t)k, end);
}

void router_match_scan(const router_match_t *self, const char *text, size_t len,
                       router_match_fn *fn, void *arg)
{
    assert(self->compiled);
    int32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s = self->next[(size_t)s * 256 + s_fold((unsigned char)text[i])];
        /*  Longest match first, then its suffixes that are keywords too. */
        if (self->out[s] >= 0)
            s_report(self, s, i + 1, fn, arg);
        for (int32_t d = self->dict[s]; d >= 0; d = self->dict[d])
            s_report(self, d, i + 1, fn, arg);
    }
}
