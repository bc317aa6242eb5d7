/*
 * The matching core's books and matching: arena, price ladder and id maps per symbol, events, and
 * price-time priority matching with self-trade prevention (see _core.c). Hot path.
 */
#include "_core.h"

/* ------------------------------------------------------------------ book */




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

int32_t id_find(Book *b, int64_t id) {
    uint32_t i = (uint32_t)hash_id(id) & b->ids.mask;
    for (;;) {
        int32_t v = b->ids.buckets[i];
        if (v == 0) return -1;
        if (b->o_id[v - 1] == id) return v - 1;
        i = (i + 1) & b->ids.mask;
    }
}

int32_t clid_find(Book *b, int32_t owner, int64_t clid) {
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

int32_t slot_alloc(Book *b) {
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
int slot_index(Book *b, int32_t s) {
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
int32_t level_below(Book *b, int32_t l) {
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
int32_t level_above(Book *b, int32_t l) {
    if (l >= b->width) return -1;
    int32_t w = l >> 6;
    uint64_t word = b->bitmap[w] & (~0ULL << (l & 63));
    for (;;) {
        if (word) return (w << 6) + __builtin_ctzll(word);
        if (++w >= b->nwords) return -1;
        word = b->bitmap[w];
    }
}

void level_append(Book *b, int32_t s) {
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

void book_free(Book *b) {
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

int book_init(Book *b, int64_t lo, int64_t hi, int64_t step, int64_t lot, int64_t max_qty, int32_t capacity) {
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

int do_new(Core *c, const Ctx *x0, int side, int otype, int tif, int post, int64_t px, int64_t qty,
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

int do_cancel(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid) {
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

int do_replace(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid, int64_t px,
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
int do_end_session(Core *c, const Ctx *x) {
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

int apply_cmd(Core *c, const Cmd *m) {
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
