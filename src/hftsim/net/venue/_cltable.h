/*
 * ClOrdTable: a session's ClOrdID -> Order table (Account.orders), split over CLT_SHARDS dicts. Hot path.
 *
 * Included by _lane.c only (its static types and helpers are the module's).
 *
 * Why split: a dict rehashes all its entries when it grows or when deleted entries fill it. A table
 * bounded at fix.max_cl_ord_ids (100,000) with ClOrdIDs forgotten as new ones come rehashes 100,000
 * entries from time to time: 5.3 ms at 174,762 insertions (and 1.2 ms at 43,690, 2.8 ms at 87,381
 * while it fills), measured in a loop of insertions and evictions like Gateway._remember. The venue
 * stands still meanwhile. Split by key hash over 16 dicts, each rehash moves a sixteenth of the
 * entries (about 0.2 ms at most in the same loop), at other times for each dict.
 *
 * The shard of a key is the top 4 bits of its hash times 2^64 / golden ratio (Fibonacci hashing):
 * a dict indexes by the low bits of the hash, so every shard still spreads its keys over its slots.
 * Iteration (keys, items, values) runs shard by shard, each in insertion order: deterministic for
 * the same insertions, not the insertion order overall (Account.history keeps that).
 */
#ifndef HFTSIM_CLTABLE_H
#define HFTSIM_CLTABLE_H

#define CLT_SHARD_BITS 4
#define CLT_SHARDS (1 << CLT_SHARD_BITS)

typedef struct {
    PyObject_HEAD
    PyObject *shards[CLT_SHARDS];
} ClOrdTable;

static PyTypeObject ClOrdTableType;

/* the dict that holds (or would hold) `key`; NULL with an exception if `key` is unhashable */
static inline PyObject *clt_shard(ClOrdTable *t, PyObject *key) {
    Py_hash_t h = PyObject_Hash(key);
    if (h == -1) return NULL;
    uint64_t mixed = (uint64_t)h * UINT64_C(0x9E3779B97F4A7C15);
    return t->shards[mixed >> (64 - CLT_SHARD_BITS)];
}

/* borrowed reference, or NULL: missing (no exception) or an error (exception set) */
static inline PyObject *clt_get(ClOrdTable *t, PyObject *key) {
    PyObject *d = clt_shard(t, key);
    return d == NULL ? NULL : PyDict_GetItemWithError(d, key);
}

static inline int clt_contains(ClOrdTable *t, PyObject *key) {
    PyObject *d = clt_shard(t, key);
    return d == NULL ? -1 : PyDict_Contains(d, key);
}

static inline int clt_set(ClOrdTable *t, PyObject *key, PyObject *value) {
    PyObject *d = clt_shard(t, key);
    return d == NULL ? -1 : PyDict_SetItem(d, key, value);
}

/* KeyError when missing */
static inline int clt_del(ClOrdTable *t, PyObject *key) {
    PyObject *d = clt_shard(t, key);
    return d == NULL ? -1 : PyDict_DelItem(d, key);
}

static Py_ssize_t clt_len(ClOrdTable *t) {
    Py_ssize_t n = 0;
    for (int i = 0; i < CLT_SHARDS; i++) n += PyDict_GET_SIZE(t->shards[i]);
    return n;
}

static PyObject *ClOrdTable_new_empty(void) {
    ClOrdTable *t = PyObject_GC_New(ClOrdTable, &ClOrdTableType);
    if (t == NULL) return NULL;
    for (int i = 0; i < CLT_SHARDS; i++) t->shards[i] = NULL;
    for (int i = 0; i < CLT_SHARDS; i++) {
        if ((t->shards[i] = PyDict_New()) == NULL) {
            Py_DECREF(t); /* dealloc skips the NULL shards */
            return NULL;
        }
    }
    PyObject_GC_Track(t);
    return (PyObject *)t;
}

/* update(pairs): a mapping (its items()) or an iterable of (key, value) pairs */
static PyObject *ClOrdTable_update(ClOrdTable *t, PyObject *arg) {
    PyObject *pairs = PyMapping_Check(arg) && !PyTuple_Check(arg) && !PyList_Check(arg)
                          ? PyMapping_Items(arg)
                          : Py_NewRef(arg);
    if (pairs == NULL) return NULL;
    PyObject *it = PyObject_GetIter(pairs);
    Py_DECREF(pairs);
    if (it == NULL) return NULL;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        PyObject *k, *v;
        int ok = PyArg_ParseTuple(item, "OO:ClOrdTable.update pair", &k, &v) && clt_set(t, k, v) == 0;
        Py_DECREF(item);
        if (!ok) {
            Py_DECREF(it);
            return NULL;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyObject *ClOrdTable_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *init = NULL;
    if (!PyArg_ParseTuple(args, "|O:ClOrdTable", &init)) return NULL;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0) {
        PyErr_SetString(PyExc_TypeError, "ClOrdTable() takes no keyword arguments");
        return NULL;
    }
    PyObject *t = ClOrdTable_new_empty();
    if (t == NULL || init == NULL) return t;
    PyObject *r = ClOrdTable_update((ClOrdTable *)t, init);
    if (r == NULL) {
        Py_DECREF(t);
        return NULL;
    }
    Py_DECREF(r);
    return t;
}

static int ClOrdTable_traverse(ClOrdTable *t, visitproc visit, void *arg) {
    for (int i = 0; i < CLT_SHARDS; i++) Py_VISIT(t->shards[i]);
    return 0;
}

