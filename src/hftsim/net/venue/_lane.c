/*
 * The gateway's compiled lane: the common NewOrderSingle and OrderCancelRequest, end to end. Hot path.
 *
 * hftsim/net/venue/gateway.py is the specification. Lane.on_message takes a message only when it can
 * prove, before touching anything, that the Python gateway would take the plain path: a trading
 * session's limit order with a known symbol, a new ClOrdID and a price already in the gateway's
 * tick cache; a cancel of a live order with a new ClOrdID. Anything else goes to the Python
 * Gateway.on_message untouched. After the engine call, a command whose events are exactly the
 * expected one (ACCEPTED for the order, CANCELED with nothing left for the cancel; TRADE and
 * BOOK_DELTA events are ignored as the Python gateway ignores them) is reported here; any other
 * outcome goes to the gateway's Python event handlers (Gateway._finish) with the same state they
 * would have had. tests/unit/venue/test_gateway_lane.py runs random order flow through a gateway
 * with and without the lane and compares every byte sent and the state left. new_order(), cancel()
 * and events() are longer than this project's functions usually are, on purpose: each shows every
 * check before the first side effect, and the side effects in the Python handlers' order.
 *
 *   Order(account, cl_ord_id, symbol_id, side, order_qty, price_ticks, order_type)
 *       The gateway's view of one order (what its reports need); order_id, cum_qty and
 *       notional_ticks start at 0, status at OrdStatus.NEW ("0").
 *   Account(owner_id, state, is_drop_copy)
 *       A session's application state: owner_id, state, orders (a ClOrdTable: ClOrdID -> Order),
 *       next_client_order_id (from 1), is_drop_copy, history (a deque of the ClOrdIDs put in
 *       orders, oldest first: Gateway._remember).
 *   Lane(...)  see Lane_init; on_message(session, msg); counters last_seq and exec_id.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "../../matching/records.h"
#include "_cltable.h"

enum { GW_NEW = 1, GW_CANCEL = 2 }; /* gateway.py's _NEW, _CANCEL */

static PyObject *s_state, *s_msg_type, *s_fields, *s_send_report, *s_new_orders, *s_cancels;
static PyObject *s_D, *s_F, *s_zero_text, *s_canceled_text, *zero, *one;
static PyObject *s_append, *s_popleft, *deque_type;

/* ------------------------------------------------------------------ records of object fields */

/* Order and Account are an object header and object fields only: one traverse, clear and dealloc */
static PyObject **fields_of(PyObject *self, Py_ssize_t *n) {
    *n = (Py_TYPE(self)->tp_basicsize - (Py_ssize_t)sizeof(PyObject)) / (Py_ssize_t)sizeof(PyObject *);
    return (PyObject **)((char *)self + sizeof(PyObject));
}

static int record_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_ssize_t n;
    PyObject **f = fields_of(self, &n);
    for (Py_ssize_t i = 0; i < n; i++) Py_VISIT(f[i]);
    return 0;
}

static int record_clear(PyObject *self) {
    Py_ssize_t n;
    PyObject **f = fields_of(self, &n);
    for (Py_ssize_t i = 0; i < n; i++) Py_CLEAR(f[i]);
    return 0;
}

static void record_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    record_clear(self);
    Py_TYPE(self)->tp_free(self);
}

/* ------------------------------------------------------------------ Order */

typedef struct {
    PyObject_HEAD
    PyObject *order_id, *account, *cl_ord_id, *symbol_id, *side, *order_qty, *cum_qty, *notional_ticks,
        *price_ticks, *order_type, *status;
} Order;

#define ORDER_FIELDS(X) X(order_id) X(account) X(cl_ord_id) X(symbol_id) X(side) X(order_qty) X(cum_qty) \
    X(notional_ticks) X(price_ticks) X(order_type) X(status)

_Static_assert(sizeof(Order) == sizeof(PyObject) + 11 * sizeof(PyObject *), "Order: object fields only");

static PyTypeObject OrderType;

