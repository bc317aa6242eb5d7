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
 * order is answered and all output written. Between events it sleeps in ppoll() (or, with spin_ns,
 * polls and sched_yield()s when the next message is due within spin_ns). The GIL is released while it
 * runs and taken back every 20 ms to let Python see signals (Ctrl-C).
 */
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
static const char *const STOP_NAMES[] = {"more", "done", "drain_timeout", "handback", "garbled", "closed",
                                         "error", "signal"};
enum { FRAME_GARBLED = -1, FRAME_WAIT = 0, FRAME_OK = 1 };

typedef struct {
    PyObject_HEAD
    int fd, step, os_errno; /* step: 2 when every second message cancels the order before it */
    char is_finished, is_sending_done, has_views;
    double interval_ns;
    long long total, n_orders, time_limit_ns, drain_timeout_ns, spin_ns, max_body;
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

/* Parse 1..18 ASCII digits; -1 when the text is not that. */
static long long parse_digits(const char *s, size_t n) {
    if (n == 0 || n > 18) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static inline int same(const char *a, size_t a_len, const char *b, size_t b_len) {
    return a != NULL && a_len == b_len && memcmp(a, b, a_len) == 0;
}

static int grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need) cap2 *= 2;
    char *p = PyMem_RawRealloc(*buf, cap2);
    if (!p) return -1;
    *buf = p;
    *cap = cap2;
    return 0;
}

/* ------------------------------------------------------------------ sending */