static int ClOrdTable_clear_refs(ClOrdTable *t) {
    for (int i = 0; i < CLT_SHARDS; i++) {
        if (t->shards[i] != NULL) PyDict_Clear(t->shards[i]); /* keep the dicts: the table stays usable */
    }
    return 0;
}

static void ClOrdTable_dealloc(ClOrdTable *t) {
    PyObject_GC_UnTrack(t);
    for (int i = 0; i < CLT_SHARDS; i++) Py_CLEAR(t->shards[i]);
    PyObject_GC_Del(t);
}

static Py_ssize_t ClOrdTable_length(ClOrdTable *t) { return clt_len(t); }

static PyObject *ClOrdTable_subscript(ClOrdTable *t, PyObject *key) {
    PyObject *v = clt_get(t, key);
    if (v == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return Py_NewRef(v);
}

static int ClOrdTable_ass_subscript(ClOrdTable *t, PyObject *key, PyObject *value) {
    return value == NULL ? clt_del(t, key) : clt_set(t, key, value);
}

static int ClOrdTable_sq_contains(ClOrdTable *t, PyObject *key) { return clt_contains(t, key); }

/* [f(key, value) for every entry], shard by shard; which: 0 keys, 1 values, 2 (key, value) */
static PyObject *clt_list(ClOrdTable *t, int which) {
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (int i = 0; i < CLT_SHARDS; i++) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(t->shards[i], &pos, &k, &v)) {
            PyObject *x = which == 0 ? Py_NewRef(k) : which == 1 ? Py_NewRef(v) : PyTuple_Pack(2, k, v);
            if (x == NULL || PyList_Append(out, x) < 0) {
                Py_XDECREF(x);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(x);
        }
    }
    return out;
}

static PyObject *ClOrdTable_keys(ClOrdTable *t, PyObject *Py_UNUSED(ignored)) { return clt_list(t, 0); }
static PyObject *ClOrdTable_values(ClOrdTable *t, PyObject *Py_UNUSED(ignored)) { return clt_list(t, 1); }
static PyObject *ClOrdTable_items(ClOrdTable *t, PyObject *Py_UNUSED(ignored)) { return clt_list(t, 2); }

static PyObject *ClOrdTable_iter(ClOrdTable *t) {
    PyObject *keys = clt_list(t, 0);
    if (keys == NULL) return NULL;
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

static PyObject *ClOrdTable_get(ClOrdTable *t, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError, "get expected 1 or 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *v = clt_get(t, args[0]);
    if (v != NULL) return Py_NewRef(v);
    if (PyErr_Occurred()) return NULL;
    return Py_NewRef(nargs == 2 ? args[1] : Py_None);
}

static PyObject *ClOrdTable_clear(ClOrdTable *t, PyObject *Py_UNUSED(ignored)) {
    ClOrdTable_clear_refs(t);
    Py_RETURN_NONE;
}

static PyObject *ClOrdTable_repr(ClOrdTable *t) {
    return PyUnicode_FromFormat("<ClOrdTable of %zd ClOrdIDs in %d dicts>", clt_len(t), CLT_SHARDS);
}

static PyMethodDef ClOrdTable_methods[] = {
    {"get", (PyCFunction)(void (*)(void))ClOrdTable_get, METH_FASTCALL, "get(key, default=None)"},
    {"keys", (PyCFunction)ClOrdTable_keys, METH_NOARGS, "The ClOrdIDs, as a list (shard by shard)."},
    {"values", (PyCFunction)ClOrdTable_values, METH_NOARGS, "The entries, as a list."},
    {"items", (PyCFunction)ClOrdTable_items, METH_NOARGS, "(ClOrdID, entry) pairs, as a list."},
    {"update", (PyCFunction)ClOrdTable_update, METH_O, "Put a mapping's or (key, value) pairs' entries in."},
    {"clear", (PyCFunction)ClOrdTable_clear, METH_NOARGS, "Forget every entry."},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods ClOrdTable_as_mapping = {
    .mp_length = (lenfunc)ClOrdTable_length,
    .mp_subscript = (binaryfunc)ClOrdTable_subscript,
    .mp_ass_subscript = (objobjargproc)ClOrdTable_ass_subscript,
};

static PySequenceMethods ClOrdTable_as_sequence = {
    .sq_contains = (objobjproc)ClOrdTable_sq_contains,
};

static PyTypeObject ClOrdTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hftsim.net.venue._lane.ClOrdTable",
    .tp_basicsize = sizeof(ClOrdTable),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "ClOrdTable([mapping or pairs]): a session's ClOrdID table, a mapping split over 16 dicts "
              "so that no rehash moves more than a sixteenth of it.",
    .tp_new = ClOrdTable_tp_new,
    .tp_dealloc = (destructor)ClOrdTable_dealloc,
    .tp_traverse = (traverseproc)ClOrdTable_traverse,
    .tp_clear = (inquiry)ClOrdTable_clear_refs,
    .tp_repr = (reprfunc)ClOrdTable_repr,
    .tp_iter = (getiterfunc)ClOrdTable_iter,
    .tp_methods = ClOrdTable_methods,
    .tp_as_mapping = &ClOrdTable_as_mapping,
    .tp_as_sequence = &ClOrdTable_as_sequence,
};

#endif
