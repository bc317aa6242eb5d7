/*
 * Matching core: price-time priority limit order books over arena pools. Hot path.
 *
 * One Core holds the books of all symbols of a venue and the venue-wide order-id and execution-id
 * counters. Each book keeps its resting orders in a struct-of-arrays arena (slots recycled through a
 * free list, arrays grown by doubling), a dense price ladder over the instrument's price band (FIFO
 * queue per level as an intrusive doubly linked list of arena slots), a bitmap of non-empty levels
 * (next best price found with count-leading/trailing-zeros), and two open-addressing hash maps
 * (order id -> slot, (owner, client order id) -> slot) that store only slots and compare keys in
 * the arena.
 *
 * No Python object is created per order: commands come in as C integers (per-command entry points)
 * or as packed records (batch entry point) and events go out as packed records whose layout mirrors
 * hftsim.core.arrays.EVENT_DTYPE. The semantics are specified once, in hftsim/book/reference.py, the
 * naive twin that property tests compare this engine against event for event.
 */
#define PY_SSIZE_T_CLEAN
#ifdef __linux__
#define _GNU_SOURCE /* mremap */
#endif
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------ records (see core/arrays.py) */

#include "records.h"

enum { LIMIT = 1, MARKET = 2 };
enum { GTC = 1, DAY = 2, IOC = 3, FOK = 4 };
enum { STP_NONE = 0, STP_CANCEL_RESTING = 1, STP_CANCEL_INCOMING = 2, STP_DECREMENT_BOTH = 3 };
enum {
    R_NONE = 0, R_UNKNOWN_SYMBOL = 1, R_OFF_TICK = 2, R_OUT_OF_BAND = 3, R_INVALID_QTY = 4, R_OFF_LOT = 5,
    R_QTY_TOO_LARGE = 6, R_UNKNOWN_ORDER = 7, R_DUPLICATE_CLID = 8, R_POST_ONLY_CROSS = 9,
    R_INVALID_SIDE = 10, R_INVALID_ORDER_TYPE = 11, R_INVALID_TIF = 12, R_INVALID_COMMAND = 13,
    R_USER = 20, R_SELF_TRADE = 21, R_NO_LIQUIDITY = 22, R_END_OF_SESSION = 23
};

/* ------------------------------------------------------------------ book */

typedef struct {
    int32_t *buckets; /* slot + 1; 0 = empty */
    uint32_t mask;
    int32_t n;
} Map;

typedef struct {
    int64_t band_lo, band_hi, price_step, lot, max_qty;
    int32_t width, nwords;
    /* ladder, indexed by price - band_lo; a level is empty when its count is 0 */
    int32_t *lvl_head, *lvl_tail, *lvl_count;
    int64_t *lvl_qty;
    uint64_t *bitmap;
    int32_t best_bid, best_ask; /* level index, -1 when the side is empty */
    /* arena */
    int32_t cap, free_head, n_live;
    int64_t *o_id, *o_clid, *o_leaves;
    int32_t *o_owner, *o_prev, *o_next, *o_lvl;
    int8_t *o_side;
    uint8_t *o_tif, *o_post;
    Map ids, clids;
} Book;

typedef struct {
    PyObject_HEAD
    Book *books;
    int32_t n_books;
    int stp_mode;
    int64_t next_order_id, next_exec_id;
    /* event output: either the internal buffer (per command) or a bytearray (batch) */
    Ev *ev;
    Py_ssize_t ev_n, ev_cap;
    PyObject *ev_bytearray; /* borrowed during run_batch, else NULL */
    int oom;
} Core;

/*
 * Large arrays (arena, maps, ladder) live in their own anonymous mappings: growth by mremap never
 * copies or leaves heap holes behind, untouched pages cost nothing, and freed memory goes back to the
 * OS at once. (With malloc, glibc's rising mmap threshold moved them onto the heap, where doubling left
 * fragments: 1M resting orders cost 74 MB of RSS instead of the arrays' 59 MB.)
 */
static void *big_realloc(void *p, size_t old_bytes, size_t new_bytes) {
    if (new_bytes == 0) new_bytes = 1;
    if (!p) {
        void *q = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return q == MAP_FAILED ? NULL : q;
    }
#ifdef __linux__
    void *q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
#else
    void *q = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) return NULL;
    memcpy(q, p, old_bytes < new_bytes ? old_bytes : new_bytes);
    munmap(p, old_bytes);
    return q;
#endif
}

static void big_free(void *p, size_t bytes) {
    if (p) munmap(p, bytes ? bytes : 1);
}

/* zero-filled, like calloc */
static void *big_zeros(size_t bytes) { return big_realloc(NULL, 0, bytes); }

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t hash_id(int64_t id) { return mix64((uint64_t)id); }
static inline uint64_t hash_clid(int32_t owner, int64_t clid) {
    return mix64((uint64_t)clid ^ ((uint64_t)(uint32_t)owner << 40) ^ 0x9e3779b97f4a7c15ULL);
}

static int map_init(Map *m, uint32_t nb) {
    m->buckets = (int32_t *)big_zeros((size_t)nb * sizeof(int32_t));
    m->mask = nb - 1;
    m->n = 0;
    return m->buckets ? 0 : -1;
}

static int32_t id_find(Book *b, int64_t id) {
    uint32_t i = (uint32_t)hash_id(id) & b->ids.mask;
    for (;;) {
        int32_t v = b->ids.buckets[i];
        if (v == 0) return -1;
        if (b->o_id[v - 1] == id) return v - 1;
        i = (i + 1) & b->ids.mask;
    }
}

static int32_t clid_find(Book *b, int32_t owner, int64_t clid) {
    uint32_t i = (uint32_t)hash_clid(owner, clid) & b->clids.mask;
    for (;;) {
        int32_t v = b->clids.buckets[i];
        if (v == 0) return -1;
        if (b->o_clid[v - 1] == clid && b->o_owner[v - 1] == owner) return v - 1;
        i = (i + 1) & b->clids.mask;
    }
}

static uint64_t slot_hash(Book *b, int is_clid, int32_t s) {
    return is_clid ? hash_clid(b->o_owner[s], b->o_clid[s]) : hash_id(b->o_id[s]);
}

static void map_put(Book *b, Map *m, int is_clid, int32_t s) {
    uint32_t i = (uint32_t)slot_hash(b, is_clid, s) & m->mask;
    while (m->buckets[i] != 0) i = (i + 1) & m->mask;
    m->buckets[i] = s + 1;
    m->n++;
}

static int map_grow(Book *b, Map *m, int is_clid) {
    Map old = *m;
    if (map_init(m, (old.mask + 1) * 2) < 0) { *m = old; return -1; }
    for (uint32_t i = 0; i <= old.mask; i++)
        if (old.buckets[i]) map_put(b, m, is_clid, old.buckets[i] - 1);
    big_free(old.buckets, ((size_t)old.mask + 1) * sizeof(int32_t));
    return 0;
}