static void format_sending_time(Runner *r, long long wall_ns) {
    long long ms = wall_ns / 1000000;
    if (ms == r->ts_ms) return;
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(r->ts, sizeof r->ts, "%04d%02d%02d-%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    r->ts_len = (size_t)n;
    r->ts_ms = ms;
}

/* Append message i of the schedule to out (room for MAX_MSG + 64 bytes is reserved by the caller). */
static void encode_message(Runner *r, long long i) {
    char body[MAX_MSG];
    char *p = body;
    long long k = i / r->step;
    int is_cancel = r->step == 2 && (i & 1);
    PUT_LIT(p, "35=");
    *p++ = is_cancel ? 'F' : 'D';
    PUT(p, r->comp, r->comp_len);
    p += put_u64(p, (unsigned long long)r->next_out_seq++);
    PUT_LIT(p, "\x01" "52=");
    PUT(p, r->ts, r->ts_len);
    if (is_cancel) {
        PUT_LIT(p, "\x01" "41=");
        PUT(p, r->prefix, r->prefix_len);
        p += put_u64(p, (unsigned long long)k);
        PUT_LIT(p, "\x01" "11=");
        PUT(p, r->prefix, r->prefix_len);
        *p++ = 'c';
    } else {
        PUT_LIT(p, "\x01" "11=");
        PUT(p, r->prefix, r->prefix_len);
    }
    p += put_u64(p, (unsigned long long)k);
    *p++ = SOH;
    PUT(p, r->instrument, r->instrument_len);
    PUT(p, r->ts, r->ts_len);
    if (is_cancel)
        PUT(p, r->cancel_tail, r->cancel_tail_len);
    else
        PUT(p, r->order_tail, r->order_tail_len);
    size_t body_len = (size_t)(p - body);
    char *start = r->out + r->out_len;
    char *o = start;
    PUT(o, r->begin, r->begin_len);
    o += put_u64(o, body_len);
    *o++ = SOH;
    PUT(o, body, body_len);
    unsigned sum = 0;
    for (const unsigned char *q = (const unsigned char *)start; q < (const unsigned char *)o; q++) sum += *q;
    sum &= 0xFF;
    PUT_LIT(o, "10=");
    *o++ = (char)('0' + sum / 100);
    *o++ = (char)('0' + sum / 10 % 10);
    *o++ = (char)('0' + sum % 10);
    *o++ = SOH;
    r->out_len = (size_t)(o - r->out);
}

/* Write as much pending output as the socket takes; 0, or -1 on a socket error (os_errno set). */
static int flush_out(Runner *r) {
    while (r->out_off < r->out_len) {
        size_t want = r->out_len - r->out_off;
        ssize_t n = send(r->fd, r->out + r->out_off, want, MSG_NOSIGNAL);
        if (n > 0) {
            r->writes++;
            if ((size_t)n < want) r->partial_writes++;
            r->out_off += (size_t)n;
            r->bytes_sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        r->os_errno = n < 0 ? errno : EPIPE;
        return -1;
    }
    if (r->out_off == r->out_len) r->out_off = r->out_len = 0;
    return 0;
}

static int reserve_out(Runner *r, size_t extra) {
    if (r->out_off > 0 && r->out_off >= r->out_cap / 2) {
        memmove(r->out, r->out + r->out_off, pending_out(r));
        r->out_len -= r->out_off;
        r->out_off = 0;
    }
    if (grow(&r->out, &r->out_cap, r->out_len + extra) < 0) {
        r->os_errno = ENOMEM;
        return -1;
    }
    return 0;
}

static void end_sending(Runner *r, long long now) {
    r->is_sending_done = 1;
    r->last_send_ns = now;
    r->drain_deadline_ns = now + r->drain_timeout_ns;
}

static inline long long due_ns(const Runner *r, long long i) {
    return r->t0_ns + (long long)((double)i * r->interval_ns);
}

/* Encode messages sent..due-1, stamp their orders and write them; 0, or -1 on a socket error. */
static int send_due(Runner *r, long long now, long long due) {
    long long lag = now - due_ns(r, r->sent);
    if (lag > r->max_lag_ns) r->max_lag_ns = lag;
    if (due - r->sent > BATCH_MAX) due = r->sent + BATCH_MAX;
    if (reserve_out(r, (size_t)(due - r->sent) * (MAX_MSG + 64)) < 0) return -1;
    format_sending_time(r, clock_ns(CLOCK_REALTIME));
    for (long long i = r->sent; i < due; i++) encode_message(r, i);
    long long first = (r->sent + r->step - 1) / r->step, last = (due + r->step - 1) / r->step;
    long long stamp = mono_ns();
    for (long long k = first; k < last; k++) r->send_ns[k] = stamp;
    r->sent = due;
    return flush_out(r);
}

/* ------------------------------------------------------------------ receiving */

/* Count one ExecutionReport; also the entry point for reports the Python session handled. */
static void count_report(Runner *r, const char *exec_type, size_t exec_type_len, const char *cl_ord_id,
                         size_t cl_ord_id_len, long long recv_ns) {
    if (exec_type == NULL || exec_type_len != 1) {
        r->other_reports++;
        return;
    }
    switch (exec_type[0]) {
    case '0':
        if (cl_ord_id_len > r->prefix_len && same(cl_ord_id, r->prefix_len, r->prefix, r->prefix_len)) {
            long long k = parse_digits(cl_ord_id + r->prefix_len, cl_ord_id_len - r->prefix_len);
            if (k >= 0 && k < r->n_orders && r->ack_ns[k] == 0) { /* the first ack counts */
                r->ack_ns[k] = recv_ns;
                if (r->rx_ns != NULL) r->rx_ns[k] = r->rx_stamp_ns ? r->rx_stamp_ns : recv_ns;
                r->acked++;
            }
        }
        break;
    case '4': r->canceled++; break;
    case '8': r->rejected++; break;
    default: r->other_reports++;
    }
}

/* Is there a complete "<SOH>10=nnn<SOH>" starting in b[start:stop]? (FixFramer._has_trailer_before) */
static int has_trailer_before(const char *b, size_t start, size_t stop, size_t n) {
    for (size_t k = start; k + 4 <= stop; k++) {
        if (b[k] == SOH && memcmp(b + k + 1, "10=", 3) == 0 && k + 8 <= n && b[k + 7] == SOH &&
            parse_digits(b + k + 4, 3) >= 0)
            return 1;
    }
    return 0;
}

/* Delimit the frame at b[0:n] by FixFramer._frame's rules: FRAME_OK (sets *frame_len, *length_end, the
 * SOH after BodyLength, and *trailer, the offset of "10="), FRAME_WAIT or FRAME_GARBLED. */
static int delimit(const Runner *r, const char *b, size_t n, size_t *frame_len, size_t *length_end,
                   size_t *trailer) {
    if (n < 5) return memcmp(b, "8=FIX", n) == 0 ? FRAME_WAIT : FRAME_GARBLED;
    if (memcmp(b, "8=FIX", 5) != 0) return FRAME_GARBLED;
    const char *p = memchr(b, SOH, n < 32 ? n : 32);
    if (p == NULL) return n < 32 ? FRAME_WAIT : FRAME_GARBLED;
    size_t soh = (size_t)(p - b);
    if (n < soh + 3) return FRAME_WAIT;
    if (b[soh + 1] != '9' || b[soh + 2] != '=') return FRAME_GARBLED;
    size_t stop = n < soh + 13 ? n : soh + 13;
    p = memchr(b + soh + 3, SOH, stop - (soh + 3));
    if (p == NULL) return n - soh < 13 ? FRAME_WAIT : FRAME_GARBLED;
    size_t le = (size_t)(p - b);
    long long body_length = parse_digits(b + soh + 3, le - (soh + 3));
    if (body_length < 0 || body_length > r->max_body) return FRAME_GARBLED;
    size_t end = le + 1 + (size_t)body_length;
    if (has_trailer_before(b, le, n < end - 1 ? n : end - 1, n)) return FRAME_GARBLED;
    if (n < end + 7) return FRAME_WAIT;
    if (b[end - 1] != SOH || memcmp(b + end, "10=", 3) != 0 || b[end + 6] != SOH) return FRAME_GARBLED;
    *frame_len = end + 7;
    *length_end = le;
    *trailer = end;
    return FRAME_OK;
}

typedef struct {
    const char *msg_type, *seq, *sender, *target, *exec_type, *cl_ord_id;
    size_t msg_type_len, seq_len, sender_len, target_len, exec_type_len, cl_ord_id_len;
    int has_sending_time, has_poss_dup;
} Fields;

/* Split body b[0:n] (ending with SOH) into fields as _framer._parse_body would accept it; 0 when it is
 * well formed, without duplicate tags and with MsgType first, -1 otherwise (hand it back). */
static int parse_fields(Runner *r, const char *b, size_t n, Fields *f) {
    int tags[MAX_FIELDS];
    int n_tags = 0, ok = -1;
    const char *p = b, *end = b + n;
    memset(f, 0, sizeof *f);
    while (p < end) {
        if (*p < '1' || *p > '9') goto out;
        int tag = 0;
        const char *q = p;
        while (q < end && *q >= '0' && *q <= '9' && q - p < 5) tag = tag * 10 + (*q++ - '0');
        if (q >= end || *q != '=' || tag >= MAX_TAG || n_tags == MAX_FIELDS) goto out;
        const char *v = q + 1;
        const char *s = memchr(v, SOH, (size_t)(end - v));
        if (s == NULL || s == v) goto out;
        if (r->seen[tag >> 3] & (1u << (tag & 7))) goto out;
        r->seen[tag >> 3] |= (uint8_t)(1u << (tag & 7));
        tags[n_tags++] = tag;
        if ((n_tags == 1) != (tag == 35)) goto out;
        size_t len = (size_t)(s - v);
        switch (tag) {
        case 35: f->msg_type = v; f->msg_type_len = len; break;
        case 34: f->seq = v; f->seq_len = len; break;
        case 49: f->sender = v; f->sender_len = len; break;
        case 56: f->target = v; f->target_len = len; break;
        case 52: f->has_sending_time = 1; break;
        case 43: f->has_poss_dup = 1; break;
        case 150: f->exec_type = v; f->exec_type_len = len; break;
        case 11: f->cl_ord_id = v; f->cl_ord_id_len = len; break;
        default: break;
        }
        p = s + 1;
    }
    ok = n_tags > 0 ? 0 : -1;
out:
    for (int i = 0; i < n_tags; i++) r->seen[tags[i] >> 3] &= (uint8_t)~(1u << (tags[i] & 7));
    return ok;
}

/* Process the frame b[0:frame_len] when it is an in-sequence ExecutionReport; 0 when handled, -1 when
 * it must be handed back to the Python session. */
static int take_frame(Runner *r, const char *b, size_t le, size_t trailer, long long recv_ns) {
    unsigned sum = 0;
    for (size_t i = 0; i < trailer; i++) sum += (unsigned char)b[i];
    if (parse_digits(b + trailer + 3, 3) != (long long)(sum & 0xFF)) return -1;
    const char *soh = memchr(b, SOH, le);
    Fields f;
    if (!same(b + 2, (size_t)(soh - b) - 2, r->begin_string, r->begin_string_len) ||
        parse_fields(r, b + le + 1, trailer - le - 1, &f) < 0 || !same(f.msg_type, f.msg_type_len, "8", 1) ||
        !f.has_sending_time || f.has_poss_dup || !same(f.sender, f.sender_len, r->target, r->target_len) ||
        !same(f.target, f.target_len, r->sender, r->sender_len) || f.seq == NULL ||
        parse_digits(f.seq, f.seq_len) != r->next_in_seq)
        return -1;
    r->next_in_seq++;
    count_report(r, f.exec_type, f.exec_type_len, f.cl_ord_id, f.cl_ord_id_len, recv_ns);
    return 0;
}

/* Handle every complete buffered frame; STOP_NONE when all were taken (a partial one may remain). */
static int process_input(Runner *r, long long recv_ns) {
    while (r->in_off < r->in_len) {
        const char *b = r->in + r->in_off;
        size_t frame_len = 0, le = 0, trailer = 0;
        int st = delimit(r, b, r->in_len - r->in_off, &frame_len, &le, &trailer);
        if (st == FRAME_WAIT) break;
        if (st == FRAME_GARBLED) return STOP_GARBLED;
        if (take_frame(r, b, le, trailer, recv_ns) < 0) {
            r->handback_len = frame_len;
            r->handbacks++;
            return STOP_HANDBACK;
        }
        r->in_off += frame_len;
    }
    if (r->in_off == r->in_len) r->in_off = r->in_len = 0;
    return STOP_NONE;
}

static int read_input(Runner *r) {
    for (;;) {
        if (r->in_off > 0 && r->in_cap - r->in_len < RECV_MIN) {
            memmove(r->in, r->in + r->in_off, r->in_len - r->in_off);
            r->in_len -= r->in_off;
            r->in_off = 0;
        }
        size_t room = r->in_cap - r->in_len; /* > 0: a partial frame never fills in_cap (see init) */
        ssize_t n;
        if (r->rx_ns != NULL) {
            struct iovec iov = {.iov_base = r->in + r->in_len, .iov_len = room};
            union {
                char buf[CMSG_SPACE(sizeof(struct timespec))];
                struct cmsghdr align;
            } control;
            struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                 .msg_controllen = sizeof control.buf};
            n = recvmsg(r->fd, &msg, 0);
            r->rx_stamp_ns = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c != NULL; c = CMSG_NXTHDR(&msg, c)) {
#ifdef SCM_TIMESTAMPNS
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    r->rx_stamp_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec - r->rx_offset_ns;
                }
#endif
            }
        } else {
            n = recv(r->fd, r->in + r->in_len, room, 0);
        }
        if (n > 0) {
            long long now = mono_ns();
            r->last_recv_ns = now;
            r->bytes_received += n;
            r->in_len += (size_t)n;
            int st = process_input(r, now);
            if (st != STOP_NONE) return st;
            if ((size_t)n < room) return STOP_NONE; /* the socket is drained */
            continue;
        }
        if (n == 0) return STOP_CLOSED;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return STOP_NONE;
        r->os_errno = errno;
        return STOP_ERROR;
    }
}

