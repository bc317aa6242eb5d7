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
#include "_core.h"

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
int batch_out_grow(Core *c, Py_ssize_t ncap) {
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