static Order *order_new(PyObject *account, PyObject *cl, PyObject *symbol_id, PyObject *side, PyObject *qty,
                        PyObject *price_ticks, PyObject *order_type) {
    Order *o = PyObject_GC_New(Order, &OrderType);
    if (o == NULL) return NULL;
    o->order_id = Py_NewRef(zero);
    o->account = Py_NewRef(account);
    o->cl_ord_id = Py_NewRef(cl);
    o->symbol_id = Py_NewRef(symbol_id);
    o->side = Py_NewRef(side);
    o->order_qty = Py_NewRef(qty);
    o->cum_qty = Py_NewRef(zero);
    o->notional_ticks = Py_NewRef(zero);
    o->price_ticks = Py_NewRef(price_ticks);
    o->order_type = Py_NewRef(order_type);
    o->status = Py_NewRef(s_zero_text);
    PyObject_GC_Track(o);
    return o;
}

static PyObject *Order_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *kw[] = {"account", "cl_ord_id", "symbol_id", "side", "order_qty", "price_ticks",
                         "order_type", NULL};
    PyObject *a[7];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO:Order", kw, &a[0], &a[1], &a[2], &a[3], &a[4],
                                     &a[5], &a[6]))
        return NULL;
    return (PyObject *)order_new(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

static PyMemberDef Order_members[] = {
#define MEMBER(f) {#f, T_OBJECT_EX, offsetof(Order, f), 0, NULL},
    ORDER_FIELDS(MEMBER)
#undef MEMBER
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject OrderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hftsim.net.venue._lane.Order",
    .tp_basicsize = sizeof(Order),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The gateway's view of one order (what FIX reports need and the engine does not keep).",
    .tp_new = Order_tp_new,
    .tp_dealloc = record_dealloc,
    .tp_traverse = record_traverse,
    .tp_clear = record_clear,
    .tp_members = Order_members,
};

/* ------------------------------------------------------------------ Account */

typedef struct {
    PyObject_HEAD
    PyObject *owner_id, *state, *orders, *next_client_order_id, *is_drop_copy, *history;
} Account;

#define ACCOUNT_FIELDS(X) X(owner_id) X(state) X(orders) X(next_client_order_id) X(is_drop_copy) X(history)

_Static_assert(sizeof(Account) == sizeof(PyObject) + 6 * sizeof(PyObject *), "Account: object fields only");

static PyTypeObject AccountType;

static PyObject *Account_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *kw[] = {"owner_id", "state", "is_drop_copy", NULL};
    PyObject *owner_id, *state, *is_drop_copy;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO:Account", kw, &owner_id, &state, &is_drop_copy))
        return NULL;
    PyObject *orders = ClOrdTable_new_empty();
    PyObject *history = PyObject_CallNoArgs(deque_type);
    Account *a = orders != NULL && history != NULL ? PyObject_GC_New(Account, &AccountType) : NULL;
    if (a == NULL) {
        Py_XDECREF(orders);
        Py_XDECREF(history);
        return NULL;
    }
    a->history = history;
    a->owner_id = Py_NewRef(owner_id);
    a->state = Py_NewRef(state);
    a->orders = orders;
    a->next_client_order_id = Py_NewRef(one);
    a->is_drop_copy = PyBool_FromLong(PyObject_IsTrue(is_drop_copy) == 1);
    PyObject_GC_Track(a);
    return (PyObject *)a;
}

static PyMemberDef Account_members[] = {
/* orders is read-only: the lane's C code takes it for a ClOrdTable (fill it with update()) */
#define MEMBER_FLAGS_owner_id 0
#define MEMBER_FLAGS_state 0
#define MEMBER_FLAGS_orders READONLY
#define MEMBER_FLAGS_next_client_order_id 0
#define MEMBER_FLAGS_is_drop_copy 0
#define MEMBER_FLAGS_history 0
#define MEMBER(f) {#f, T_OBJECT_EX, offsetof(Account, f), MEMBER_FLAGS_##f, NULL},
    ACCOUNT_FIELDS(MEMBER)
#undef MEMBER
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject AccountType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hftsim.net.venue._lane.Account",
    .tp_basicsize = sizeof(Account),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Application state of one session: owner_id, state, orders (ClOrdID table), "
              "next_client_order_id, is_drop_copy, history (ClOrdIDs in orders, oldest first).",
    .tp_new = Account_tp_new,
    .tp_dealloc = record_dealloc,
    .tp_traverse = record_traverse,
    .tp_clear = record_clear,
    .tp_members = Account_members,
};

