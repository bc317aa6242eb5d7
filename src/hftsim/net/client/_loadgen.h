/*
 * The compiled load runner's shared parts: the Runner object, its constants and small helpers, and
 * the send/receive loop's entry points (_loadgen_loop.c) that the Python type (_loadgen.c) calls.
 * See _loadgen.c for what the runner does.
 */
#ifndef HFTSIM_LOADGEN_H
#define HFTSIM_LOADGEN_H

#define PY_SSIZE_T_CLEAN
#ifdef __linux__
#define _GNU_SOURCE /* ppoll */
#endif
#include <Python.h>
#include <structmember.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/uio.h>
#include <time.h>
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define SOH '\x01'
#define MAX_TEXT 64                 /* CompIDs, ClOrdID prefix, symbol */
#define MAX_MSG 1024                /* one encoded message, bounded by the MAX_TEXT limits */
#define BATCH_MAX 16384             /* messages encoded per send() at most */
#define OUT_CAP ((size_t)8 << 20)   /* stop encoding while this much output is still unwritten */
#define RECV_MIN ((size_t)64 << 10) /* free room wanted before each recv() */
#define MAX_FIELDS 128
#define MAX_TAG 10000 /* tags the duplicate check covers; a frame with a larger tag is handed back */
#define SIGNAL_CHECK_NS 20000000LL

enum { STOP_NONE, STOP_DONE, STOP_DRAIN_TIMEOUT, STOP_HANDBACK, STOP_GARBLED, STOP_CLOSED, STOP_ERROR,
       STOP_SIGNAL };
enum { FRAME_GARBLED = -1, FRAME_WAIT = 0, FRAME_OK = 1 };

typedef struct {
    PyObject_HEAD
    int fd, step, os_errno; /* step: 2 when every second message cancels the order before it */
    char is_finished, is_sending_done, has_views;
    double interval_ns;
    long long total, n_orders, time_limit_ns, drain_timeout_ns, spin_ns, ack_spin_ns, max_body;
    Py_buffer send_view, ack_view, rx_view;
    int64_t *send_ns, *ack_ns, *rx_ns;  /* rx_ns: NULL without kernel receive stamps */
    long long rx_stamp_ns, rx_offset_ns; /* the last read's kernel stamp (monotonic); realtime - monotonic */
    /* schedule and session state (exposed as members) */
    long long t0_ns, end_ns, sent, max_lag_ns, last_send_ns, drain_deadline_ns;
    long long next_out_seq, next_in_seq;
    long long acked, canceled, rejected, other_reports, handbacks;
    long long writes, partial_writes, bytes_sent, bytes_received, last_recv_ns;
    /* wire constants */
    char begin[32], begin_string[16]; /* "8=FIX.4.4<SOH>9=", "FIX.4.4" */
    char comp[2 * MAX_TEXT + 16];     /* "<SOH>49=sender<SOH>56=target<SOH>34=" */
    size_t begin_len, begin_string_len, comp_len;
    char sender[MAX_TEXT], target[MAX_TEXT], prefix[MAX_TEXT];
    size_t sender_len, target_len, prefix_len;
    char instrument[MAX_TEXT + 32]; /* "55=<symbol><SOH>54=<side><SOH>60=" */
    char order_tail[80];            /* "<SOH>38=<qty><SOH>40=2<SOH>44=<price><SOH>59=0<SOH>" */
    char cancel_tail[32];           /* "<SOH>38=<qty><SOH>" */
    size_t instrument_len, order_tail_len, cancel_tail_len;
    long long ts_ms; /* SendingTime cache: ts[0:ts_len] is the text of millisecond ts_ms */
    char ts[32];
    size_t ts_len;
    /* buffers: out[out_off:out_len] is unwritten, in[in_off:in_len] is unprocessed */
    char *out, *in;
    size_t out_off, out_len, out_cap, in_off, in_len, in_cap;
    size_t handback_len; /* the frame at in_off that run() hands back */
    uint8_t seen[MAX_TAG / 8 + 1];
} Runner;

/* ------------------------------------------------------------------ small helpers */

static inline long long clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static inline size_t put_u64(char *p, unsigned long long v) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

#define PUT(p, s, n) (memcpy((p), (s), (n)), (p) += (n))
#define PUT_LIT(p, lit) PUT(p, lit, sizeof(lit) - 1)

static inline long long sent_orders(const Runner *r) { return (r->sent + r->step - 1) / r->step; }

static inline size_t pending_out(const Runner *r) { return r->out_len - r->out_off; }

static inline int same(const char *a, size_t a_len, const char *b, size_t b_len) {
    return a != NULL && a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* _loadgen_loop.c */
long long lg_parse_digits(const char *s, size_t n);
int lg_grow(char **buf, size_t *cap, size_t need);
void lg_count_report(Runner *r, const char *exec_type, size_t exec_type_len, const char *cl_ord_id,
                     size_t cl_ord_id_len, long long recv_ns);
int lg_process_input(Runner *r, long long recv_ns);
int lg_run_loop(Runner *r, PyThreadState **thread);

#endif
