/*
 * Compiled happy path of the FIX 4.4 codec. Hot path.
 *
 * The Python framer and parsers in hftsim/net/fix (_framer.py, _time.py, codec.py) are the
 * specification; this module only accelerates input they would accept, and gives up (returns None
 * or stops early) on anything else, so the Python code makes every refusal and writes every error.
 * tests/unit/net/test_fastfix.py drives both on random and corrupted streams and compares them.
 *
 *   frame(buf, pos, n, begin, max_body, cls) -> (messages, pos)
 *       Frame and parse consecutive complete, well-formed messages of buf[pos:n]; stop before the
 *       first one that is incomplete or that the Python framer might refuse or treat differently.
 *       Each message is a new cls (FixMessage) with its four slots set, msg_type: str,
 *       msg_seq_num: int, raw: bytes, _fields: dict[int, bytes]; cls.__init__ is not called.
 *   parse_utc(value) -> int | None
 *       UTCTimestamp YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss] -> ns since the epoch; None when the
 *       text is not a valid timestamp (the Python parser then raises with its message).
 *   new_order(fields) / cancel(fields) -> tuple | None
 *       The values of a NewOrderSingle / OrderCancelRequest (see each function), or None when the
 *       Python parser might refuse the message or read it differently.
 *   execution_report(begin, head, seq, sending_ns, report) -> bytes | None
 *       encode_execution_report's output for a report whose values the Python encoder writes with
 *       str(); None for anything else.
 *   seal(begin, data) -> bytes
 *       begin + BodyLength + SOH + data + "10=nnn" + SOH for ASCII text data; None when data is not
 *       ASCII (the Python encoder then raises).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define SOH 1
#define MAX_FIELDS 64
#define MAX_INT_DIGITS 18

static int all_digits(const unsigned char *p, Py_ssize_t len) {
    if (len <= 0) return 0;
    for (Py_ssize_t i = 0; i < len; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

static const unsigned char *find_byte(const unsigned char *p, const unsigned char *stop, unsigned char c) {
    if (stop <= p) return NULL;
    return memchr(p, c, (size_t)(stop - p));
}

static PyObject *empty_tuple;
static PyObject *slot_names[4]; /* FixMessage's slots: msg_type, msg_seq_num, raw, _fields */

/* One field of a body: tag (number and text), value. */
typedef struct {
    long tag;
    const unsigned char *value;
    Py_ssize_t value_len;
} Field;

/*
 * Parse one message at buf[pos:n]. Returns 1 and sets *next and *out on success, 0 to stop (the
 * Python framer takes over at pos), -1 on a Python error.
 */