/* ------------------------------------------------------------------ Lane */

typedef struct {
    PyObject_HEAD
    long long last_seq, exec_id, history_limit;
    PyObject *fallback, *finish, *by_state, *symbol_ids, *ticks_caches, *price_texts, *symbols, *orders,
        *metrics, *drop_copies, *side_map, *ord_type_map, *tif_map, *clock_now, *engine_new_order,
        *engine_cancel, *engine_events, *parse_new_order, *parse_cancel, *price_text, *avg_px, *limit,
        *publish_bytes;
} Lane;

#define LANE_FIELDS(X) X(fallback) X(finish) X(by_state) X(symbol_ids) X(ticks_caches) X(price_texts) \
    X(symbols) X(orders) X(metrics) X(drop_copies) X(side_map) X(ord_type_map) X(tif_map) X(clock_now) \
    X(engine_new_order) X(engine_cancel) X(engine_events) X(parse_new_order) X(parse_cancel) X(price_text) \
    X(avg_px) X(limit) X(publish_bytes)

static int Lane_traverse(Lane *l, visitproc visit, void *arg) {
#define VISIT(f) Py_VISIT(l->f);
    LANE_FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int Lane_clear(Lane *l) {
#define CLEAR(f) Py_CLEAR(l->f);
    LANE_FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void Lane_dealloc(Lane *l) {
    PyObject_GC_UnTrack(l);
    Lane_clear(l);
    Py_TYPE(l)->tp_free((PyObject *)l);
}

/*
 * Lane(fallback, finish, by_state, symbol_ids, ticks_caches, price_texts, symbols, orders, metrics,
 *      drop_copies, side_map, ord_type_map, tif_map, clock_now, engine_new_order, engine_cancel,
 *      engine_events, parse_new_order, parse_cancel, price_text, avg_px, limit)
 * The gateway's own objects (gateway.py, Gateway._install_lane), held, not copied.
 */
static int Lane_init(Lane *l, PyObject *args, PyObject *kwargs) {
    static char *kw[] = {"fallback", "finish", "by_state", "symbol_ids", "ticks_caches", "price_texts",
                         "symbols", "orders", "metrics", "drop_copies", "side_map", "ord_type_map", "tif_map",
                         "clock_now", "engine_new_order", "engine_cancel", "engine_events", "parse_new_order",
                         "parse_cancel", "price_text", "avg_px", "limit", NULL};
    PyObject *a[22];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!O!O!O!O!O!O!O!O!O!O!OOOOOOOOO:Lane", kw, &a[0], &a[1],
                                     &PyDict_Type, &a[2], &PyDict_Type, &a[3], &PyList_Type, &a[4], &PyList_Type,
                                     &a[5], &PyList_Type, &a[6], &PyDict_Type, &a[7], &PyDict_Type, &a[8],
                                     &PyList_Type, &a[9], &PyDict_Type, &a[10], &PyDict_Type, &a[11],
                                     &PyDict_Type, &a[12], &a[13], &a[14], &a[15], &a[16], &a[17], &a[18],
                                     &a[19], &a[20], &a[21]))
        return -1;
    PyObject **slots[22] = {&l->fallback, &l->finish, &l->by_state, &l->symbol_ids, &l->ticks_caches,
                            &l->price_texts, &l->symbols, &l->orders, &l->metrics, &l->drop_copies,
                            &l->side_map, &l->ord_type_map, &l->tif_map, &l->clock_now, &l->engine_new_order,
                            &l->engine_cancel, &l->engine_events, &l->parse_new_order, &l->parse_cancel,
                            &l->price_text, &l->avg_px, &l->limit};
    for (int i = 0; i < 22; i++) Py_XSETREF(*slots[i], Py_NewRef(a[i]));
    l->history_limit = LLONG_MAX;
    return 0;
}