/* Linear probing with backward-shift deletion: no tombstones, probe lengths stay short. */
static void map_del(Book *b, Map *m, int is_clid, int32_t s) {
    uint32_t i = (uint32_t)slot_hash(b, is_clid, s) & m->mask;
    while (m->buckets[i] != s + 1) i = (i + 1) & m->mask;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        int32_t v = m->buckets[j];
        if (v == 0) break;
        uint32_t home = (uint32_t)slot_hash(b, is_clid, v - 1) & m->mask;
        /* move v back to i when i lies cyclically in [home, j) */
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->buckets[i] = v;
            i = j;
        }
    }
    m->buckets[i] = 0;
    m->n--;
}

#define GROW(arr, type, ncap)                                                                  \
    do {                                                                                       \
        void *p_ = big_realloc((arr), (size_t)b->cap * sizeof(type), (size_t)(ncap) * sizeof(type)); \
        if (!p_) return -1;                                                                    \
        (arr) = (type *)p_;                                                                    \
    } while (0)

static int arena_grow(Book *b) {
    int32_t ncap = b->cap ? b->cap * 2 : 1024;
    GROW(b->o_id, int64_t, ncap); GROW(b->o_clid, int64_t, ncap); GROW(b->o_leaves, int64_t, ncap);
    GROW(b->o_owner, int32_t, ncap); GROW(b->o_prev, int32_t, ncap); GROW(b->o_next, int32_t, ncap);
    GROW(b->o_lvl, int32_t, ncap); GROW(b->o_side, int8_t, ncap); GROW(b->o_tif, uint8_t, ncap);
    GROW(b->o_post, uint8_t, ncap);
    for (int32_t s = ncap - 1; s >= b->cap; s--) { b->o_next[s] = b->free_head; b->free_head = s; }
    b->cap = ncap;
    return 0;
}

static int32_t slot_alloc(Book *b) {
    if (b->free_head < 0 && arena_grow(b) < 0) return -1;
    int32_t s = b->free_head;
    b->free_head = b->o_next[s];
    b->n_live++;
    return s;
}

static void slot_free(Book *b, int32_t s) {
    map_del(b, &b->ids, 0, s);
    if (b->o_clid[s] != 0) map_del(b, &b->clids, 1, s);
    b->o_next[s] = b->free_head;
    b->free_head = s;
    b->n_live--;
}

/* Register a slot in the maps; grow them first so the load factor stays at most 0.5 (short probes). */
static int slot_index(Book *b, int32_t s) {
    if ((uint64_t)(b->ids.n + 1) * 2 > (uint64_t)(b->ids.mask + 1) && map_grow(b, &b->ids, 0) < 0) return -1;
    map_put(b, &b->ids, 0, s);
    if (b->o_clid[s] != 0) {
        if ((uint64_t)(b->clids.n + 1) * 2 > (uint64_t)(b->clids.mask + 1) && map_grow(b, &b->clids, 1) < 0)
            return -1;
        map_put(b, &b->clids, 1, s);
    }
    return 0;
}

/* ------------------------------------------------------------------ ladder */

static inline void bit_set(Book *b, int32_t l) { b->bitmap[l >> 6] |= 1ULL << (l & 63); }
static inline void bit_clear(Book *b, int32_t l) { b->bitmap[l >> 6] &= ~(1ULL << (l & 63)); }

/* Highest non-empty level <= l, or -1. */
static int32_t level_below(Book *b, int32_t l) {
    if (l < 0) return -1;
    int32_t w = l >> 6;
    uint64_t word = b->bitmap[w] & (((l & 63) == 63) ? ~0ULL : ((1ULL << ((l & 63) + 1)) - 1));
    for (;;) {
        if (word) return (w << 6) + 63 - __builtin_clzll(word);
        if (--w < 0) return -1;
        word = b->bitmap[w];
    }
}

/* Lowest non-empty level >= l, or -1. */
static int32_t level_above(Book *b, int32_t l) {
    if (l >= b->width) return -1;
    int32_t w = l >> 6;
    uint64_t word = b->bitmap[w] & (~0ULL << (l & 63));
    for (;;) {
        if (word) return (w << 6) + __builtin_ctzll(word);
        if (++w >= b->nwords) return -1;
        word = b->bitmap[w];
    }
}

static void level_append(Book *b, int32_t s) {
    int32_t l = b->o_lvl[s];
    b->o_next[s] = -1;
    if (b->lvl_count[l] == 0) {
        b->o_prev[s] = -1;
        b->lvl_head[l] = s;
        b->lvl_qty[l] = 0;
        bit_set(b, l);
        if (b->o_side[s] > 0) { if (l > b->best_bid) b->best_bid = l; }
        else if (b->best_ask < 0 || l < b->best_ask) b->best_ask = l;
    } else {
        b->o_prev[s] = b->lvl_tail[l];
        b->o_next[b->lvl_tail[l]] = s;
    }
    b->lvl_tail[l] = s;
    b->lvl_count[l]++;
    b->lvl_qty[l] += b->o_leaves[s];
}

/* Unlink a slot from its level (its leaves must still be counted in the level's quantity). */
static void level_unlink(Book *b, int32_t s) {
    int32_t l = b->o_lvl[s];
    int32_t p = b->o_prev[s], n = b->o_next[s];
    if (p >= 0) b->o_next[p] = n; else b->lvl_head[l] = n;
    if (n >= 0) b->o_prev[n] = p; else b->lvl_tail[l] = p;
    b->lvl_qty[l] -= b->o_leaves[s];
    if (--b->lvl_count[l] == 0) {
        bit_clear(b, l);
        if (l == b->best_bid) b->best_bid = level_below(b, l - 1);
        else if (l == b->best_ask) b->best_ask = level_above(b, l + 1);
    }
}

static void book_free(Book *b) {
    size_t w = (size_t)b->width, cap = (size_t)b->cap;
    big_free(b->lvl_head, w * 4); big_free(b->lvl_tail, w * 4); big_free(b->lvl_count, w * 4);
    big_free(b->lvl_qty, w * 8); big_free(b->bitmap, (size_t)b->nwords * 8);
    big_free(b->o_id, cap * 8); big_free(b->o_clid, cap * 8); big_free(b->o_leaves, cap * 8);
    big_free(b->o_owner, cap * 4); big_free(b->o_prev, cap * 4); big_free(b->o_next, cap * 4);
    big_free(b->o_lvl, cap * 4); big_free(b->o_side, cap); big_free(b->o_tif, cap); big_free(b->o_post, cap);
    if (b->ids.buckets) big_free(b->ids.buckets, ((size_t)b->ids.mask + 1) * 4);
    if (b->clids.buckets) big_free(b->clids.buckets, ((size_t)b->clids.mask + 1) * 4);
    memset(b, 0, sizeof(*b));
}