static int frame_one(const unsigned char *buf, Py_ssize_t pos, Py_ssize_t n, const unsigned char *begin,
                     Py_ssize_t begin_len, Py_ssize_t max_body, PyObject *cls, Py_ssize_t *next,
                     PyObject **out) {
    const unsigned char *p = buf + pos, *bufend = buf + n;
    if (n - pos < 5 || memcmp(p, "8=FIX", 5) != 0) return 0;
    const unsigned char *soh = find_byte(p, p + 32 < bufend ? p + 32 : bufend, SOH);
    if (soh == NULL) return 0;
    if (soh - p - 2 != begin_len || memcmp(p + 2, begin, (size_t)begin_len) != 0) return 0;
    if (bufend - soh < 3 || soh[1] != '9' || soh[2] != '=') return 0;
    const unsigned char *lstop = soh + 13 < bufend ? soh + 13 : bufend;
    const unsigned char *length_end = find_byte(soh + 3, lstop, SOH);
    if (length_end == NULL) return 0;
    Py_ssize_t ndig = length_end - (soh + 3);
    if (!all_digits(soh + 3, ndig) || ndig > 9) return 0;
    Py_ssize_t body_length = 0;
    for (const unsigned char *d = soh + 3; d < length_end; d++) body_length = body_length * 10 + (*d - '0');
    if (body_length > max_body || body_length < 1) return 0;
    const unsigned char *body = length_end + 1;
    const unsigned char *end = body + body_length; /* first byte of "10=" */
    if (end + 7 > bufend) return 0;                 /* incomplete: the Python framer decides */
    if (end[-1] != SOH || end[0] != '1' || end[1] != '0' || end[2] != '=' || end[6] != SOH) return 0;
    if (!all_digits(end + 3, 3)) return 0;
    /* a trailer inside the body proves BodyLength wrong: leave every such frame to Python */
    for (const unsigned char *k = find_byte(length_end, end - 1, SOH); k != NULL;
         k = find_byte(k + 1, end - 1, SOH)) {
        if (k + 3 < bufend && k[1] == '1' && k[2] == '0' && k[3] == '=') return 0;
    }
    unsigned int sum = 0;
    for (const unsigned char *c = p; c < end; c++) sum += *c;
    unsigned int declared = (unsigned)(end[3] - '0') * 100 + (unsigned)(end[4] - '0') * 10 + (end[5] - '0');
    if ((sum & 0xFF) != declared) return 0;

    /* body: one or more tag=value<SOH>, positive tags without leading zeros, non-empty values */
    Field fields[MAX_FIELDS];
    int nf = 0;
    const unsigned char *f = body;
    while (f < end) {
        if (nf == MAX_FIELDS) return 0;
        const unsigned char *eq = find_byte(f, end, '=');
        if (eq == NULL || eq == f || *f == '0') return 0;
        if (eq - f > 9 || !all_digits(f, eq - f)) return 0;
        const unsigned char *vend = find_byte(eq + 1, end, SOH);
        if (vend == NULL || vend == eq + 1) return 0;
        long tag = 0;
        for (const unsigned char *d = f; d < eq; d++) tag = tag * 10 + (*d - '0');
        for (int i = 0; i < nf; i++)
            if (fields[i].tag == tag) return 0; /* duplicate tag: Python reports it */
        fields[nf].tag = tag;
        fields[nf].value = eq + 1;
        fields[nf].value_len = vend - (eq + 1);
        nf++;
        f = vend + 1;
    }
    if (nf == 0 || fields[0].tag != 35) return 0;
    int has34 = -1, has49 = 0, has56 = 0, has52 = 0;
    for (int i = 0; i < nf; i++) {
        switch (fields[i].tag) {
            case 34: has34 = i; break;
            case 49: has49 = 1; break;
            case 56: has56 = 1; break;
            case 52: has52 = 1; break;
            default: break;
        }
    }
    if (has34 < 0 || !has49 || !has56 || !has52) return 0;
    if (fields[has34].value_len > MAX_INT_DIGITS || !all_digits(fields[has34].value, fields[has34].value_len))
        return 0;
    long long seq = 0;
    for (Py_ssize_t i = 0; i < fields[has34].value_len; i++) seq = seq * 10 + (fields[has34].value[i] - '0');

    PyObject *dict = PyDict_New();
    if (dict == NULL) return -1;
    for (int i = 0; i < nf; i++) {
        PyObject *k = PyLong_FromLong(fields[i].tag);
        PyObject *v = k ? PyBytes_FromStringAndSize((const char *)fields[i].value, fields[i].value_len) : NULL;
        if (v == NULL || PyDict_SetItem(dict, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(dict);
            return -1;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    PyObject *msg_type = PyUnicode_DecodeLatin1((const char *)fields[0].value, fields[0].value_len, NULL);
    PyObject *seq_obj = msg_type ? PyLong_FromLongLong(seq) : NULL;
    PyObject *raw = seq_obj ? PyBytes_FromStringAndSize((const char *)p, end + 7 - p) : NULL;
    PyObject *msg = NULL;
    if (raw != NULL) { /* cls.__new__ and the four slots, without running the Python __init__ */
        PyObject *values[4] = {msg_type, seq_obj, raw, dict};
        msg = ((PyTypeObject *)cls)->tp_new((PyTypeObject *)cls, empty_tuple, NULL);
        for (int i = 0; msg != NULL && i < 4; i++) {
            if (PyObject_SetAttr(msg, slot_names[i], values[i]) < 0) Py_CLEAR(msg);
        }
    }
    Py_XDECREF(msg_type);
    Py_XDECREF(seq_obj);
    Py_XDECREF(raw);
    Py_DECREF(dict);
    if (msg == NULL) return -1;
    *out = msg;
    *next = (end + 7) - buf;
    return 1;
}

static PyObject *fastfix_frame(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "frame(buf, pos, n, begin, max_body, cls)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t n = PyLong_AsSsize_t(args[2]);
    Py_ssize_t max_body = PyLong_AsSsize_t(args[4]);
    PyObject *result = NULL, *list = NULL;
    if (PyErr_Occurred()) goto done;
    if (!PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "begin must be bytes");
        goto done;
    }
    if (!PyType_Check(args[5]) || ((PyTypeObject *)args[5])->tp_new == NULL) {
        PyErr_SetString(PyExc_TypeError, "cls must be a class with the slots msg_type, msg_seq_num, raw, _fields");
        goto done;
    }
    if (pos < 0 || n > view.len || pos > n) {
        PyErr_SetString(PyExc_ValueError, "pos and n must satisfy 0 <= pos <= n <= len(buf)");
        goto done;
    }
    list = PyList_New(0);
    if (list == NULL) goto done;
    const unsigned char *buf = view.buf;
    const unsigned char *begin = (const unsigned char *)PyBytes_AS_STRING(args[3]);
    Py_ssize_t begin_len = PyBytes_GET_SIZE(args[3]);
    for (;;) {
        Py_ssize_t next = 0;
        PyObject *msg = NULL;
        int rc = frame_one(buf, pos, n, begin, begin_len, max_body, args[5], &next, &msg);
        if (rc < 0) goto done;
        if (rc == 0) break;
        int appended = PyList_Append(list, msg);
        Py_DECREF(msg);
        if (appended < 0) goto done;
        pos = next;
    }
    result = Py_BuildValue("(On)", list, pos);
done:
    Py_XDECREF(list);
    PyBuffer_Release(&view);
    return result;
}

/* ------------------------------------------------------------------ UTCTimestamp */

static int is_leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int two(const unsigned char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* 1 and *ns on a valid timestamp the Python parser would accept with the same value; 0 otherwise */
static int utc_ns(const unsigned char *t, Py_ssize_t len, long long *ns) {
    static const unsigned char pattern[] = "dddddddd-dd:dd:dd";
    if (len != 17 && len != 21 && len != 24 && len != 27) return 0;
    for (int i = 0; i < 17; i++) {
        if (pattern[i] == 'd') {
            if (t[i] < '0' || t[i] > '9') return 0;
        } else if (t[i] != pattern[i]) {
            return 0;
        }
    }
    long long frac = 0, scale = 0;
    if (len > 17) {
        if (t[17] != '.') return 0;
        for (Py_ssize_t i = 18; i < len; i++) {
            if (t[i] < '0' || t[i] > '9') return 0;
            frac = frac * 10 + (t[i] - '0');
        }
        scale = len == 21 ? 1000000 : len == 24 ? 1000 : 1;
    }
    long year = two(t) * 100 + two(t + 2);
    int month = two(t + 4), day = two(t + 6), h = two(t + 9), m = two(t + 12), s = two(t + 15);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1) return 0;
    if (day > mdays[month - 1] + (month == 2 && is_leap(year))) return 0;
    if (h > 23 || m > 59 || s > 60) return 0;
    long long days = days_from_civil(year, (unsigned)month, (unsigned)day);
    long long secs = days * 86400 + h * 3600 + m * 60 + s;
    /* the Python parser works in unbounded ints; leave anything near int64 limits to it */
    if (secs > 9000000000LL || secs < -9000000000LL) return 0;
    *ns = secs * 1000000000LL + frac * scale;
    return 1;
}

static PyObject *fastfix_parse_utc(PyObject *self, PyObject *arg) {
    long long ns;
    if (!PyBytes_Check(arg) || !utc_ns((const unsigned char *)PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg), &ns))
        Py_RETURN_NONE;
    return PyLong_FromLongLong(ns);
}

/* ------------------------------------------------------------------ order entry */

enum { T_ACCOUNT, T_CL_ORD_ID, T_EXEC_INST, T_ORDER_ID, T_ORDER_QTY, T_ORD_TYPE, T_ORIG_CL_ORD_ID, T_PRICE,
       T_SIDE, T_SYMBOL, T_TIME_IN_FORCE, T_TRANSACT_TIME, N_TAGS };
static const long tag_numbers[N_TAGS] = {1, 11, 18, 37, 38, 40, 41, 44, 54, 55, 59, 60};
static PyObject *tag_objects[N_TAGS];

/* the bytes value of a tag, or NULL when absent (borrowed) */
static PyObject *field(PyObject *fields, int which) {
    PyObject *v = PyDict_GetItemWithError(fields, tag_objects[which]);
    return v != NULL && PyBytes_Check(v) ? v : NULL;
}

static const unsigned char *bytes_of(PyObject *v, Py_ssize_t *len) {
    *len = PyBytes_GET_SIZE(v);
    return (const unsigned char *)PyBytes_AS_STRING(v);
}

/* one ASCII byte value (b"1"), or -1 */
static int single(PyObject *v) {
    if (v == NULL || PyBytes_GET_SIZE(v) != 1) return -1;
    return (unsigned char)PyBytes_AS_STRING(v)[0];
}

/* OrderQty: a positive whole number of at most 18 digits (not all zeros); -1 otherwise */
static long long quantity(PyObject *v) {
    if (v == NULL) return -1;
    Py_ssize_t len;
    const unsigned char *p = bytes_of(v, &len);
    if (len > MAX_INT_DIGITS || !all_digits(p, len)) return -1;
    long long q = 0;
    for (Py_ssize_t i = 0; i < len; i++) q = q * 10 + (p[i] - '0');
    return q > 0 ? q : -1;
}

/* a plain positive decimal: digits, optionally one '.' and digits; nothing else (no sign, exponent) */
static int plain_price(PyObject *v) {
    Py_ssize_t len;
    const unsigned char *p = bytes_of(v, &len);
    if (len == 0 || len > 32) return 0;
    int dot = 0, nonzero = 0, digits_before = 0, digits_after = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (p[i] == '.') {
            if (dot) return 0;
            dot = 1;
        } else if (p[i] >= '0' && p[i] <= '9') {
            nonzero |= p[i] != '0';
            if (dot) digits_after++;
            else digits_before++;
        } else {
            return 0;
        }
    }
    return nonzero && digits_before > 0 && (!dot || digits_after > 0);
}