/* counter[key] += 1 on a dict (a Counter) */
static int bump(PyObject *counter, PyObject *key) {
    PyObject *old = PyDict_GetItemWithError(counter, key);
    if (old == NULL && PyErr_Occurred()) return -1;
    PyObject *new = old != NULL ? PyNumber_Add(old, one) : Py_NewRef(one);
    if (new == NULL) return -1;
    int rc = PyDict_SetItem(counter, key, new);
    Py_DECREF(new);
    return rc;
}

/*
 * Gateway._remember: orders[cl] = o, cl appended to the history; past history_limit the oldest
 * ClOrdIDs of closed orders are forgotten (at most two per call; a live one goes to the back).
 */
static int remember(Lane *l, Account *acc, PyObject *cl, PyObject *o) {
    ClOrdTable *table = (ClOrdTable *)acc->orders;
    if (clt_set(table, cl, o) < 0) return -1;
    PyObject *r = PyObject_CallMethodOneArg(acc->history, s_append, cl);
    if (r == NULL) return -1;
    Py_DECREF(r);
    for (int k = 0; k < 2; k++) {
        Py_ssize_t n = PyObject_Length(acc->history);
        if (n < 0) return -1;
        if (n <= l->history_limit) break;
        PyObject *old = PyObject_CallMethodNoArgs(acc->history, s_popleft);
        if (old == NULL) return -1;
        PyObject *held = clt_get(table, old);
        int rc = 0;
        if (held == NULL) {
            rc = PyErr_Occurred() ? -1 : 0; /* forgotten already (a refused order's) */
        } else {
            int live = Py_TYPE(held) != &OrderType;
            if (!live) {
                PyObject *id = ((Order *)held)->order_id;
                live = PyObject_Not(id);
                if (live == 0) live = PyDict_Contains(l->orders, id);
            }
            if (live < 0) {
                rc = -1;
            } else if (live) {
                r = PyObject_CallMethodOneArg(acc->history, s_append, old);
                rc = r == NULL ? -1 : 0;
                Py_XDECREF(r);
            } else {
                rc = clt_del(table, old);
            }
        }
        Py_DECREF(old);
        if (rc < 0) return -1;
    }
    return 0;
}

/* str(v) of an int64, without the general formatting machinery */
static PyObject *decimal_text(long long v) {
    char buf[24], *p = buf + sizeof buf;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return PyUnicode_FromStringAndSize(p, buf + sizeof buf - p);
}

static PyObject *call_fast(PyObject *fn, PyObject **args, size_t n) {
    return PyObject_Vectorcall(fn, args, n, NULL);
}