static int book_init(Book *b, int64_t lo, int64_t hi, int64_t step, int64_t lot, int64_t max_qty, int32_t capacity) {
    memset(b, 0, sizeof(*b));
    b->band_lo = lo; b->band_hi = hi; b->price_step = step; b->lot = lot; b->max_qty = max_qty;
    b->width = (int32_t)(hi - lo + 1);
    b->nwords = (b->width + 63) / 64;
    b->best_bid = b->best_ask = -1;
    b->free_head = -1;
    /* zero-filled mappings: pages of the ladder that are never touched cost no memory */
    b->lvl_head = (int32_t *)big_zeros((size_t)b->width * sizeof(int32_t));
    b->lvl_tail = (int32_t *)big_zeros((size_t)b->width * sizeof(int32_t));
    b->lvl_count = (int32_t *)big_zeros((size_t)b->width * sizeof(int32_t));
    b->lvl_qty = (int64_t *)big_zeros((size_t)b->width * sizeof(int64_t));
    b->bitmap = (uint64_t *)big_zeros((size_t)b->nwords * sizeof(uint64_t));
    if (!b->lvl_head || !b->lvl_tail || !b->lvl_count || !b->lvl_qty || !b->bitmap) return -1;
    /* the maps start small and double with the live count: sparse maps would spread lookups over
     * memory the cache cannot hold */
    if (map_init(&b->ids, 1024) < 0 || map_init(&b->clids, 1024) < 0) return -1;
    do {
        if (arena_grow(b) < 0) return -1;
    } while (b->cap < capacity);
    return 0;
}

/* ------------------------------------------------------------------ events */

static int batch_out_grow(Core *c, Py_ssize_t ncap);

static Ev *ev_push(Core *c) {
    if (c->ev_n == c->ev_cap) {
        Py_ssize_t ncap = c->ev_cap ? c->ev_cap * 2 : 256;
        if (c->ev_bytearray) {
            if (batch_out_grow(c, ncap) < 0) { c->oom = 1; return NULL; }
        } else {
            void *p = realloc(c->ev, (size_t)ncap * sizeof(Ev));
            if (!p) { c->oom = 1; return NULL; }
            c->ev = (Ev *)p;
        }
        c->ev_cap = ncap;
    }
    Ev *e = &c->ev[c->ev_n++];
    memset(e, 0, sizeof(Ev));
    return e;
}

/* The scratch record that stands for the command being applied. */
typedef struct {
    int64_t seq, ts;
    int32_t sym;
    int32_t mkt_slot; /* slot of a market-order aggressor (events about it carry price 0), else -1 */
} Ctx;

#define EV_OR_FAIL(e, c) Ev *e = ev_push(c); if (!e) return -1

static int emit_reject(Core *c, const Ctx *x, int64_t order_id, int64_t clid, int32_t owner, int reason) {
    EV_OR_FAIL(e, c);
    e->cmd_seq = x->seq; e->ts_event = x->ts; e->symbol_id = x->sym; e->kind = EV_REJECTED;
    e->order_id = order_id; e->client_order_id = clid; e->owner_id = owner; e->reason = (uint8_t)reason;
    return 0;
}

/* An event about the order in slot s: price and side come from the arena. */
static Ev *emit_order(Core *c, const Ctx *x, Book *b, int32_t s, int kind) {
    Ev *e = ev_push(c);
    if (!e) return NULL;
    e->cmd_seq = x->seq; e->ts_event = x->ts; e->symbol_id = x->sym; e->kind = (uint8_t)kind;
    e->order_id = b->o_id[s]; e->client_order_id = b->o_clid[s]; e->owner_id = b->o_owner[s];
    e->side = b->o_side[s]; e->leaves_qty = b->o_leaves[s];
    e->price_ticks = s == x->mkt_slot ? 0 : b->band_lo + b->o_lvl[s];
    return e;
}

static int emit_delta(Core *c, const Ctx *x, Book *b, int32_t l, int8_t side) {
    EV_OR_FAIL(e, c);
    e->cmd_seq = x->seq; e->ts_event = x->ts; e->symbol_id = x->sym; e->kind = EV_BOOK_DELTA;
    e->side = side; e->price_ticks = b->band_lo + l; e->leaves_qty = b->lvl_qty[l]; e->level_orders = b->lvl_count[l];
    return 0;
}

/* ------------------------------------------------------------------ matching */

static inline int stp_hits(Core *c, int32_t owner, Book *b, int32_t r) {
    return c->stp_mode != STP_NONE && owner != 0 && b->o_owner[r] == owner;
}

/* The best opposite level the aggressor in slot s may trade with, or -1. */
static inline int32_t crossable_level(Book *b, int32_t s, int is_market) {
    if (b->o_side[s] > 0) {
        int32_t l = b->best_ask;
        return (l >= 0 && (is_market || l <= b->o_lvl[s])) ? l : -1;
    }
    int32_t l = b->best_bid;
    return (l >= 0 && (is_market || l >= b->o_lvl[s])) ? l : -1;
}

/* FOK: would the aggressor fill completely, honouring self-trade prevention? */
static int fok_fillable(Core *c, Book *b, int32_t s, int is_market) {
    int64_t need = b->o_leaves[s];
    int8_t side = b->o_side[s];
    int32_t l = crossable_level(b, s, is_market);
    while (l >= 0) {
        for (int32_t r = b->lvl_head[l]; r >= 0; r = b->o_next[r]) {
            if (stp_hits(c, b->o_owner[s], b, r)) {
                if (c->stp_mode == STP_CANCEL_RESTING) continue;
                return 0;
            }
            need -= b->o_leaves[r];
            if (need <= 0) return 1;
        }
        if (side > 0) {
            l = level_above(b, l + 1);
            if (l >= 0 && !is_market && l > b->o_lvl[s]) l = -1;
        } else {
            l = level_below(b, l - 1);
            if (l >= 0 && !is_market && l < b->o_lvl[s]) l = -1;
        }
    }
    return 0;
}

/* Remove a resting order that has left the book entirely. */
static void rest_remove(Book *b, int32_t r) {
    level_unlink(b, r);
    slot_free(b, r);
}

/*
 * Match the aggressor in slot s (not linked into any level) against the opposite side.
 * Returns 1 when self-trade prevention ended the aggressor, 0 otherwise, -1 on memory failure.
 */
