/*
 * The matching core's shared parts: the Book (arena, ladder, id maps), the Core and the command
 * context, and the entry points of the books and the matching (_book.c) that the Python type
 * (_core.c) calls. See _core.c for the design.
 */
#ifndef HFTSIM_CORE_H
#define HFTSIM_CORE_H

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

/* The scratch record that stands for the command being applied. */
typedef struct {
    int64_t seq, ts;
    int32_t sym;
    int32_t mkt_slot; /* slot of a market-order aggressor (events about it carry price 0), else -1 */
} Ctx;

/* _book.c */
int32_t level_above(Book *b, int32_t l);
int32_t level_below(Book *b, int32_t l);
int32_t id_find(Book *b, int64_t id);
int32_t clid_find(Book *b, int32_t owner, int64_t clid);
int slot_index(Book *b, int32_t s);
int32_t slot_alloc(Book *b);
void level_append(Book *b, int32_t s);
int book_init(Book *b, int64_t lo, int64_t hi, int64_t step, int64_t lot, int64_t max_qty,
              int32_t capacity);
void book_free(Book *b);
int apply_cmd(Core *c, const Cmd *m);
int do_new(Core *c, const Ctx *x0, int side, int otype, int tif, int post, int64_t px, int64_t qty,
           int32_t owner, int64_t clid);
int do_cancel(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid);
int do_replace(Core *c, const Ctx *x, int64_t order_id, int32_t owner, int64_t clid, int64_t px,
               int64_t qty);
int do_end_session(Core *c, const Ctx *x);
int batch_out_grow(Core *c, Py_ssize_t ncap); /* _core.c: grows a batch's output buffer */

#endif