/* ------------------------------------------------------------------ the loop */

/* Sleep until the next message is due, the socket is readable (or writable with output pending), or
 * `limit`; spin instead when that is under spin_ns away. */
static void wait_io(Runner *r, long long now, long long limit) {
    long long wake = limit;
    if (!r->is_sending_done) {
        if (r->end_ns < wake) wake = r->end_ns;
        if (pending_out(r) < OUT_CAP && due_ns(r, r->sent) < wake) wake = due_ns(r, r->sent);
    } else if (r->drain_deadline_ns < wake) {
        wake = r->drain_deadline_ns;
    }
    long long timeout = wake - now;
    if (timeout <= 0) return;
    if (timeout <= r->spin_ns) { /* stay on the CPU (an idle vCPU is slow to wake) but let others run */
        sched_yield();
        return;
    }
    struct pollfd pfd = {.fd = r->fd, .events = (short)(POLLIN | (pending_out(r) ? POLLOUT : 0))};
#ifdef __linux__
    struct timespec ts = {.tv_sec = (time_t)(timeout / 1000000000LL),
                          .tv_nsec = (long)(timeout % 1000000000LL)};
    ppoll(&pfd, 1, &ts, NULL);
#else
    poll(&pfd, 1, (int)((timeout + 999999) / 1000000));
#endif
}