static PyObject *text_of(PyObject *v) {
    return PyUnicode_DecodeLatin1(PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v), NULL);
}

static int transact_time(PyObject *fields, long long *ns) {
    PyObject *v = field(fields, T_TRANSACT_TIME);
    if (v == NULL) return 0;
    Py_ssize_t len;
    const unsigned char *p = bytes_of(v, &len);
    return utc_ns(p, len, ns);
}

/*
 * new_order(fields) -> (cl_ord_id, symbol, side, transact_ns, qty, ord_type, price, tif, post_only, account)
 * side, ord_type, tif: the FIX characters as ints (tif -1 when absent); price None for market orders.
 * None when anything would make the Python parser refuse or differ.
 */
static PyObject *fastfix_new_order(PyObject *self, PyObject *fields) {
    if (!PyDict_CheckExact(fields)) Py_RETURN_NONE;
    PyObject *cl = field(fields, T_CL_ORD_ID), *symbol = field(fields, T_SYMBOL);
    int side = single(field(fields, T_SIDE)), ord_type = single(field(fields, T_ORD_TYPE));
    long long ns, qty = quantity(field(fields, T_ORDER_QTY));
    if (cl == NULL || symbol == NULL || (side != '1' && side != '2') || qty < 0) Py_RETURN_NONE;
    if ((ord_type != '1' && ord_type != '2') || !transact_time(fields, &ns)) Py_RETURN_NONE;
    PyObject *tif_v = field(fields, T_TIME_IN_FORCE);
    int tif = -1;
    if (tif_v != NULL) {
        tif = single(tif_v);
        if (tif != '0' && tif != '1' && tif != '3' && tif != '4') Py_RETURN_NONE;
    }
    PyObject *price = field(fields, T_PRICE);
    if (ord_type == '2' && (price == NULL || !plain_price(price))) Py_RETURN_NONE;
    int post_only = 0;
    PyObject *exec_inst = field(fields, T_EXEC_INST);
    if (exec_inst != NULL) { /* ExecInst is space-separated; 6 = participate don't initiate */
        Py_ssize_t len;
        const unsigned char *p = bytes_of(exec_inst, &len);
        for (Py_ssize_t i = 0; i < len; i++)
            if (p[i] == '6' && (i == 0 || p[i - 1] == ' ') && (i + 1 == len || p[i + 1] == ' ')) post_only = 1;
    }
    if (PyErr_Occurred()) return NULL;
    PyObject *account = field(fields, T_ACCOUNT);
    PyObject *account_text = account != NULL ? text_of(account) : Py_NewRef(Py_None);
    PyObject *price_text = ord_type == '2' ? text_of(price) : Py_NewRef(Py_None);
    PyObject *cl_text = text_of(cl), *symbol_text = text_of(symbol);
    PyObject *out = NULL;
    if (account_text && price_text && cl_text && symbol_text)
        out = Py_BuildValue("(OOiLLiOiOO)", cl_text, symbol_text, side, ns, qty, ord_type, price_text, tif,
                            post_only ? Py_True : Py_False, account_text);
    Py_XDECREF(account_text);
    Py_XDECREF(price_text);
    Py_XDECREF(cl_text);
    Py_XDECREF(symbol_text);
    return out;
}

