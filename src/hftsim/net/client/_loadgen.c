/*
 * Open-loop FIX load runner: the send/receive loop of hftsim.net.client.load (engine "c"). Hot path.
 *
 * A LoadRunner owns, for the length of one load run, a TCP socket that a FixInitiator has connected and
 * logged on. It sends NewOrderSingle (35=D) and, with cancel_every_order, an OrderCancelRequest (35=F)
 * after each order on the open-loop schedule "message i is due at t0 + i / rate", writing every message
 * that has come due in one send(), and it reads the venue's ExecutionReports, stamping ack_ns[k] for
 * ExecType New. The bytes sent are exactly those of load.send_open_loop through FixSession.send_body:
 * header 8, 9, 35, 49, 56, 34, 52 (SendingTime "YYYYMMDD-HH:MM:SS.sss", CLOCK_REALTIME truncated to the
 * millisecond, as _time.format_utc_timestamp), body, CheckSum.
 *
 * Clocks: schedule, send_ns, ack_ns and every *_ns member are CLOCK_MONOTONIC nanoseconds, the clock
 * behind time.perf_counter_ns() on Linux, so they compare with the Python client's stamps. Only the
 * FIX timestamps (52, 60) read CLOCK_REALTIME. With an rx_ns array (Linux), rx_ns[k] is when the
 * kernel received the bytes that carried order k's ack (SO_TIMESTAMPNS, the receive time of the last
 * segment each recvmsg() read, moved from CLOCK_REALTIME to CLOCK_MONOTONIC by the offset of the two
 * at the start of run()): the round trip without the time this process took to read it.
 *
 * Hand-off to Python: the loop handles one kind of incoming message itself, an in-sequence
 * ExecutionReport that FixSession.receive would pass straight to the application (valid frame and
 * CheckSum, well-formed fields, MsgSeqNum == next_in_seq, the session's CompIDs, no PossDupFlag).
 * Any other complete frame (admin messages, other MsgTypes, a sequence gap, a bad CheckSum, ...) stops
 * run() with ("handback", <that frame>); the bytes after it stay buffered here. The caller feeds the
 * frame to its FixSession (after setting the session's sequence numbers from next_out_seq and
 * next_in_seq), queues what the session answers with queue_output(), writes the session's numbers back
 * and calls run() again: t0, the next message index, the arrays and all counters live in this object,
 * so the schedule resumes exactly. Bytes that cannot be delimited as a frame (garbage, a broken
 * BeginString or BodyLength, by the same rules as _framer.FixFramer) stop the runner for good with
 * ("garbled", <all unprocessed bytes>): the Python framer takes the stream over from there.
 *
 * Every run() ends by the schedule's time limit plus the drain timeout at the latest, or when every
 * order is answered and all output written. Between events it sleeps in ppoll() with a timer slack
 * of 1 ns, waking spin_ns before the next message is due; from there it polls and sched_yield()s.
 * With ack_spin_ns it also polls and yields while the last order sent is unanswered and was sent less
 * than ack_spin_ns ago. The GIL is released while it runs and taken back every 20 ms to let Python
 * see signals (Ctrl-C).
 */
#include "_loadgen.h"

static const char *const STOP_NAMES[] = {"more", "done", "drain_timeout", "handback", "garbled", "closed",
                                         "error", "signal"};

/* ------------------------------------------------------------------ Python type */

static PyObject *take_input(Runner *r, size_t n) {
    PyObject *data = PyBytes_FromStringAndSize(r->in + r->in_off, (Py_ssize_t)n);
    if (data == NULL) return NULL;
    r->in_off += n;
    if (r->in_off == r->in_len) r->in_off = r->in_len = 0;
    return data;
}

