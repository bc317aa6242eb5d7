/*
 * The feed translator's compiled lane: the common events of engine output to ITCH 5.0. Hot path.
 *
 * hftsim/net/feed/translate.py (EventTranslator) is the specification. run() translates events
 * while no order is pending there and each event is one of the plain cases below, and stops at the
 * first event it does not take, which the Python translator then handles itself:
 *
 *   ACCEPTED then, next, BOOK_DELTA on its side   'A' Add Order (the order rests untouched)
 *   CANCELED of a displayed order, nothing left   'D' Order Delete
 *   CANCELED of an order the feed does not show   nothing
 *   BOOK_DELTA, TRADE, REJECTED                   nothing (no order pending)
 *
 * It stops too before any value the Python encoders would refuse (they then raise the error).
 * tests/unit/feed/test_translate_lane.py translates random engine output with and without it.
 *
 *   run(events, start, live, stock8, scale, out) -> int
 *       events: packed EVENT_DTYPE records (an array or bytes); start: the first record to take;
 *       live, stock8, scale, out: the translator's displayed book (order_id -> [ref, side,
 *       price_ticks, leaves, symbol_id]), Alpha(8) stocks (bytes or None), Price(4) units per tick,
 *       and the list the messages go to. Returns the index of the first record not taken.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../../matching/records.h"

#define NS_PER_DAY 86400000000000LL
#define ADD_ORDER_LEN 36
#define ORDER_DELETE_LEN 19

static void put16(unsigned char *p, uint64_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (56 - 8 * i));
}

/* type, Stock Locate, Tracking Number 0, Timestamp(6) */
static void header(unsigned char *p, char type, uint64_t locate, int64_t ts) {
    p[0] = (unsigned char)type;
    put16(p + 1, locate);
    put16(p + 3, 0);
    put16(p + 5, (uint64_t)ts >> 32);
    put32(p + 7, (uint64_t)ts & 0xFFFFFFFFu);
}

static int64_t day_ns(int64_t ts) { /* Python's ts % NS_PER_DAY */
    int64_t r = ts % NS_PER_DAY;
    return r < 0 ? r + NS_PER_DAY : r;
}

static void event_at(const char *buf, Py_ssize_t i, Ev *ev) { /* buffers give no alignment promise */
    memcpy(ev, buf + i * (Py_ssize_t)sizeof(Ev), sizeof(Ev));
}

/* 'A' for an order that rests untouched, stored in live; 0 when the Python translator must do it */
static int add_order(const Ev *accepted, const Ev *delta, PyObject *live, PyObject *stock8, PyObject *scale,
                     PyObject *out) {
    int32_t sym = accepted->symbol_id;
    if (sym < 0 || sym >= PyList_GET_SIZE(stock8) || sym >= PyList_GET_SIZE(scale) || sym + 1 > 0xFFFF) return 0;
    PyObject *stock = PyList_GET_ITEM(stock8, sym);
    if (!PyBytes_Check(stock) || PyBytes_GET_SIZE(stock) != 8) return 0;
    long long units = PyLong_AsLongLong(PyList_GET_ITEM(scale, sym));
    if (units == -1 && PyErr_Occurred()) return -1;
    int64_t px = accepted->price_ticks, leaves = accepted->leaves_qty;
    if (accepted->order_id < 0 || leaves < 0 || leaves > 0xFFFFFFFFLL || px < 0 || units < 0) return 0;
    if (px != 0 && units > 0xFFFFFFFFLL / px) return 0;
    long long price_e4 = px * units;
    if (price_e4 > 0xFFFFFFFFLL) return 0;
    unsigned char msg[ADD_ORDER_LEN];
    header(msg, 'A', (uint64_t)sym + 1, day_ns(delta->ts_event));
    put64(msg + 11, (uint64_t)accepted->order_id);
    msg[19] = accepted->side > 0 ? 'B' : 'S';
    put32(msg + 20, (uint64_t)leaves);
    memcpy(msg + 24, PyBytes_AS_STRING(stock), 8);
    put32(msg + 32, (uint64_t)price_e4);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)msg, ADD_ORDER_LEN);
    PyObject *entry = Py_BuildValue("[LiLLi]", (long long)accepted->order_id, (int)accepted->side, (long long)px,
                                    (long long)leaves, (int)sym);
    PyObject *key = PyLong_FromLongLong(accepted->order_id);
    int rc = -1;
    if (bytes && entry && key && PyDict_SetItem(live, key, entry) == 0 && PyList_Append(out, bytes) == 0) rc = 1;
    Py_XDECREF(bytes);
    Py_XDECREF(entry);
    Py_XDECREF(key);
    return rc;
}