/* cancel(fields) -> (orig_cl_ord_id, cl_ord_id, order_id, symbol, side, qty, transact_ns) or None */
static PyObject *fastfix_cancel(PyObject *self, PyObject *fields) {
    if (!PyDict_CheckExact(fields)) Py_RETURN_NONE;
    PyObject *orig = field(fields, T_ORIG_CL_ORD_ID), *cl = field(fields, T_CL_ORD_ID);
    PyObject *symbol = field(fields, T_SYMBOL), *order_id = field(fields, T_ORDER_ID);
    int side = single(field(fields, T_SIDE));
    long long ns, qty = quantity(field(fields, T_ORDER_QTY));
    if (orig == NULL || cl == NULL || symbol == NULL || (side != '1' && side != '2') || qty < 0) Py_RETURN_NONE;
    if (!transact_time(fields, &ns)) Py_RETURN_NONE;
    if (PyErr_Occurred()) return NULL;
    PyObject *orig_text = text_of(orig), *cl_text = text_of(cl), *symbol_text = text_of(symbol);
    PyObject *order_text = order_id != NULL ? text_of(order_id) : Py_NewRef(Py_None);
    PyObject *out = NULL;
    if (orig_text && cl_text && symbol_text && order_text)
        out = Py_BuildValue("(OOOOiLL)", orig_text, cl_text, order_text, symbol_text, side, qty, ns);
    Py_XDECREF(orig_text);
    Py_XDECREF(cl_text);
    Py_XDECREF(symbol_text);
    Py_XDECREF(order_text);
    return out;
}