static int session_send(PyObject *state, PyObject *report, PyObject *ts) {
    PyObject *args[3] = {state, report, ts};
    PyObject *r = PyObject_VectorcallMethod(s_send_report, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/*
 * Gateway._report for the two reports of the lane (ExecType NEW and CANCELED, nothing filled on
 * the order yet or since): the ExecutionReport's values in REPORT_VALUES order, sent to the
 * order's session and every drop copy.
 */
static int report(Lane *l, Order *o, PyObject *exec_type, PyObject *leaves, PyObject *ts, PyObject *orig) {
    Account *acc = (Account *)o->account;
    long long id = PyLong_AsLongLong(o->order_id);
    if (id == -1 && PyErr_Occurred()) return -1;
    PyObject *order_id = decimal_text(id);
    PyObject *exec_id = decimal_text(++l->exec_id);
    PyObject *price = NULL, *avg_px = NULL, *tuple = NULL;
    int rc = -1;
    if (order_id == NULL || exec_id == NULL) goto done;
    Py_ssize_t symbol_id = PyLong_AsSsize_t(o->symbol_id);
    if (symbol_id == -1 && PyErr_Occurred()) goto done;
    PyObject *symbol = PyList_GetItem(l->symbols, symbol_id);
    if (symbol == NULL) goto done;
    int is_limit = PyObject_RichCompareBool(o->order_type, l->limit, Py_EQ);
    if (is_limit < 0) goto done;
    if (is_limit) {
        PyObject *texts = PyList_GetItem(l->price_texts, symbol_id);
        if (texts == NULL) goto done;
        price = PyDict_GetItemWithError(texts, o->price_ticks);
        if (price != NULL) {
            Py_INCREF(price);
        } else {
            if (PyErr_Occurred()) goto done;
            PyObject *args[2] = {o->symbol_id, o->price_ticks};
            if ((price = call_fast(l->price_text, args, 2)) == NULL) goto done;
        }
    } else {
        price = Py_NewRef(Py_None);
    }
    int has_cum = PyObject_IsTrue(o->cum_qty);
    if (has_cum < 0) goto done;
    if (has_cum) {
        PyObject *args[1] = {(PyObject *)o};
        if ((avg_px = call_fast(l->avg_px, args, 1)) == NULL) goto done;
    } else {
        avg_px = Py_NewRef(s_zero_text);
    }
    tuple = PyTuple_Pack(18, order_id, o->cl_ord_id, orig, exec_id, exec_type, exec_type, Py_None, symbol,
                         o->side, o->order_qty, price, zero, Py_None, leaves, o->cum_qty, avg_px, ts, Py_None);
    if (tuple == NULL) goto done;
    if (session_send(acc->state, tuple, ts) < 0) goto done;
    Py_ssize_t n = PyList_GET_SIZE(l->drop_copies);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (session_send(PyList_GET_ITEM(l->drop_copies, i), tuple, ts) < 0) goto done;
    }
    rc = 0;
done:
    Py_XDECREF(order_id);
    Py_XDECREF(exec_id);
    Py_XDECREF(price);
    Py_XDECREF(avg_px);
    Py_XDECREF(tuple);
    return rc;
}

/*
 * 1 and the one event the command is expected to cause (kind) in *found, ignoring TRADE and
 * BOOK_DELTA; 0 when the command caused anything else.
 */
static int only_event(const char *data, Py_ssize_t size, int kind, Ev *found) {
    if (size % (Py_ssize_t)sizeof(Ev) != 0) return 0;
    int n = 0;
    for (Py_ssize_t i = 0; i < size / (Py_ssize_t)sizeof(Ev); i++) {
        Ev ev;
        memcpy(&ev, data + i * (Py_ssize_t)sizeof(Ev), sizeof ev); /* bytes give no alignment promise */
        if (ev.kind == EV_TRADE || ev.kind == EV_BOOK_DELTA) continue;
        if (n++ > 0 || ev.kind != kind) return 0;
        *found = ev;
    }
    return n == 1;
}

/* The command's events: published, then reported here or by the Python handlers (Gateway._finish). */
static int events(Lane *l, int cmd, Order *o, PyObject *cl, PyObject *orig) {
    PyObject *raw = PyObject_CallNoArgs(l->engine_events);
    if (raw == NULL) return -1;
    int rc = -1;
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "the engine's last events are not bytes");
        goto done;
    }
    if (l->publish_bytes != NULL && l->publish_bytes != Py_None) {
        PyObject *r = PyObject_CallOneArg(l->publish_bytes, raw);
        if (r == NULL) goto done;
        Py_DECREF(r);
    }
    Ev found;
    const Ev *ev = only_event(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw),
                              cmd == GW_NEW ? EV_ACCEPTED : EV_CANCELED, &found) ? &found : NULL;
    long long order_id = 0;
    if (ev != NULL && cmd == GW_CANCEL) {
        order_id = PyLong_AsLongLong(o->order_id);
        if (order_id == -1 && PyErr_Occurred()) goto done;
    }
    PyObject *ts = NULL, *id = NULL;
    if (ev != NULL && cmd == GW_NEW) { /* Gateway._on_accepted */
        if ((id = PyLong_FromLongLong(ev->order_id)) == NULL) goto done;
        Py_SETREF(o->order_id, id);
        if (PyDict_SetItem(l->orders, id, (PyObject *)o) < 0) goto done;
        PyObject *leaves = PyLong_FromLongLong(ev->leaves_qty);
        ts = PyLong_FromLongLong(ev->ts_event);
        if (leaves != NULL && ts != NULL) rc = report(l, o, s_zero_text, leaves, ts, Py_None);
        Py_XDECREF(leaves);
        Py_XDECREF(ts);
    } else if (ev != NULL && ev->leaves_qty == 0 && ev->order_id == order_id &&
               PyUnicode_Check(o->cl_ord_id) && PyUnicode_GET_LENGTH(o->cl_ord_id) > 0) {
        /* Gateway._on_canceled of the requested cancel: the order is gone */
        Account *acc = (Account *)o->account;
        PyObject *old = o->cl_ord_id; /* the reference moves to the report's OrigClOrdID */
        o->cl_ord_id = Py_NewRef(cl);
        if (remember(l, acc, cl, (PyObject *)o) < 0 || PyDict_DelItem(l->orders, o->order_id) < 0) {
            Py_DECREF(old);
            goto done;
        }
        Py_SETREF(o->status, Py_NewRef(s_canceled_text));
        if ((ts = PyLong_FromLongLong(ev->ts_event)) != NULL)
            rc = report(l, o, s_canceled_text, zero, ts, old);
        Py_XDECREF(ts);
        Py_DECREF(old);
    } else {
        PyObject *kind = PyLong_FromLong(cmd);
        if (kind == NULL) goto done;
        PyObject *args[5] = {kind, (PyObject *)o, cl, orig, raw};
        PyObject *r = call_fast(l->finish, args, 5);
        Py_DECREF(kind);
        Py_XDECREF(r);
        rc = r == NULL ? -1 : 0;
    }