static int run_loop(Runner *r, PyThreadState **thread) {
    int st = process_input(r, r->last_recv_ns);
    if (st != STOP_NONE) return st;
    long long next_signal_check = mono_ns() + SIGNAL_CHECK_NS;
    for (;;) {
        long long now = mono_ns();
        if (!r->is_sending_done) {
            if (r->sent >= r->total || now >= r->end_ns) {
                end_sending(r, now);
            } else if (pending_out(r) < OUT_CAP) {
                long long due = (long long)((double)(now - r->t0_ns) / r->interval_ns) + 1;
                if (due > r->total) due = r->total;
                if (due > r->sent) {
                    if (send_due(r, now, due) < 0) return STOP_ERROR;
                    if (r->sent >= r->total) end_sending(r, mono_ns());
                }
            }
        }
        if (pending_out(r) && flush_out(r) < 0) return STOP_ERROR;
        st = read_input(r);
        if (st != STOP_NONE) return st;
        if (r->is_sending_done && !pending_out(r) && r->acked + r->rejected >= sent_orders(r)) return STOP_DONE;
        now = mono_ns();
        if (r->is_sending_done && now >= r->drain_deadline_ns) return STOP_DRAIN_TIMEOUT;
        if (now >= next_signal_check) {
            PyEval_RestoreThread(*thread);
            int failed = PyErr_CheckSignals();
            *thread = PyEval_SaveThread();
            if (failed) return STOP_SIGNAL;
            next_signal_check = now + SIGNAL_CHECK_NS;
        }
        wait_io(r, now, next_signal_check);
    }
}

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
    int st = run_loop(r, &thread);
    PyEval_RestoreThread(thread);
    if (st == STOP_SIGNAL) return NULL;
    return stop_result(r, st);
}