/* ------------------------------------------------------------------ encoder tail */

/* begin + BodyLength + SOH + data + "10=nnn" + SOH as a new bytes object (NULL on a Python error) */
static PyObject *sealed(const char *begin, Py_ssize_t blen, const char *data, Py_ssize_t dlen) {
    char length[24];
    int llen = snprintf(length, sizeof length, "%zd\x01", dlen);
    Py_ssize_t body_end = blen + llen + dlen;
    PyObject *out = PyBytes_FromStringAndSize(NULL, body_end + 7);
    if (out == NULL) return NULL;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    memcpy(o, begin, (size_t)blen);
    memcpy(o + blen, length, (size_t)llen);
    memcpy(o + blen + llen, data, (size_t)dlen);
    unsigned int sum = 0;
    for (Py_ssize_t i = 0; i < body_end; i++) sum += o[i];
    sum &= 0xFF;
    unsigned char *t = o + body_end;
    t[0] = '1';
    t[1] = '0';
    t[2] = '=';
    t[3] = (unsigned char)('0' + sum / 100);
    t[4] = (unsigned char)('0' + (sum / 10) % 10);
    t[5] = (unsigned char)('0' + sum % 10);
    t[6] = SOH;
    return out;
}

static PyObject *fastfix_seal(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "seal(begin: bytes, data: str)");
        return NULL;
    }
    PyObject *data = args[1];
    if (!PyUnicode_IS_ASCII(data)) Py_RETURN_NONE;
    return sealed(PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), (const char *)PyUnicode_DATA(data),
                  PyUnicode_GET_LENGTH(data));
}