done:
    Py_DECREF(raw);
    return rc;
}

/* parser(msg._fields): the compiled parser's values or None; NULL on an error */
static PyObject *parse_fields(PyObject *msg, PyObject *parser) {
    PyObject *fields = PyObject_GetAttr(msg, s_fields);
    if (fields == NULL) return NULL;
    PyObject *vals = PyObject_CallOneArg(parser, fields);
    Py_DECREF(fields);
    return vals;
}

/* 1: taken and applied, 0: not taken (nothing changed), -1: error */
static int new_order(Lane *l, Account *acc, PyObject *msg) {
    PyObject *vals = parse_fields(msg, l->parse_new_order);
    if (vals == NULL) return -1;
    int rc = 0;
    Order *o = NULL;
    PyObject *now = NULL, *seq = NULL, *coid = NULL, *next = NULL, *r = NULL;
    if (!PyTuple_Check(vals) || PyTuple_GET_SIZE(vals) != 10) goto done; /* None: the Python parser decides */
    PyObject *cl = PyTuple_GET_ITEM(vals, 0), *symbol = PyTuple_GET_ITEM(vals, 1);
    PyObject *side = PyDict_GetItemWithError(l->side_map, PyTuple_GET_ITEM(vals, 2));
    PyObject *qty = PyTuple_GET_ITEM(vals, 4);
    PyObject *order_type = PyDict_GetItemWithError(l->ord_type_map, PyTuple_GET_ITEM(vals, 5));
    PyObject *price = PyTuple_GET_ITEM(vals, 6);
    PyObject *tif = PyDict_GetItemWithError(l->tif_map, PyTuple_GET_ITEM(vals, 7));
    PyObject *post_only = PyTuple_GET_ITEM(vals, 8);
    if (side == NULL || order_type == NULL || tif == NULL) {
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    int is_limit = PyObject_RichCompareBool(order_type, l->limit, Py_EQ);
    if (is_limit <= 0) {
        rc = is_limit;
        goto done;
    }
    PyObject *symbol_id = PyDict_GetItemWithError(l->symbol_ids, symbol);
    if (symbol_id == NULL) {
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    int dup = clt_contains((ClOrdTable *)acc->orders, cl);
    if (dup != 0) {
        rc = dup < 0 ? -1 : 0;
        goto done;
    }
    Py_ssize_t sid = PyLong_AsSsize_t(symbol_id);
    PyObject *cache = sid >= 0 ? PyList_GetItem(l->ticks_caches, sid) : NULL;
    if (cache == NULL) {
        rc = -1;
        goto done;
    }
    PyObject *ticks = PyDict_GetItemWithError(cache, price);
    if (ticks == NULL || ticks == Py_None) { /* not cached yet, or off the tick grid: the Python path */
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    /* taken: from here on the order is the lane's (Gateway._on_new_order) */
    rc = -1;
    if ((now = PyObject_CallNoArgs(l->clock_now)) == NULL) goto done;
    if (bump(l->metrics, s_new_orders) < 0) goto done;
    if ((o = order_new((PyObject *)acc, cl, symbol_id, side, qty, ticks, order_type)) == NULL) goto done;
    if (remember(l, acc, cl, (PyObject *)o) < 0) goto done;
    coid = Py_NewRef(acc->next_client_order_id);
    if ((next = PyNumber_Add(coid, one)) == NULL) goto done;
    Py_SETREF(acc->next_client_order_id, next);
    if ((seq = PyLong_FromLongLong(++l->last_seq)) == NULL) goto done;
    PyObject *args[11] = {seq, now, symbol_id, side, order_type, tif, post_only, ticks, qty, acc->owner_id, coid};
    if ((r = call_fast(l->engine_new_order, args, 11)) == NULL) goto done;
    rc = events(l, GW_NEW, o, cl, s_zero_text) < 0 ? -1 : 1;
done:
    Py_DECREF(vals);
    Py_XDECREF((PyObject *)o);
    Py_XDECREF(now);
    Py_XDECREF(seq);
    Py_XDECREF(coid);
    Py_XDECREF(r);
    return rc;
}

static int cancel(Lane *l, Account *acc, PyObject *msg) {
    PyObject *vals = parse_fields(msg, l->parse_cancel);
    if (vals == NULL) return -1;
    int rc = 0;
    PyObject *now = NULL, *seq = NULL, *r = NULL;
    if (!PyTuple_Check(vals) || PyTuple_GET_SIZE(vals) != 7) goto done;
    PyObject *orig = PyTuple_GET_ITEM(vals, 0), *cl = PyTuple_GET_ITEM(vals, 1);
    if (PyDict_GetItemWithError(l->side_map, PyTuple_GET_ITEM(vals, 4)) == NULL) {
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    /* Gateway._lookup: anything it would refuse goes to the Python path */
    int dup = clt_contains((ClOrdTable *)acc->orders, cl);
    if (dup != 0) {
        rc = dup < 0 ? -1 : 0;
        goto done;
    }
    PyObject *found = clt_get((ClOrdTable *)acc->orders, orig);
    if (found == NULL || Py_TYPE(found) != &OrderType) {
        rc = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    Order *o = (Order *)Py_NewRef(found);
    int live = PyObject_IsTrue(o->order_id);
    if (live > 0) live = PyDict_Contains(l->orders, o->order_id);
    if (live <= 0) {
        rc = live;
        Py_DECREF(o);
        goto done;
    }
    rc = -1;
    if ((now = PyObject_CallNoArgs(l->clock_now)) != NULL && bump(l->metrics, s_cancels) == 0 &&
        (seq = PyLong_FromLongLong(++l->last_seq)) != NULL) {
        PyObject *args[6] = {seq, now, o->symbol_id, o->order_id, acc->owner_id, zero};
        if ((r = call_fast(l->engine_cancel, args, 6)) != NULL)
            rc = events(l, GW_CANCEL, o, cl, orig) < 0 ? -1 : 1;
    }
    Py_DECREF(o);
done:
    Py_DECREF(vals);
    Py_XDECREF(now);
    Py_XDECREF(seq);
    Py_XDECREF(r);
    return rc;
}

/* on_message(session, msg): Gateway.on_message */
static PyObject *Lane_on_message(Lane *l, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "on_message(session, msg) takes 2 arguments");
        return NULL;
    }
    int rc = 0;
    PyObject *state = PyObject_GetAttr(args[0], s_state);
    if (state == NULL) return NULL;
    PyObject *acc = PyDict_GetItemWithError(l->by_state, state);
    Py_DECREF(state);
    if (acc == NULL && PyErr_Occurred()) return NULL;
    if (acc != NULL && Py_TYPE(acc) == &AccountType && ((Account *)acc)->is_drop_copy == Py_False) {
        PyObject *msg_type = PyObject_GetAttr(args[1], s_msg_type);
        if (msg_type == NULL) return NULL;
        Py_INCREF(acc); /* the handlers may run Python code */
        if (msg_type == s_D || (PyUnicode_Check(msg_type) && PyUnicode_Compare(msg_type, s_D) == 0))
            rc = new_order(l, (Account *)acc, args[1]);
        else if (msg_type == s_F || (PyUnicode_Check(msg_type) && PyUnicode_Compare(msg_type, s_F) == 0))
            rc = cancel(l, (Account *)acc, args[1]);
        Py_DECREF(acc);
        Py_DECREF(msg_type);
    }
    if (rc < 0) return NULL;
    if (rc == 1) Py_RETURN_NONE;
    return PyObject_Vectorcall(l->fallback, args, 2, NULL);
}

static PyObject *Lane_set_publisher(Lane *l, PyObject *publish_bytes) {
    Py_XSETREF(l->publish_bytes, Py_NewRef(publish_bytes));
    Py_RETURN_NONE;
}

static PyMethodDef Lane_methods[] = {
    {"on_message", (PyCFunction)(void (*)(void))Lane_on_message, METH_FASTCALL,
     "on_message(session, msg): apply one in-sequence application message (Gateway.on_message)."},
    {"set_publisher", (PyCFunction)Lane_set_publisher, METH_O,
     "set_publisher(publish_bytes): where each command's packed events go (None: nowhere)."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Lane_members[] = {
    {"last_seq", T_LONGLONG, offsetof(Lane, last_seq), 0, "the last command's sequence number"},
    {"exec_id", T_LONGLONG, offsetof(Lane, exec_id), 0, "the last ExecID given"},
    {"history_limit", T_LONGLONG, offsetof(Lane, history_limit), 0, "ClOrdIDs remembered per session"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject LaneType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hftsim.net.venue._lane.Lane",
    .tp_basicsize = sizeof(Lane),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The gateway's compiled lane for plain new orders and cancels.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Lane_init,
    .tp_dealloc = (destructor)Lane_dealloc,
    .tp_traverse = (traverseproc)Lane_traverse,
    .tp_clear = (inquiry)Lane_clear,
    .tp_methods = Lane_methods,
    .tp_members = Lane_members,
};

static struct PyModuleDef lane_module = {
    PyModuleDef_HEAD_INIT, "hftsim.net.venue._lane", "The gateway's compiled lane.", -1, NULL,
};

PyMODINIT_FUNC PyInit__lane(void) {
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {{&s_state, "state"},         {&s_msg_type, "msg_type"},   {&s_fields, "_fields"},
                 {&s_send_report, "send_report"}, {&s_new_orders, "new_orders"}, {&s_cancels, "cancels"},
                 {&s_D, "D"},                 {&s_F, "F"},                 {&s_zero_text, "0"},
                 {&s_canceled_text, "4"},     {&s_append, "append"},       {&s_popleft, "popleft"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL && (*names[i].slot = PyUnicode_InternFromString(names[i].text)) == NULL)
            return NULL;
    }
    if (zero == NULL && (zero = PyLong_FromLong(0)) == NULL) return NULL;
    if (one == NULL && (one = PyLong_FromLong(1)) == NULL) return NULL;
    if (deque_type == NULL) {
        PyObject *collections = PyImport_ImportModule("collections");
        if (collections == NULL) return NULL;
        deque_type = PyObject_GetAttrString(collections, "deque");
        Py_DECREF(collections);
        if (deque_type == NULL) return NULL;
    }
    if (PyType_Ready(&OrderType) < 0 || PyType_Ready(&AccountType) < 0 || PyType_Ready(&LaneType) < 0 ||
        PyType_Ready(&ClOrdTableType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&lane_module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Order", (PyObject *)&OrderType) < 0 ||
        PyModule_AddObjectRef(m, "Account", (PyObject *)&AccountType) < 0 ||
        PyModule_AddObjectRef(m, "Lane", (PyObject *)&LaneType) < 0 ||
        PyModule_AddObjectRef(m, "ClOrdTable", (PyObject *)&ClOrdTableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