static int match(Core *c, const Ctx *x, Book *b, int32_t s, int is_market) {
    int8_t side = b->o_side[s];
    int32_t owner = b->o_owner[s];
    while (b->o_leaves[s] > 0) {
        int32_t l = crossable_level(b, s, is_market);
        if (l < 0) break;
        int32_t r = b->lvl_head[l];
        int8_t rside = b->o_side[r];
        if (stp_hits(c, owner, b, r)) {
            if (c->stp_mode == STP_CANCEL_RESTING) {
                Ev *e = emit_order(c, x, b, r, EV_CANCELED);
                if (!e) return -1;
                e->qty = b->o_leaves[r]; e->leaves_qty = 0; e->reason = R_SELF_TRADE;
                rest_remove(b, r);
                if (emit_delta(c, x, b, l, rside) < 0) return -1;
                continue;
            }
            if (c->stp_mode == STP_CANCEL_INCOMING) {
                Ev *e = emit_order(c, x, b, s, EV_CANCELED);
                if (!e) return -1;
                e->qty = b->o_leaves[s]; e->leaves_qty = 0; e->reason = R_SELF_TRADE;
                b->o_leaves[s] = 0;
                return 1;
            }
            /* decrement both by the smaller quantity, no trade */
            int64_t d = b->o_leaves[r] < b->o_leaves[s] ? b->o_leaves[r] : b->o_leaves[s];
            b->o_leaves[r] -= d; b->lvl_qty[l] -= d;
            Ev *e = emit_order(c, x, b, r, EV_CANCELED);
            if (!e) return -1;
            e->qty = d; e->reason = R_SELF_TRADE;
            if (b->o_leaves[r] == 0) rest_remove(b, r);
            if (emit_delta(c, x, b, l, rside) < 0) return -1;
            b->o_leaves[s] -= d;
            e = emit_order(c, x, b, s, EV_CANCELED);
            if (!e) return -1;
            e->qty = d; e->reason = R_SELF_TRADE;
            if (b->o_leaves[s] == 0) return 1;
            continue;
        }
        int64_t f = b->o_leaves[r] < b->o_leaves[s] ? b->o_leaves[r] : b->o_leaves[s];
        int64_t exec_id = c->next_exec_id++;
        int64_t px = b->band_lo + l;
        b->o_leaves[r] -= f; b->lvl_qty[l] -= f;
        b->o_leaves[s] -= f;
        Ev *e = emit_order(c, x, b, r, EV_FILLED);
        if (!e) return -1;
        e->contra_order_id = b->o_id[s]; e->exec_id = exec_id; e->qty = f; e->aggressor_side = side;
        e = emit_order(c, x, b, s, EV_FILLED);
        if (!e) return -1;
        e->contra_order_id = b->o_id[r]; e->exec_id = exec_id; e->price_ticks = px; e->qty = f;
        e->aggressor_side = side; e->flags = F_AGGRESSOR;
        e = ev_push(c);
        if (!e) return -1;
        e->cmd_seq = x->seq; e->ts_event = x->ts; e->symbol_id = x->sym; e->kind = EV_TRADE;
        e->exec_id = exec_id; e->order_id = b->o_id[r]; e->contra_order_id = b->o_id[s];
        e->price_ticks = px; e->qty = f; e->side = side; e->aggressor_side = side;
        if (b->o_leaves[r] == 0) rest_remove(b, r);
        if (emit_delta(c, x, b, l, rside) < 0) return -1;
    }
    return 0;
}

/* After matching: rest the remainder (GTC/DAY limit) or expire it. Frees the slot when done. */
static int finish_aggressor(Core *c, const Ctx *x, Book *b, int32_t s, int is_market, int stp_ended) {
    if (stp_ended || b->o_leaves[s] == 0) { slot_free(b, s); return 0; }
    if (!is_market && (b->o_tif[s] == GTC || b->o_tif[s] == DAY)) {
        level_append(b, s);
        return emit_delta(c, x, b, b->o_lvl[s], b->o_side[s]);
    }
    Ev *e = emit_order(c, x, b, s, EV_EXPIRED);
    if (!e) return -1;
    e->qty = b->o_leaves[s]; e->leaves_qty = 0; e->reason = R_NO_LIQUIDITY;
    slot_free(b, s);
    return 0;
}

static inline int would_cross(Book *b, int8_t side, int32_t l) {
    return side > 0 ? (b->best_ask >= 0 && l >= b->best_ask) : (b->best_bid >= 0 && l <= b->best_bid);
}

static int check_qty(Book *b, int64_t qty) {
    if (qty <= 0) return R_INVALID_QTY;
    if (qty % b->lot) return R_OFF_LOT;
    if (qty > b->max_qty) return R_QTY_TOO_LARGE;
    return R_NONE;
}

static int check_price(Book *b, int64_t px) {
    if (px < b->band_lo || px > b->band_hi) return R_OUT_OF_BAND;
    if (px % b->price_step) return R_OFF_TICK;
    return R_NONE;
}

static int do_new(Core *c, const Ctx *x0, int side, int otype, int tif, int post, int64_t px, int64_t qty,
                  int32_t owner, int64_t clid) {
    if (x0->sym < 0 || x0->sym >= c->n_books) return emit_reject(c, x0, 0, clid, owner, R_UNKNOWN_SYMBOL);
    Book *b = &c->books[x0->sym];
    int is_market = otype == MARKET;
    int reason = R_NONE;
    if (side != 1 && side != -1) reason = R_INVALID_SIDE;
    else if ((otype != LIMIT && otype != MARKET) || (is_market && post)) reason = R_INVALID_ORDER_TYPE;
    else if (tif < GTC || tif > FOK) reason = R_INVALID_TIF;
    else if ((reason = check_qty(b, qty)) != R_NONE) {}
    else if (!is_market && (reason = check_price(b, px)) != R_NONE) {}
    else if (clid != 0 && clid_find(b, owner, clid) >= 0) reason = R_DUPLICATE_CLID;
    else if (post && would_cross(b, (int8_t)side, (int32_t)(px - b->band_lo))) reason = R_POST_ONLY_CROSS;
    if (reason != R_NONE) return emit_reject(c, x0, 0, clid, owner, reason);

    int32_t s = slot_alloc(b);
    if (s < 0) { c->oom = 1; return -1; }
    Ctx ctx = *x0;
    ctx.mkt_slot = is_market ? s : -1;
    const Ctx *x = &ctx;
    b->o_id[s] = c->next_order_id++; b->o_clid[s] = clid; b->o_leaves[s] = qty; b->o_owner[s] = owner;
    b->o_side[s] = (int8_t)side; b->o_tif[s] = (uint8_t)tif; b->o_post[s] = post ? 1 : 0;
    b->o_lvl[s] = is_market ? 0 : (int32_t)(px - b->band_lo);
    if (slot_index(b, s) < 0) { c->oom = 1; return -1; }
    Ev *e = emit_order(c, x, b, s, EV_ACCEPTED);
    if (!e) return -1;
    e->qty = qty; e->flags = post ? F_POST_ONLY : 0;
    if (tif == FOK && !fok_fillable(c, b, s, is_market)) {
        e = emit_order(c, x, b, s, EV_EXPIRED);
        if (!e) return -1;
        e->qty = qty; e->leaves_qty = 0; e->reason = R_NO_LIQUIDITY;
        slot_free(b, s);
        return 0;
    }
    int ended = match(c, x, b, s, is_market);
    if (ended < 0) return -1;
    return finish_aggressor(c, x, b, s, is_market, ended);
}

/* Find a live order of this owner in this book; on failure emit the reject and return -1 (or -2 on OOM). */
static int32_t find_owned(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid) {
    if (x->sym < 0 || x->sym >= c->n_books) return emit_reject(c, x, order_id, clid, owner, R_UNKNOWN_SYMBOL) - 1;
    Book *b = &c->books[x->sym];
    int32_t s = id_find(b, order_id);
    if (s < 0 || b->o_owner[s] != owner) return emit_reject(c, x, order_id, clid, owner, R_UNKNOWN_ORDER) - 1;
    return s;
}

static int do_cancel(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid) {
    int32_t s = find_owned(c, x, order_id, owner, clid);
    if (s < 0) return s == -1 ? 0 : -1;
    Book *b = &c->books[x->sym];
    Ev *e = emit_order(c, x, b, s, EV_CANCELED);
    if (!e) return -1;
    e->qty = b->o_leaves[s]; e->leaves_qty = 0; e->reason = R_USER;
    int32_t l = b->o_lvl[s];
    int8_t side = b->o_side[s];
    rest_remove(b, s);
    return emit_delta(c, x, b, l, side);
}