/* ------------------------------------------------------------------ ExecutionReport */

typedef struct {
    char *p;
    Py_ssize_t len, cap;
    int failed; /* 1: give up (the Python encoder decides); -1: Python error set */
} Buf;

static void put(Buf *b, const char *s, Py_ssize_t n) {
    if (b->failed) return;
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap * 2 + n;
        char *q = PyMem_Realloc(b->p, (size_t)cap);
        if (q == NULL) {
            b->failed = -1;
            PyErr_NoMemory();
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, (size_t)n);
    b->len += n;
}

static void put_text(Buf *b, const char *s) { put(b, s, (Py_ssize_t)strlen(s)); }

/* an ASCII str without SOH, as the Python encoder writes it; anything else gives up */
static void put_str(Buf *b, PyObject *v) {
    if (b->failed) return;
    if (v == NULL || !PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v)) {
        b->failed = b->failed ? b->failed : 1;
        return;
    }
    const char *s = (const char *)PyUnicode_DATA(v);
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (memchr(s, SOH, (size_t)n) != NULL) {
        b->failed = 1;
        return;
    }
    put(b, s, n);
}

static void put_decimal(Buf *b, long long x) {
    char tmp[24];
    int i = 24;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0) tmp[--i] = '-';
    put(b, tmp + i, 24 - i);
}

static void digits(char *p, long long x, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + x % 10);
        x /= 10;
    }
}

/* an exact int (not bool, not an enum) */
static void put_int(Buf *b, PyObject *v) {
    if (b->failed) return;
    if (v == NULL || !PyLong_CheckExact(v)) {
        b->failed = 1;
        return;
    }
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        b->failed = 1;
        return;
    }
    put_decimal(b, x);
}