/* the CANCELED of an order with nothing left: 'D' when the feed shows it; 0 for the Python translator */
static int order_delete(const Ev *ev, PyObject *live, PyObject *out) {
    PyObject *key = PyLong_FromLongLong(ev->order_id);
    if (key == NULL) return -1;
    PyObject *entry = PyDict_GetItemWithError(live, key);
    int rc = 0;
    if (entry == NULL) {
        rc = PyErr_Occurred() ? -1 : 1; /* not displayed: nothing to say */
        goto done;
    }
    if (!PyList_Check(entry) || PyList_GET_SIZE(entry) != 5) goto done;
    long long sym = PyLong_AsLongLong(PyList_GET_ITEM(entry, 4));
    if (sym == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        goto done;
    }
    unsigned long long ref = PyLong_AsUnsignedLongLong(PyList_GET_ITEM(entry, 0));
    if (ref == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        goto done;
    }
    if (sym < 0 || sym + 1 > 0xFFFF) goto done;
    unsigned char msg[ORDER_DELETE_LEN];
    header(msg, 'D', (uint64_t)sym + 1, day_ns(ev->ts_event));
    put64(msg + 11, ref);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)msg, ORDER_DELETE_LEN);
    rc = -1;
    if (bytes != NULL && PyDict_DelItem(live, key) == 0 && PyList_Append(out, bytes) == 0) rc = 1;
    Py_XDECREF(bytes);
done:
    Py_DECREF(key);
    return rc;
}

static PyObject *translate_run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "run(events, start, live, stock8, scale, out) takes 6 arguments");
        return NULL;
    }
    Py_ssize_t i = PyLong_AsSsize_t(args[1]);
    if (i == -1 && PyErr_Occurred()) return NULL;
    PyObject *live = args[2], *stock8 = args[3], *scale = args[4], *out = args[5];
    if (!PyDict_Check(live) || !PyList_Check(stock8) || !PyList_Check(scale) || !PyList_Check(out)) {
        PyErr_SetString(PyExc_TypeError, "run: live must be a dict, stock8, scale and out lists");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (view.len % (Py_ssize_t)sizeof(Ev) != 0) {
        PyErr_Format(PyExc_ValueError, "%zd bytes are not whole %zu-byte event records", view.len, sizeof(Ev));
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(Ev);
    const char *buf = view.buf;
    int rc = 1;
    while (i >= 0 && i < n) {
        Ev ev, next;
        event_at(buf, i, &ev);
        if (ev.kind == EV_BOOK_DELTA || ev.kind == EV_TRADE || ev.kind == EV_REJECTED) {
            i++;
            continue;
        }
        if (ev.kind == EV_ACCEPTED && i + 1 < n) {
            event_at(buf, i + 1, &next);
            if (next.kind != EV_BOOK_DELTA || next.side != ev.side) break;
            if ((rc = add_order(&ev, &next, live, stock8, scale, out)) <= 0) break;
            i += 2;
        } else if (ev.kind == EV_CANCELED && ev.leaves_qty == 0) {
            if ((rc = order_delete(&ev, live, out)) <= 0) break;
            i++;
        } else {
            break;
        }
    }
    PyBuffer_Release(&view);
    if (rc < 0) return NULL;
    return PyLong_FromSsize_t(i);
}

static PyMethodDef translate_methods[] = {
    {"run", (PyCFunction)(void (*)(void))translate_run, METH_FASTCALL,
     "run(events, start, live, stock8, scale, out) -> int: translate the plain events from start on."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef translate_module = {
    PyModuleDef_HEAD_INIT, "hftsim.net.feed._translate", "The feed translator's compiled lane.", -1,
    translate_methods,
};

PyMODINIT_FUNC PyInit__translate(void) { return PyModule_Create(&translate_module); }