static int do_replace(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid, int64_t px,
                      int64_t qty) {
    int32_t s = find_owned(c, x, order_id, owner, clid);
    if (s < 0) return s == -1 ? 0 : -1;
    Book *b = &c->books[x->sym];
    int reason = check_qty(b, qty);
    if (reason == R_NONE) reason = check_price(b, px);
    if (reason == R_NONE && clid != 0 && clid != b->o_clid[s] && clid_find(b, owner, clid) >= 0)
        reason = R_DUPLICATE_CLID;
    int32_t nl = (int32_t)(px - b->band_lo);
    int32_t ol = b->o_lvl[s];
    int8_t side = b->o_side[s];
    if (reason == R_NONE && b->o_post[s] && nl != ol && would_cross(b, side, nl)) reason = R_POST_ONLY_CROSS;
    if (reason != R_NONE) return emit_reject(c, x, order_id, clid, owner, reason);

    int64_t prev_leaves = b->o_leaves[s];
    if (clid != b->o_clid[s]) {
        if (b->o_clid[s] != 0) map_del(b, &b->clids, 1, s);
        b->o_clid[s] = clid;
        if (clid != 0) {
            if ((uint64_t)(b->clids.n + 1) * 2 > (uint64_t)(b->clids.mask + 1) && map_grow(b, &b->clids, 1) < 0) {
                c->oom = 1;
                return -1;
            }
            map_put(b, &b->clids, 1, s);
        }
    }
    if (nl == ol && qty <= prev_leaves) {
        b->o_leaves[s] = qty;
        b->lvl_qty[ol] -= prev_leaves - qty;
        Ev *e = emit_order(c, x, b, s, EV_REPLACED);
        if (!e) return -1;
        e->qty = prev_leaves; e->contra_order_id = b->band_lo + ol; e->flags = F_PRIORITY_KEPT;
        return qty == prev_leaves ? 0 : emit_delta(c, x, b, ol, side);
    }
    level_unlink(b, s);
    b->o_leaves[s] = qty;
    b->o_lvl[s] = nl;
    Ev *e = emit_order(c, x, b, s, EV_REPLACED);
    if (!e) return -1;
    e->qty = prev_leaves; e->contra_order_id = b->band_lo + ol;
    if (emit_delta(c, x, b, ol, side) < 0) return -1;
    int ended = match(c, x, b, s, 0);
    if (ended < 0) return -1;
    return finish_aggressor(c, x, b, s, 0, ended);
}

/* Expire DAY orders in ascending price, then time priority. */
static int do_end_session(Core *c, const Ctx *x) {
    if (x->sym < 0 || x->sym >= c->n_books) return emit_reject(c, x, 0, 0, 0, R_UNKNOWN_SYMBOL);
    Book *b = &c->books[x->sym];
    for (int32_t l = level_above(b, 0); l >= 0; l = level_above(b, l + 1)) {
        int32_t r = b->lvl_head[l];
        int8_t side = b->o_side[r];
        int any = 0;
        while (r >= 0) {
            int32_t nxt = b->o_next[r];
            if (b->o_tif[r] == DAY) {
                Ev *e = emit_order(c, x, b, r, EV_EXPIRED);
                if (!e) return -1;
                e->qty = b->o_leaves[r]; e->leaves_qty = 0; e->reason = R_END_OF_SESSION;
                rest_remove(b, r);
                any = 1;
            }
            r = nxt;
        }
        if (any && emit_delta(c, x, b, l, side) < 0) return -1;
        if (l + 1 >= b->width) break;
    }
    return 0;
}

static int apply_cmd(Core *c, const Cmd *m) {
    Ctx x = {m->seq, m->ts_event, m->symbol_id, -1};
    switch (m->kind) {
    case CMD_NEW:
        return do_new(c, &x, m->side, m->order_type, m->tif, m->post_only, m->price_ticks, m->qty, m->owner_id,
                      m->client_order_id);
    case CMD_CANCEL:
        return do_cancel(c, &x, m->order_id, m->owner_id, m->client_order_id);
    case CMD_REPLACE:
        return do_replace(c, &x, m->order_id, m->owner_id, m->client_order_id, m->price_ticks, m->qty);
    case CMD_END_SESSION:
        return do_end_session(c, &x);
    default:
        return emit_reject(c, &x, m->order_id, m->client_order_id, m->owner_id, R_INVALID_COMMAND);
    }
}

/* ------------------------------------------------------------------ Python type */

static PyObject *raise_oom(Core *c) {
    c->oom = 0;
    return PyErr_NoMemory();
}

static void Core_dealloc(Core *c) {
    for (int32_t i = 0; i < c->n_books; i++) book_free(&c->books[i]);
    free(c->books);
    free(c->ev);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

/* Core(bands, stp_mode): bands is a sequence of (band_lo, band_hi, price_step, lot, max_qty) per symbol. */
static int Core_init(Core *c, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"instruments", "stp_mode", "capacity", NULL};
    PyObject *seq;
    int stp = STP_CANCEL_RESTING;
    int capacity = 1024;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|ii", kwlist, &seq, &stp, &capacity)) return -1;
    if (capacity < 1 || capacity > (1 << 28)) {
        PyErr_Format(PyExc_ValueError, "capacity must be 1..2^28 orders, got %d", capacity);
        return -1;
    }
    if (c->books != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Core is already initialised; build a new one");
        return -1;
    }
    if (stp < STP_NONE || stp > STP_DECREMENT_BOTH) {
        PyErr_Format(PyExc_ValueError, "stp_mode must be 0..3, got %d", stp);
        return -1;
    }
    PyObject *fast = PySequence_Fast(seq, "instruments must be a sequence of 5-tuples");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    c->books = (Book *)calloc(n ? n : 1, sizeof(Book));
    if (!c->books) { Py_DECREF(fast); PyErr_NoMemory(); return -1; }
    c->n_books = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long lo, hi, step, lot, mx;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "LLLLL", &lo, &hi, &step, &lot, &mx)) {
            Py_DECREF(fast);
            return -1;
        }
        if (hi < lo || lo < 1 || step < 1 || lot < 1 || mx < 1 || hi - lo + 1 > (1LL << 24)) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_ValueError, "instrument %zd: invalid band/step/lot", i);
            return -1;
        }
        if (book_init(&c->books[i], lo, hi, step, lot, mx, capacity) < 0) {
            c->n_books = (int32_t)i + 1;
            Py_DECREF(fast);
            PyErr_NoMemory();
            return -1;
        }
        c->n_books = (int32_t)i + 1;
    }
    Py_DECREF(fast);
    c->stp_mode = stp;
    c->next_order_id = 1;
    c->next_exec_id = 1;
    return 0;
}

static inline int64_t arg_i64(PyObject *const *args, Py_ssize_t i, int *err) {
    long long v = PyLong_AsLongLong(args[i]);
    if (v == -1 && PyErr_Occurred()) *err = 1;
    return v;
}