/* 1970-01-01 + days -> y, m, d (H. Hinnant's civil_from_days) */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d) {
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

/* UTCTimestamp YYYYMMDD-HH:MM:SS.sss of ns since the epoch (milliseconds truncated), like _time.py */
static void put_utc(Buf *b, PyObject *v) {
    if (b->failed) return;
    if (v == NULL || !PyLong_CheckExact(v)) {
        b->failed = 1;
        return;
    }
    int overflow = 0;
    long long ns = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || ns < 0 || (ns == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        b->failed = 1; /* negative: the Python formatter raises */
        return;
    }
    long long ms = ns / 1000000, day = ms / 86400000, rest = ms % 86400000;
    long long y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (y > 9999) {
        b->failed = 1;
        return;
    }
    static __thread long long cached_ms = -1;
    static __thread char text[21];
    if (ms != cached_ms) { /* messages in one millisecond share the text, as in _time.py */
        digits(text, y, 4);
        digits(text + 4, m, 2);
        digits(text + 6, d, 2);
        text[8] = '-';
        digits(text + 9, rest / 3600000, 2);
        text[11] = ':';
        digits(text + 12, rest / 60000 % 60, 2);
        text[14] = ':';
        digits(text + 15, rest / 1000 % 60, 2);
        text[17] = '.';
        digits(text + 18, rest % 1000, 3);
        cached_ms = ms;
    }
    put(b, text, 21);
}

static PyObject *report_names[32]; /* interned attribute names of ExecutionReport, made once */

/*
 * execution_report(begin, head, seq, sending_ns, r) -> bytes | None
 * The ExecutionReport r (hftsim.net.fix.application.ExecutionReport, or the tuple of its values in
 * the order of REPORT_VALUES in application.py) encoded exactly like
 * encode_execution_report with FixEncoder.encode_body: begin = b"8=FIX.4.4\x019=", head =
 * "35=8\x0149=<sender>\x0156=<target>\x0134=". None when a value is of a kind the Python encoder
 * formats differently or refuses.
 */
static PyObject *fastfix_execution_report(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "execution_report(begin, head, seq, sending_ns, report)");
        return NULL;
    }
    static const char *names[] = {"order_id", "cl_ord_id",   "orig_cl_ord_id", "exec_id",  "exec_type",
                                  "ord_status", "ord_rej_reason", "symbol",     "side",     "order_qty",
                                  "price",    "last_qty",    "last_px",        "leaves_qty", "cum_qty",
                                  "avg_px",   "transact_time_ns", "text"};
    enum { ORDER_ID, CL_ORD_ID, ORIG, EXEC_ID, EXEC_TYPE, ORD_STATUS, REJ, SYMBOL, SIDE, ORDER_QTY, PRICE,
           LAST_QTY, LAST_PX, LEAVES, CUM, AVG_PX, TRANSACT, TEXT, N_ATTR };
    PyObject *v[N_ATTR] = {0};
    PyObject *result = NULL;
    Buf b = {PyMem_Malloc(512), 0, 512, 0};
    if (b.p == NULL) return PyErr_NoMemory();
    if (PyTuple_CheckExact(args[4])) { /* the values themselves, in the order of names[] */
        if (PyTuple_GET_SIZE(args[4]) != N_ATTR) {
            PyErr_Format(PyExc_TypeError, "a report tuple has %d values", N_ATTR);
            goto done;
        }
        for (int i = 0; i < N_ATTR; i++) v[i] = Py_NewRef(PyTuple_GET_ITEM(args[4], i));
    } else {
        for (int i = 0; i < N_ATTR; i++) {
            if (report_names[i] == NULL && (report_names[i] = PyUnicode_InternFromString(names[i])) == NULL)
                goto done;
            v[i] = PyObject_GetAttr(args[4], report_names[i]);
            if (v[i] == NULL) goto done;
        }
    }
    if (!PyUnicode_IS_ASCII(args[1])) b.failed = 1;
    else put(&b, (const char *)PyUnicode_DATA(args[1]), PyUnicode_GET_LENGTH(args[1]));
    put_int(&b, args[2]);
    put_text(&b, "\x01" "52=");
    put_utc(&b, args[3]);
    put_text(&b, "\x01" "37=");
    put_str(&b, v[ORDER_ID]);
    put_text(&b, "\x01" "11=");
    put_str(&b, v[CL_ORD_ID]);
    put_text(&b, "\x01");
    if (v[ORIG] != Py_None) {
        put_text(&b, "41=");
        put_str(&b, v[ORIG]);
        put_text(&b, "\x01");
    }
    put_text(&b, "17=");
    put_str(&b, v[EXEC_ID]);
    put_text(&b, "\x01" "150=");
    put_str(&b, v[EXEC_TYPE]);
    put_text(&b, "\x01" "39=");
    put_str(&b, v[ORD_STATUS]);
    put_text(&b, "\x01");
    if (v[REJ] != Py_None) {
        put_text(&b, "103=");
        put_int(&b, v[REJ]);
        put_text(&b, "\x01");
    }
    put_text(&b, "55=");
    put_str(&b, v[SYMBOL]);
    put_text(&b, "\x01" "54=");
    if (!b.failed) { /* Side.BUY (1) -> "1", Side.SELL (-1) -> "2" */
        long side = PyLong_Check(v[SIDE]) ? PyLong_AsLong(v[SIDE]) : 0;
        if (side == 1) put_text(&b, "1");
        else if (side == -1) put_text(&b, "2");
        else b.failed = 1;
        PyErr_Clear();
    }
    put_text(&b, "\x01" "38=");
    put_int(&b, v[ORDER_QTY]);
    put_text(&b, "\x01");
    if (v[PRICE] != Py_None) {
        put_text(&b, "44=");
        put_str(&b, v[PRICE]);
        put_text(&b, "\x01");
    }
    if (!b.failed && PyUnicode_CheckExact(v[EXEC_TYPE]) && PyUnicode_GET_LENGTH(v[EXEC_TYPE]) == 1 &&
        PyUnicode_READ_CHAR(v[EXEC_TYPE], 0) == 'F') {
        put_text(&b, "32=");
        put_int(&b, v[LAST_QTY]);
        put_text(&b, "\x01" "31=");
        put_str(&b, v[LAST_PX]);
        put_text(&b, "\x01");
    }
    put_text(&b, "151=");
    put_int(&b, v[LEAVES]);
    put_text(&b, "\x01" "14=");
    put_int(&b, v[CUM]);
    put_text(&b, "\x01" "6=");
    put_str(&b, v[AVG_PX]);
    put_text(&b, "\x01" "60=");
    put_utc(&b, v[TRANSACT]);
    put_text(&b, "\x01");
    if (v[TEXT] != Py_None) {
        put_text(&b, "58=");
        put_str(&b, v[TEXT]);
        put_text(&b, "\x01");
    }
    if (b.failed < 0) goto done;
    if (b.failed) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = sealed(PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), b.p, b.len);