/* Append data (released here) to buf[0:*len]; -1 with an exception set. */
static int append(Runner *r, Py_buffer *data, char **buf, size_t *len, size_t *cap) {
    int failed = check_running(r) < 0 || grow(buf, cap, *len + (size_t)data->len) < 0;
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
    return stop_result(r, process_input(r, r->last_recv_ns));
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
    count_report(r, exec_type.buf, (size_t)exec_type.len, cl_ord_id.buf, (size_t)cl_ord_id.len, recv_ns);
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
                             "begin_string", "spin_ns", "max_body_length", "rx_ns", NULL};
    int fd, cancel_every_order;
    const char *sender, *target, *prefix, *symbol, *price, *side = "1", *begin_string = "FIX.4.4";
    Py_ssize_t sender_n, target_n, prefix_n, symbol_n, price_n, side_n = 1, begin_n = 7;
    long long next_out, next_in, total, time_limit_ns, drain_timeout_ns, qty, spin_ns = 0, max_body = 65536;
    double rate;
    PyObject *send_obj, *ack_obj, *rx_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "is#s#LLdLLLs#s#s#LpOO|s#s#LLO", kwlist, &fd, &sender,
                                     &sender_n, &target, &target_n, &next_out, &next_in, &rate, &total,
                                     &time_limit_ns, &drain_timeout_ns, &prefix, &prefix_n, &symbol, &symbol_n,
                                     &price, &price_n, &qty, &cancel_every_order, &send_obj, &ack_obj, &side,
                                     &side_n, &begin_string, &begin_n, &spin_ns, &max_body, &rx_obj))
        return -1;
    Runner_release(r);
    if (fd < 0 || !(rate > 0) || total < 0 || time_limit_ns < 0 || drain_timeout_ns < 0 || qty <= 0 ||
        next_out < 1 || next_in < 1 || spin_ns < 0 || max_body < 1) {
        PyErr_SetString(PyExc_ValueError, "need fd >= 0, rate > 0, qty > 0, sequence numbers >= 1 and "
                                          "non-negative total, time limit, drain timeout and spin");
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
    if (grow(&r->in, &r->in_cap, (size_t)max_body + 64 + 4 * RECV_MIN) < 0 ||
        grow(&r->out, &r->out_cap, (size_t)1 << 20) < 0) {
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