#define BEGIN_CALL(c) do { (c)->ev_n = 0; } while (0)
#define END_CALL(c, rc) \
    if ((rc) < 0) return raise_oom(c); \
    return PyLong_FromSsize_t((c)->ev_n)

/* new_order(seq, ts, symbol_id, side, order_type, tif, post_only, price_ticks, qty, owner_id, client_order_id) */
static PyObject *Core_new_order(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 11) { PyErr_SetString(PyExc_TypeError, "new_order takes 11 arguments"); return NULL; }
    int err = 0;
    int64_t v[11];
    for (int i = 0; i < 11; i++) v[i] = arg_i64(args, i, &err);
    if (err) return NULL;
    Ctx x = {v[0], v[1], (int32_t)v[2], -1};
    if (v[2] != (int32_t)v[2]) x.sym = -1;
    BEGIN_CALL(c);
    int side = (v[3] == 1 || v[3] == -1) ? (int)v[3] : 0;
    int rc = do_new(c, &x, side, (int)(v[4] & 0xff) == v[4] ? (int)v[4] : 0, (v[5] & 0xff) == v[5] ? (int)v[5] : 0,
                    v[6] != 0, v[7], v[8], (int32_t)v[9], v[10]);
    END_CALL(c, rc);
}

/* cancel(seq, ts, symbol_id, order_id, owner_id, client_order_id) */
static PyObject *Core_cancel(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) { PyErr_SetString(PyExc_TypeError, "cancel takes 6 arguments"); return NULL; }
    int err = 0;
    int64_t v[6];
    for (int i = 0; i < 6; i++) v[i] = arg_i64(args, i, &err);
    if (err) return NULL;
    Ctx x = {v[0], v[1], (int32_t)v[2], -1};
    if (v[2] != (int32_t)v[2]) x.sym = -1;
    BEGIN_CALL(c);
    int rc = do_cancel(c, &x, v[3], (int32_t)v[4], v[5]);
    END_CALL(c, rc);
}

/* replace(seq, ts, symbol_id, order_id, owner_id, client_order_id, price_ticks, qty) */
static PyObject *Core_replace(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8) { PyErr_SetString(PyExc_TypeError, "replace takes 8 arguments"); return NULL; }
    int err = 0;
    int64_t v[8];
    for (int i = 0; i < 8; i++) v[i] = arg_i64(args, i, &err);
    if (err) return NULL;
    Ctx x = {v[0], v[1], (int32_t)v[2], -1};
    if (v[2] != (int32_t)v[2]) x.sym = -1;
    BEGIN_CALL(c);
    int rc = do_replace(c, &x, v[3], (int32_t)v[4], v[5], v[6], v[7]);
    END_CALL(c, rc);
}

/* end_session(seq, ts, symbol_id) */
static PyObject *Core_end_session(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "end_session takes 3 arguments"); return NULL; }
    int err = 0;
    int64_t v[3];
    for (int i = 0; i < 3; i++) v[i] = arg_i64(args, i, &err);
    if (err) return NULL;
    Ctx x = {v[0], v[1], (int32_t)v[2], -1};
    if (v[2] != (int32_t)v[2]) x.sym = -1;
    BEGIN_CALL(c);
    int rc = do_end_session(c, &x);
    END_CALL(c, rc);
}

/* submit_record(record) -> event count: record is a COMMAND_DTYPE row as a flat 13-tuple
 * (seq, ts_event, order_id, client_order_id, price_ticks, qty, owner_id, symbol_id, kind, side,
 *  order_type, tif, post_only), e.g. one element of commands.tolist(). */
static PyObject *Core_submit_record(Core *c, PyObject *rec) {
    if (!PyTuple_Check(rec) || PyTuple_GET_SIZE(rec) != 13) {
        PyErr_SetString(PyExc_TypeError, "submit_record takes a 13-tuple in COMMAND_DTYPE field order");
        return NULL;
    }
    int64_t v[13];
    for (int i = 0; i < 13; i++) {
        v[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(rec, i));
        if (v[i] == -1 && PyErr_Occurred()) return NULL;
    }
    Cmd m;
    m.seq = v[0]; m.ts_event = v[1]; m.order_id = v[2]; m.client_order_id = v[3]; m.price_ticks = v[4];
    m.qty = v[5]; m.owner_id = (int32_t)v[6]; m.symbol_id = v[7] == (int32_t)v[7] ? (int32_t)v[7] : -1;
    m.kind = (uint8_t)v[8];
    m.side = (v[9] == 1 || v[9] == -1) ? (int8_t)v[9] : 0;
    m.order_type = (v[10] & 0xff) == v[10] ? (uint8_t)v[10] : 0;
    m.tif = (v[11] & 0xff) == v[11] ? (uint8_t)v[11] : 0;
    m.post_only = v[12] != 0;
    if ((v[8] & 0xff) != v[8]) m.kind = 0;
    BEGIN_CALL(c);
    int rc = apply_cmd(c, &m);
    END_CALL(c, rc);
}

/* last_events() -> bytes: the events of the last per-command call, as EVENT_DTYPE records. */
static PyObject *Core_last_events(Core *c, PyObject *unused) {
    return PyBytes_FromStringAndSize((const char *)c->ev, c->ev_n * (Py_ssize_t)sizeof(Ev));
}

/* last_event_tuples() -> list of tuples: the same events as EVENT_DTYPE records' tolist(), made directly. */
/* The records evs[0..n) as a list of tuples, field for field as EVENT_DTYPE records' tolist(). */
static PyObject *event_tuples(const Ev *evs, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Ev *e = &evs[i];
        long long v[17] = {e->cmd_seq, e->ts_event, e->order_id, e->contra_order_id, e->client_order_id,
                           e->exec_id, e->price_ticks, e->qty, e->leaves_qty, e->owner_id, e->symbol_id,
                           e->level_orders, e->kind, e->side, e->aggressor_side, e->reason, e->flags};
        PyObject *t = PyTuple_New(17);
        if (t == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        for (int k = 0; k < 17; k++) {
            PyObject *x = PyLong_FromLongLong(v[k]);
            if (x == NULL) {
                Py_DECREF(t);
                Py_DECREF(list);
                return NULL;
            }
            PyTuple_SET_ITEM(t, k, x);
        }
        PyList_SET_ITEM(list, i, t);
    }
    return list;
}

/* last_event_tuples() -> list of tuples: the same events as EVENT_DTYPE records' tolist(), made directly. */
static PyObject *Core_last_event_tuples(Core *c, PyObject *unused) { return event_tuples(c->ev, c->ev_n); }