done:
    for (int i = 0; i < N_ATTR; i++) Py_XDECREF(v[i]);
    PyMem_Free(b.p);
    return result;
}

static PyMethodDef fastfix_methods[] = {
    {"frame", (PyCFunction)(void (*)(void))fastfix_frame, METH_FASTCALL,
     "frame(buf, pos, n, begin, max_body, cls) -> (messages, pos): the framer's happy path."},
    {"parse_utc", fastfix_parse_utc, METH_O, "parse_utc(value: bytes) -> int | None."},
    {"new_order", fastfix_new_order, METH_O, "new_order(fields) -> tuple | None: NewOrderSingle's happy path."},
    {"cancel", fastfix_cancel, METH_O, "cancel(fields) -> tuple | None: OrderCancelRequest's happy path."},
    {"execution_report", (PyCFunction)(void (*)(void))fastfix_execution_report, METH_FASTCALL,
     "execution_report(begin, head, seq, sending_ns, report) -> bytes | None."},
    {"seal", (PyCFunction)(void (*)(void))fastfix_seal, METH_FASTCALL,
     "seal(begin: bytes, data: str) -> bytes | None: add BodyLength and CheckSum."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fastfix_module = {
    PyModuleDef_HEAD_INIT, "hftsim.net.fix._fastfix", "Compiled happy path of the FIX codec.", -1,
    fastfix_methods,
};

PyMODINIT_FUNC PyInit__fastfix(void) {
    static const char *slots[4] = {"msg_type", "msg_seq_num", "raw", "_fields"};
    for (int i = 0; i < 4; i++) {
        if (slot_names[i] == NULL && (slot_names[i] = PyUnicode_InternFromString(slots[i])) == NULL) return NULL;
    }
    if (empty_tuple == NULL && (empty_tuple = PyTuple_New(0)) == NULL) return NULL;
    for (int i = 0; i < N_TAGS; i++) {
        if (tag_objects[i] == NULL && (tag_objects[i] = PyLong_FromLong(tag_numbers[i])) == NULL) return NULL;
    }
    return PyModule_Create(&fastfix_module);
}