/* (reason, bytes) for a stop: the handed-back frame, or every unprocessed byte when the runner is done. */
static PyObject *stop_result(Runner *r, int st) {
    PyObject *data;
    if (st == STOP_HANDBACK) {
        data = take_input(r, r->handback_len);
        r->handback_len = 0;
    } else if (st == STOP_NONE) {
        data = PyBytes_FromStringAndSize("", 0);
    } else {
        data = take_input(r, r->in_len - r->in_off);
        r->is_finished = 1;
    }
    if (data == NULL) return NULL;
    return Py_BuildValue("(sN)", STOP_NAMES[st], data);
}

static int check_running(Runner *r) {
    if (r->is_finished) {
        PyErr_SetString(PyExc_RuntimeError, "the load runner has finished and no longer owns the socket");
        return -1;
    }
    return 0;
}

static PyObject *Runner_run(Runner *r, PyObject *Py_UNUSED(ignored)) {
    if (check_running(r) < 0) return NULL;
    if (r->t0_ns == 0) {
        r->t0_ns = mono_ns();
        r->end_ns = r->t0_ns + r->time_limit_ns;
    }
    r->rx_offset_ns = clock_ns(CLOCK_REALTIME) - mono_ns();
    PyThreadState *thread = PyEval_SaveThread();
    int st = lg_run_loop(r, &thread);
    PyEval_RestoreThread(thread);
    if (st == STOP_SIGNAL) return NULL;
    return stop_result(r, st);
}