/* event_tuples(buffer) -> list of tuples: packed EVENT_DTYPE records (bytes, an array) as tolist() gives. */
static PyObject *module_event_tuples(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    PyObject *out = NULL;
    if (view.len % (Py_ssize_t)sizeof(Ev) != 0) {
        PyErr_Format(PyExc_ValueError, "%zd bytes are not whole %zu-byte event records", view.len, sizeof(Ev));
    } else {
        Py_ssize_t n = view.len / (Py_ssize_t)sizeof(Ev);
        Ev *copy = PyMem_Malloc(n ? (size_t)view.len : 1); /* aligned for the struct, whatever the source */
        if (copy == NULL) {
            PyErr_NoMemory();
        } else {
            memcpy(copy, view.buf, (size_t)view.len);
            out = event_tuples(copy, n);
            PyMem_Free(copy);
        }
    }
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef core_functions[] = {
    {"event_tuples", module_event_tuples, METH_O, "Packed EVENT_DTYPE records as a list of tuples (tolist())."},
    {NULL, NULL, 0, NULL},
};

/* Grow the batch output bytearray; if it is exported (a numpy view still holds it), continue in a copy. */
static int batch_out_grow(Core *c, Py_ssize_t ncap) {
    if (PyByteArray_Resize(c->ev_bytearray, ncap * (Py_ssize_t)sizeof(Ev)) == 0) {
        c->ev = (Ev *)PyByteArray_AS_STRING(c->ev_bytearray);
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_BufferError)) return -1;
    PyErr_Clear();
    PyObject *fresh = PyByteArray_FromStringAndSize(NULL, ncap * (Py_ssize_t)sizeof(Ev));
    if (!fresh) return -1;
    memcpy(PyByteArray_AS_STRING(fresh), c->ev, c->ev_n * sizeof(Ev));
    Py_SETREF(c->ev_bytearray, fresh);
    c->ev = (Ev *)PyByteArray_AS_STRING(fresh);
    return 0;
}

/* run_batch(commands, out=None) -> (bytearray, n_events)
 * commands: contiguous buffer of COMMAND_DTYPE records. out: a bytearray to write the events into from
 * its start, reused across calls (grown when needed); None for a new one trimmed to size. */
static PyObject *Core_run_batch(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) { PyErr_SetString(PyExc_TypeError, "run_batch(commands, out=None)"); return NULL; }
    PyObject *reuse = nargs == 2 && args[1] != Py_None ? args[1] : NULL;
    if (reuse && !PyByteArray_Check(reuse)) { PyErr_SetString(PyExc_TypeError, "out must be a bytearray"); return NULL; }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (view.len % (Py_ssize_t)sizeof(Cmd)) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "command buffer of %zd bytes is not a whole number of %zu-byte records",
                     view.len, sizeof(Cmd));
        return NULL;
    }
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(Cmd);
    PyObject *out = reuse ? Py_NewRef(reuse) : PyByteArray_FromStringAndSize(NULL, 0);
    if (!out) { PyBuffer_Release(&view); return NULL; }
    Ev *saved_ev = c->ev;
    Py_ssize_t saved_cap = c->ev_cap;
    c->ev_bytearray = out;
    c->ev = (Ev *)PyByteArray_AS_STRING(out);
    c->ev_cap = PyByteArray_GET_SIZE(out) / (Py_ssize_t)sizeof(Ev);
    c->ev_n = 0;
    const Cmd *cmds = (const Cmd *)view.buf;
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc >= 0; i++) rc = apply_cmd(c, &cmds[i]);
    Py_ssize_t n_ev = c->ev_n;
    out = c->ev_bytearray; /* may have been replaced by a copy */
    c->ev_bytearray = NULL; c->ev = saved_ev; c->ev_cap = saved_cap; c->ev_n = 0;
    PyBuffer_Release(&view);
    if (rc < 0) {
        Py_DECREF(out);
        if (PyErr_Occurred()) { c->oom = 0; return NULL; }
        return raise_oom(c);
    }
    if (!reuse && PyByteArray_Resize(out, n_ev * (Py_ssize_t)sizeof(Ev)) < 0) { Py_DECREF(out); return NULL; }
    return Py_BuildValue("(Nn)", out, n_ev);
}

static Book *book_arg(Core *c, PyObject *arg) {
    long i = PyLong_AsLong(arg);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (i < 0 || i >= c->n_books) { PyErr_Format(PyExc_KeyError, "unknown symbol_id %ld", i); return NULL; }
    return &c->books[i];
}

/* l1(symbol_id) -> (bid_px, bid_qty, bid_orders, ask_px, ask_qty, ask_orders); zeros for an empty side */
static PyObject *Core_l1(Core *c, PyObject *arg) {
    Book *b = book_arg(c, arg);
    if (!b) return NULL;
    long long bp = 0, bq = 0, bn = 0, ap = 0, aq = 0, an = 0;
    if (b->best_bid >= 0) { bp = b->band_lo + b->best_bid; bq = b->lvl_qty[b->best_bid]; bn = b->lvl_count[b->best_bid]; }
    if (b->best_ask >= 0) { ap = b->band_lo + b->best_ask; aq = b->lvl_qty[b->best_ask]; an = b->lvl_count[b->best_ask]; }
    return Py_BuildValue("(LLLLLL)", bp, bq, bn, ap, aq, an);
}

/* l2(symbol_id, depth) -> (bids, asks): lists of (price, qty, orders), best first */
static PyObject *Core_l2(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "l2 takes 2 arguments"); return NULL; }
    Book *b = book_arg(c, args[0]);
    if (!b) return NULL;
    long depth = PyLong_AsLong(args[1]);
    if (depth == -1 && PyErr_Occurred()) return NULL;
    PyObject *bids = PyList_New(0), *asks = PyList_New(0);
    if (!bids || !asks) { Py_XDECREF(bids); Py_XDECREF(asks); return NULL; }
    long k = 0;
    for (int32_t l = b->best_bid; l >= 0 && k < depth; l = level_below(b, l - 1), k++) {
        PyObject *t = Py_BuildValue("(LLi)", (long long)(b->band_lo + l), (long long)b->lvl_qty[l], b->lvl_count[l]);
        if (!t || PyList_Append(bids, t) < 0) { Py_XDECREF(t); Py_DECREF(bids); Py_DECREF(asks); return NULL; }
        Py_DECREF(t);
    }
    k = 0;
    for (int32_t l = b->best_ask; l >= 0 && k < depth; l = level_above(b, l + 1), k++) {
        PyObject *t = Py_BuildValue("(LLi)", (long long)(b->band_lo + l), (long long)b->lvl_qty[l], b->lvl_count[l]);
        if (!t || PyList_Append(asks, t) < 0) { Py_XDECREF(t); Py_DECREF(bids); Py_DECREF(asks); return NULL; }
        Py_DECREF(t);
        if (l + 1 >= b->width) break;
    }
    return Py_BuildValue("(NN)", bids, asks);
}

static void l3_fill(Book *b, int32_t l, L3Rec **w) {
    for (int32_t r = b->lvl_head[l]; r >= 0; r = b->o_next[r]) {
        L3Rec *q = (*w)++;
        q->order_id = b->o_id[r]; q->client_order_id = b->o_clid[r]; q->price_ticks = b->band_lo + l;
        q->leaves_qty = b->o_leaves[r]; q->owner_id = b->o_owner[r]; q->side = b->o_side[r];
        q->tif = b->o_tif[r]; q->post_only = b->o_post[r]; q->pad = 0;
    }
}

