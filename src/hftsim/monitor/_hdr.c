/*
 * Compiled record() of hftsim.monitor.histogram.LatencyHistogram. Hot path (per venue message).
 *
 * Recorder(counts, top_shift, on_clamped) is a callable: recorder(value_ns) counts one sample in the
 * int64 buffer ``counts`` with the bucket rule of LatencyHistogram.record (the specification,
 * ``_record_python``): values below 2048 in their own bucket, larger ones by their top 11 bits,
 * (shift << 10) + (value >> shift) with shift = bit_length - 11; a value that is negative or above
 * the range (shift > top_shift, or no int64) goes to ``on_clamped(value_ns)``, a Python callable.
 * A call costs about 40 ns, a third of the Python method's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    PyObject_HEAD
    PyObject *buffer; /* the counts' owner (a strong reference, no buffer export: see Recorder_init) */
    int64_t *counts;
    Py_ssize_t n;
    int top_shift;
    PyObject *on_clamped;
    vectorcallfunc vectorcall;
} Recorder;

static PyObject *Recorder_vectorcall(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Recorder *r = (Recorder *)obj;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "record(value_ns) takes one positional argument");
        return NULL;
    }
    PyObject *arg = args[0];
    if (r->counts == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Recorder is not initialised");
        return NULL;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(arg, &overflow);
    if (v == -1 && PyErr_Occurred()) return NULL;
    if (!overflow && v >= 0) {
        if (v < 2048) {
            r->counts[v]++;
            Py_RETURN_NONE;
        }
        int shift = (64 - __builtin_clzll((unsigned long long)v)) - 11;
        if (shift <= r->top_shift) {
            Py_ssize_t i = ((Py_ssize_t)shift << 10) + (Py_ssize_t)(v >> shift);
            if (i < r->n) {
                r->counts[i]++;
                Py_RETURN_NONE;
            }
        }
    }
    return PyObject_CallOneArg(r->on_clamped, arg);
}

static int Recorder_init(Recorder *r, PyObject *args, PyObject *kwds) {
    PyObject *counts, *on_clamped;
    int top_shift;
    if (!PyArg_ParseTuple(args, "OiO:Recorder", &counts, &top_shift, &on_clamped)) return -1;
    if (r->counts != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Recorder is already initialised");
        return -1;
    }
    if (!PyCallable_Check(on_clamped)) {
        PyErr_SetString(PyExc_TypeError, "on_clamped must be callable");
        return -1;
    }
    /* The pointer is taken and the export released at once: an export held for the object's life
     * would make the garbage collector clear an exported memoryview (a crash in CPython 3.11). The
     * histogram keeps the bytes alive and never resizes them (its numpy view holds an export). */
    Py_buffer view;
    if (PyObject_GetBuffer(counts, &view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return -1;
    int ok = view.itemsize == 8 && view.format != NULL && (view.format[0] == 'q' || view.format[0] == 'l');
    r->counts = (int64_t *)view.buf;
    r->n = view.len / 8;
    PyBuffer_Release(&view);
    if (!ok) {
        r->counts = NULL;
        PyErr_SetString(PyExc_TypeError, "counts must be a writable buffer of int64 ('q')");
        return -1;
    }
    Py_INCREF(counts);
    r->buffer = counts;
    r->top_shift = top_shift;
    Py_INCREF(on_clamped);
    r->on_clamped = on_clamped;
    r->vectorcall = Recorder_vectorcall;
    return 0;
}

static int Recorder_traverse(Recorder *r, visitproc visit, void *arg) {
    Py_VISIT(r->on_clamped);
    Py_VISIT(r->buffer);
    return 0;
}

static int Recorder_clear(Recorder *r) {
    r->counts = NULL;
    r->n = 0;
    Py_CLEAR(r->on_clamped);
    Py_CLEAR(r->buffer);
    return 0;
}

static void Recorder_dealloc(Recorder *r) {
    PyObject_GC_UnTrack(r);
    Recorder_clear(r);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static PyObject *Recorder_call(PyObject *self, PyObject *args, PyObject *kwds) {
    return PyVectorcall_Call(self, args, kwds);
}

static PyTypeObject RecorderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hftsim.monitor._hdr.Recorder",
    .tp_basicsize = sizeof(Recorder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Recorder(counts, top_shift, on_clamped): record(value_ns) into an HDR bucket buffer.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Recorder_init,
    .tp_dealloc = (destructor)Recorder_dealloc,
    .tp_traverse = (traverseproc)Recorder_traverse,
    .tp_clear = (inquiry)Recorder_clear,
    .tp_call = Recorder_call,
    .tp_vectorcall_offset = offsetof(Recorder, vectorcall),
};

static struct PyModuleDef hdr_module = {
    PyModuleDef_HEAD_INIT, "hftsim.monitor._hdr", "Compiled record() of the latency histogram.", -1, NULL,
};

PyMODINIT_FUNC PyInit__hdr(void) {
    if (PyType_Ready(&RecorderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&hdr_module);
    if (m == NULL) return NULL;
    Py_INCREF(&RecorderType);
    if (PyModule_AddObject(m, "Recorder", (PyObject *)&RecorderType) < 0) {
        Py_DECREF(&RecorderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