/* Append data (released here) to buf[0:*len]; -1 with an exception set. */
static int append(Runner *r, Py_buffer *data, char **buf, size_t *len, size_t *cap) {
    int failed = check_running(r) < 0 || lg_grow(buf, cap, *len + (size_t)data->len) < 0;
    if (!failed) {
        memcpy(*buf + *len, data->buf, (size_t)data->len);
        *len += (size_t)data->len;
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    PyBuffer_Release(data);
    return failed ? -1 : 0;
}

static PyObject *Runner_feed(Runner *r, PyObject *args) {
    Py_buffer data;
    long long recv_ns = 0;
    if (!PyArg_ParseTuple(args, "y*|L", &data, &recv_ns)) return NULL;
    if (append(r, &data, &r->in, &r->in_len, &r->in_cap) < 0) return NULL;
    r->last_recv_ns = recv_ns ? recv_ns : mono_ns();
    return stop_result(r, lg_process_input(r, r->last_recv_ns));
}

static PyObject *Runner_queue_output(Runner *r, PyObject *arg) {
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0) return NULL;
    if (append(r, &data, &r->out, &r->out_len, &r->out_cap) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Runner_finish(Runner *r, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyBytes_FromStringAndSize(r->out + r->out_off, (Py_ssize_t)pending_out(r));
    if (out == NULL) return NULL;
    PyObject *in = take_input(r, r->in_len - r->in_off);
    if (in == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    r->out_off = r->out_len = 0;
    r->is_finished = 1;
    return Py_BuildValue("(NN)", out, in);
}

static PyObject *Runner_count_report(Runner *r, PyObject *args) {
    Py_buffer exec_type = {0}, cl_ord_id = {0};
    long long recv_ns;
    if (!PyArg_ParseTuple(args, "z*z*L", &exec_type, &cl_ord_id, &recv_ns)) return NULL;
    r->rx_stamp_ns = 0; /* read by the Python session: no kernel stamp of its own */
    lg_count_report(r, exec_type.buf, (size_t)exec_type.len, cl_ord_id.buf, (size_t)cl_ord_id.len, recv_ns);
    if (exec_type.obj) PyBuffer_Release(&exec_type);
    if (cl_ord_id.obj) PyBuffer_Release(&cl_ord_id);
    Py_RETURN_NONE;
}

static PyObject *Runner_get_sent_orders(Runner *r, void *Py_UNUSED(closure)) {
    return PyLong_FromLongLong(sent_orders(r));
}

static int copy_text(const char *name, const char *s, Py_ssize_t n, char *dst, size_t cap, size_t *len) {
    if (n <= 0 || (size_t)n >= cap) {
        PyErr_Format(PyExc_ValueError, "%s must be 1..%zu characters, got %zd", name, cap - 1, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || c == '=') {
            PyErr_Format(PyExc_ValueError, "%s must be printable ASCII without spaces or '='", name);
            return -1;
        }
    }
    memcpy(dst, s, (size_t)n);
    *len = (size_t)n;
    return 0;
}

static int take_array(PyObject *obj, const char *name, long long n, Py_buffer *view, int64_t **data) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return -1;
    const char *fmt = view->format ? view->format : "B";
    if (*fmt == '<' || *fmt == '=' || *fmt == '@') fmt++;
    if (view->itemsize != 8 || (strcmp(fmt, "q") != 0 && strcmp(fmt, "l") != 0) || view->len / 8 < n) {
        PyErr_Format(PyExc_ValueError, "%s must be a writable int64 array of at least %lld items", name, n);
        PyBuffer_Release(view);
        return -1;
    }
    *data = view->buf;
    return 0;
}

static void Runner_release(Runner *r) {
    if (r->has_views) {
        PyBuffer_Release(&r->send_view);
        PyBuffer_Release(&r->ack_view);
        if (r->rx_ns != NULL) PyBuffer_Release(&r->rx_view);
        r->rx_ns = NULL;
        r->has_views = 0;
    }
    PyMem_RawFree(r->out);
    PyMem_RawFree(r->in);
    r->out = r->in = NULL;
    r->out_cap = r->in_cap = 0;
}

static void Runner_dealloc(Runner *r) {
    Runner_release(r);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static int Runner_init(Runner *r, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"fd", "sender_comp_id", "target_comp_id", "next_out_seq", "next_in_seq",
                             "rate_msgs_per_s", "total_msgs", "time_limit_ns", "drain_timeout_ns", "prefix",
                             "symbol", "price", "qty", "cancel_every_order", "send_ns", "ack_ns", "side",
                             "begin_string", "spin_ns", "max_body_length", "rx_ns", "ack_spin_ns", NULL};
    int fd, cancel_every_order;
    const char *sender, *target, *prefix, *symbol, *price, *side = "1", *begin_string = "FIX.4.4";
    Py_ssize_t sender_n, target_n, prefix_n, symbol_n, price_n, side_n = 1, begin_n = 7;
    long long next_out, next_in, total, time_limit_ns, drain_timeout_ns, qty, spin_ns = 0, ack_spin_ns = 0;
    long long max_body = 65536;
    double rate;
    PyObject *send_obj, *ack_obj, *rx_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "is#s#LLdLLLs#s#s#LpOO|s#s#LLOL", kwlist, &fd, &sender,
                                     &sender_n, &target, &target_n, &next_out, &next_in, &rate, &total,
                                     &time_limit_ns, &drain_timeout_ns, &prefix, &prefix_n, &symbol, &symbol_n,
                                     &price, &price_n, &qty, &cancel_every_order, &send_obj, &ack_obj, &side,
                                     &side_n, &begin_string, &begin_n, &spin_ns, &max_body, &rx_obj,
                                     &ack_spin_ns))
        return -1;
    Runner_release(r);
    if (fd < 0 || !(rate > 0) || total < 0 || time_limit_ns < 0 || drain_timeout_ns < 0 || qty <= 0 ||
        next_out < 1 || next_in < 1 || spin_ns < 0 || ack_spin_ns < 0 || max_body < 1) {
        PyErr_SetString(PyExc_ValueError, "need fd >= 0, rate > 0, qty > 0, sequence numbers >= 1 and "
                                          "non-negative total, time limit, drain timeout and spins");
        return -1;
    }
    char symbol_text[MAX_TEXT], side_text[8], price_text[32];
    size_t symbol_len, side_len, price_len;
    if (copy_text("sender_comp_id", sender, sender_n, r->sender, MAX_TEXT, &r->sender_len) < 0 ||
        copy_text("target_comp_id", target, target_n, r->target, MAX_TEXT, &r->target_len) < 0 ||
        copy_text("prefix", prefix, prefix_n, r->prefix, MAX_TEXT, &r->prefix_len) < 0 ||
        copy_text("symbol", symbol, symbol_n, symbol_text, sizeof symbol_text, &symbol_len) < 0 ||
        copy_text("price", price, price_n, price_text, sizeof price_text, &price_len) < 0 ||
        copy_text("side", side, side_n, side_text, sizeof side_text, &side_len) < 0 ||
        copy_text("begin_string", begin_string, begin_n, r->begin_string, sizeof r->begin_string,
                  &r->begin_string_len) < 0)
        return -1;
    r->fd = fd;
    r->step = cancel_every_order ? 2 : 1;
    r->interval_ns = 1e9 / rate;
    r->total = total;
    r->n_orders = (total + r->step - 1) / r->step;
    r->time_limit_ns = time_limit_ns;
    r->drain_timeout_ns = drain_timeout_ns;
    r->spin_ns = spin_ns;
    r->ack_spin_ns = ack_spin_ns;
    r->max_body = max_body;
    r->next_out_seq = next_out;
    r->next_in_seq = next_in;
    r->instrument_len = (size_t)snprintf(r->instrument, sizeof r->instrument, "55=%.*s\x01" "54=%.*s\x01" "60=",
                                         (int)symbol_len, symbol_text, (int)side_len, side_text);
    r->order_tail_len = (size_t)snprintf(r->order_tail, sizeof r->order_tail,
                                         "\x01" "38=%lld\x01" "40=2\x01" "44=%.*s\x01" "59=0\x01", qty,
                                         (int)price_len, price_text);
    r->cancel_tail_len = (size_t)snprintf(r->cancel_tail, sizeof r->cancel_tail, "\x01" "38=%lld\x01", qty);
    r->begin_len = (size_t)snprintf(r->begin, sizeof r->begin, "8=%s\x01" "9=", r->begin_string);
    r->comp_len = (size_t)snprintf(r->comp, sizeof r->comp, "\x01" "49=%.*s\x01" "56=%.*s\x01" "34=",
                                   (int)r->sender_len, r->sender, (int)r->target_len, r->target);
    r->t0_ns = r->end_ns = r->sent = r->max_lag_ns = r->last_send_ns = r->drain_deadline_ns = 0;
    r->acked = r->canceled = r->rejected = r->other_reports = r->handbacks = 0;
    r->writes = r->partial_writes = r->bytes_sent = r->bytes_received = r->last_recv_ns = 0;
    r->is_finished = r->is_sending_done = 0;
    r->os_errno = 0;
    r->ts_ms = -1;
    r->out_off = r->out_len = r->in_off = r->in_len = r->handback_len = 0;
    memset(r->seen, 0, sizeof r->seen);
    if (take_array(send_obj, "send_ns", r->n_orders, &r->send_view, &r->send_ns) < 0) return -1;
    if (take_array(ack_obj, "ack_ns", r->n_orders, &r->ack_view, &r->ack_ns) < 0) {
        PyBuffer_Release(&r->send_view);
        return -1;
    }
    r->rx_stamp_ns = r->rx_offset_ns = 0;
    if (rx_obj != Py_None) {
#ifdef SO_TIMESTAMPNS
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) {
            PyErr_SetFromErrno(PyExc_OSError);
        } else if (take_array(rx_obj, "rx_ns", r->n_orders, &r->rx_view, &r->rx_ns) == 0) {
            r->has_views = 1;
        }
#else
        PyErr_SetString(PyExc_ValueError, "rx_ns: kernel receive timestamps (SO_TIMESTAMPNS) need Linux");
#endif
        if (r->rx_ns == NULL) {
            PyBuffer_Release(&r->send_view);
            PyBuffer_Release(&r->ack_view);
            return -1;
        }
    }
    r->has_views = 1;
    if (lg_grow(&r->in, &r->in_cap, (size_t)max_body + 64 + 4 * RECV_MIN) < 0 ||
        lg_grow(&r->out, &r->out_cap, (size_t)1 << 20) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

#define RO(name, doc) {#name, T_LONGLONG, offsetof(Runner, name), READONLY, doc}
static PyMemberDef Runner_members[] = {
    {"next_out_seq", T_LONGLONG, offsetof(Runner, next_out_seq), 0, "MsgSeqNum of the next message sent."},
    {"next_in_seq", T_LONGLONG, offsetof(Runner, next_in_seq), 0, "MsgSeqNum expected next from the venue."},
    RO(t0_ns, "Schedule start (CLOCK_MONOTONIC ns; 0 before the first run())."),
    RO(end_ns, "No message is sent from this time on (t0 + time limit)."),
    RO(sent, "Messages of the schedule sent (the next message index)."),
    RO(max_lag_ns, "Largest delay of a batch's first message behind its due time."),
    RO(last_send_ns, "When sending ended (CLOCK_MONOTONIC ns)."),
    RO(drain_deadline_ns, "When waiting for the last answers ends."),
    RO(acked, "Orders with an ExecutionReport New."),
    RO(canceled, "ExecutionReports Canceled."),
    RO(rejected, "ExecutionReports Rejected."),
    RO(other_reports, "Other ExecutionReports."),
    RO(handbacks, "Frames handed back to the Python session."),
    RO(writes, "send() calls that wrote something."),
    RO(partial_writes, "send() calls that wrote less than asked."),
    RO(bytes_sent, "Bytes written."),
    RO(bytes_received, "Bytes read."),
    RO(last_recv_ns, "When the last bytes were read (CLOCK_MONOTONIC ns)."),
    {"os_errno", T_INT, offsetof(Runner, os_errno), READONLY, "errno of a socket error (reason 'error')."},
    {"is_sending_done", T_BOOL, offsetof(Runner, is_sending_done), READONLY, "The schedule has ended."},
    {"is_finished", T_BOOL, offsetof(Runner, is_finished), READONLY, "The runner gave the socket back."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Runner_getset[] = {
    {"sent_orders", (getter)Runner_get_sent_orders, NULL, "Orders (NewOrderSingle) sent.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Runner_methods[] = {
    {"run", (PyCFunction)Runner_run, METH_NOARGS,
     "run() -> (reason, data): send and receive until done, 'drain_timeout', 'handback' (data: one frame "
     "for the Python session; call run() again), 'garbled', 'closed' or 'error' (data: every unprocessed "
     "byte; the runner is finished)."},
    {"feed", (PyCFunction)Runner_feed, METH_VARARGS,
     "feed(data, recv_ns=0) -> (reason, data): process bytes as if read from the socket ('more' when "
     "all complete frames were taken)."},
    {"queue_output", (PyCFunction)Runner_queue_output, METH_O, "Queue bytes to write after the pending output."},
    {"finish", (PyCFunction)Runner_finish, METH_NOARGS,
     "finish() -> (unwritten output, unprocessed input): give the socket back to the caller."},
    {"count_report", (PyCFunction)Runner_count_report, METH_VARARGS,
     "count_report(exec_type, cl_ord_id, recv_ns): count an ExecutionReport the Python session handled."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RunnerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hftsim.net.client._loadgen.LoadRunner",
    .tp_basicsize = sizeof(Runner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Open-loop FIX order flow over a logged-on socket (hot path); see the module source.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Runner_init,
    .tp_dealloc = (destructor)Runner_dealloc,
    .tp_methods = Runner_methods,
    .tp_members = Runner_members,
    .tp_getset = Runner_getset,
};

static struct PyModuleDef loadgen_module = {
    PyModuleDef_HEAD_INIT, "hftsim.net.client._loadgen", "Compiled open-loop FIX load runner.", -1, NULL,
};

PyMODINIT_FUNC PyInit__loadgen(void) {
    if (PyType_Ready(&RunnerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&loadgen_module);
    if (!m) return NULL;
    Py_INCREF(&RunnerType);
    if (PyModule_AddObject(m, "LoadRunner", (PyObject *)&RunnerType) < 0) {
        Py_DECREF(&RunnerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