/* l3(symbol_id) -> bytes of L3_DTYPE records: bids best first, then asks best first, FIFO within a level */
static PyObject *Core_l3(Core *c, PyObject *arg) {
    Book *b = book_arg(c, arg);
    if (!b) return NULL;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)b->n_live * (Py_ssize_t)sizeof(L3Rec));
    if (!out) return NULL;
    L3Rec *w = (L3Rec *)PyBytes_AS_STRING(out);
    for (int32_t l = b->best_bid; l >= 0; l = level_below(b, l - 1)) l3_fill(b, l, &w);
    for (int32_t l = b->best_ask; l >= 0; l = level_above(b, l + 1)) {
        l3_fill(b, l, &w);
        if (l + 1 >= b->width) break;
    }
    return out;
}

/* load_orders(symbol_id, l3_bytes): append resting orders (L3_DTYPE records, in priority order) to an
 * empty book, keeping their ids. Used to restore a snapshot; the records must be a valid book. */
static PyObject *Core_load_orders(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "load_orders(symbol_id, records)"); return NULL; }
    Book *b = book_arg(c, args[0]);
    if (!b) return NULL;
    if (b->n_live) { PyErr_SetString(PyExc_ValueError, "load_orders needs an empty book"); return NULL; }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (view.len % (Py_ssize_t)sizeof(L3Rec)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "records must be whole L3_DTYPE records");
        return NULL;
    }
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(L3Rec);
    const L3Rec *r = (const L3Rec *)view.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        const L3Rec *q = &r[i];
        if (q->price_ticks < b->band_lo || q->price_ticks > b->band_hi || q->leaves_qty <= 0 ||
            (q->side != 1 && q->side != -1) || id_find(b, q->order_id) >= 0 ||
            (q->client_order_id != 0 && clid_find(b, q->owner_id, q->client_order_id) >= 0)) {
            PyBuffer_Release(&view);
            PyErr_Format(PyExc_ValueError, "record %zd (order %lld) is not a valid resting order of this book", i,
                         (long long)q->order_id);
            return NULL;
        }
        int32_t l = (int32_t)(q->price_ticks - b->band_lo);
        if ((q->side > 0 && b->best_ask >= 0 && l >= b->best_ask) || (q->side < 0 && b->best_bid >= 0 && l <= b->best_bid)) {
            PyBuffer_Release(&view);
            PyErr_Format(PyExc_ValueError, "record %zd (order %lld) would cross the book", i, (long long)q->order_id);
            return NULL;
        }
        int32_t s = slot_alloc(b);
        if (s < 0) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
        b->o_id[s] = q->order_id; b->o_clid[s] = q->client_order_id; b->o_leaves[s] = q->leaves_qty;
        b->o_owner[s] = q->owner_id; b->o_side[s] = q->side; b->o_tif[s] = q->tif; b->o_post[s] = q->post_only;
        b->o_lvl[s] = l;
        if (slot_index(b, s) < 0) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
        level_append(b, s);
    }
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* set_counters(next_order_id, next_exec_id) */
static PyObject *Core_set_counters(Core *c, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "set_counters(next_order_id, next_exec_id)"); return NULL; }
    int err = 0;
    int64_t o = arg_i64(args, 0, &err), e = arg_i64(args, 1, &err);
    if (err) return NULL;
    if (o < 1 || e < 1) { PyErr_SetString(PyExc_ValueError, "counters start at 1"); return NULL; }
    c->next_order_id = o;
    c->next_exec_id = e;
    Py_RETURN_NONE;
}

static PyObject *Core_counters(Core *c, PyObject *unused) {
    return Py_BuildValue("(LL)", (long long)c->next_order_id, (long long)c->next_exec_id);
}

static PyObject *Core_live_orders(Core *c, PyObject *arg) {
    Book *b = book_arg(c, arg);
    return b ? PyLong_FromLong(b->n_live) : NULL;
}

/* memory_bytes(symbol_id) -> bytes allocated for the arena and maps (not the ladder) */
static PyObject *Core_arena_bytes(Core *c, PyObject *arg) {
    Book *b = book_arg(c, arg);
    if (!b) return NULL;
    size_t per = 3 * sizeof(int64_t) + 4 * sizeof(int32_t) + 3;
    size_t maps = ((size_t)b->ids.mask + 1 + (size_t)b->clids.mask + 1) * sizeof(int32_t);
    return PyLong_FromSize_t((size_t)b->cap * per + maps);
}

static PyMethodDef Core_methods[] = {
    {"new_order", (PyCFunction)(void (*)(void))Core_new_order, METH_FASTCALL, "Apply a new order; return the event count."},
    {"cancel", (PyCFunction)(void (*)(void))Core_cancel, METH_FASTCALL, "Apply a cancel; return the event count."},
    {"replace", (PyCFunction)(void (*)(void))Core_replace, METH_FASTCALL, "Apply a cancel-replace; return the event count."},
    {"end_session", (PyCFunction)(void (*)(void))Core_end_session, METH_FASTCALL, "Expire DAY orders; return the event count."},
    {"submit_record", (PyCFunction)Core_submit_record, METH_O, "Apply one command record tuple; return the event count."},
    {"last_events", (PyCFunction)Core_last_events, METH_NOARGS, "Events of the last per-command call as packed records."},
    {"last_event_tuples", (PyCFunction)Core_last_event_tuples, METH_NOARGS, "Events of the last per-command call as tuples."},
    {"run_batch", (PyCFunction)(void (*)(void))Core_run_batch, METH_FASTCALL, "Apply packed command records; return (bytearray of event records, count)."},
    {"l1", (PyCFunction)Core_l1, METH_O, "Top of book of a symbol."},
    {"l2", (PyCFunction)(void (*)(void))Core_l2, METH_FASTCALL, "Aggregated levels of a symbol."},
    {"l3", (PyCFunction)Core_l3, METH_O, "Resting orders of a symbol as packed records."},
    {"counters", (PyCFunction)Core_counters, METH_NOARGS, "(next_order_id, next_exec_id)."},
    {"load_orders", (PyCFunction)(void (*)(void))Core_load_orders, METH_FASTCALL, "Restore resting orders into an empty book."},
    {"set_counters", (PyCFunction)(void (*)(void))Core_set_counters, METH_FASTCALL, "Restore the id counters."},
    {"live_orders", (PyCFunction)Core_live_orders, METH_O, "Number of resting orders of a symbol."},
    {"arena_bytes", (PyCFunction)Core_arena_bytes, METH_O, "Bytes held by a symbol's arena and maps."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hftsim.matching._core.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Multi-symbol price-time priority matching core (hot path).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Core_init,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_methods = Core_methods,
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "hftsim.matching._core", "Compiled matching core.", -1, core_functions,
};

PyMODINIT_FUNC PyInit__core(void) {
    if (PyType_Ready(&CoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    Py_INCREF(&CoreType);
    if (PyModule_AddObject(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(&CoreType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "CMD_SIZE", sizeof(Cmd));
    PyModule_AddIntConstant(m, "EVENT_SIZE", sizeof(Ev));
    PyModule_AddIntConstant(m, "L3_SIZE", sizeof(L3Rec));
    return m;
}
