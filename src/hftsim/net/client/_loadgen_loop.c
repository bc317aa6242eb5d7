/*
 * The compiled load runner's send/receive loop (see _loadgen.c): encoding and sending on the
 * open-loop schedule, framing and counting the venue's ExecutionReports, waiting. Hot path.
 */
#include "_loadgen.h"

/* Parse 1..18 ASCII digits; -1 when the text is not that. */
long long lg_parse_digits(const char *s, size_t n) {
    if (n == 0 || n > 18) return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int lg_grow(char **buf, size_t *cap, size_t need) {
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
    if (lg_grow(&r->out, &r->out_cap, r->out_len + extra) < 0) {
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
void lg_count_report(Runner *r, const char *exec_type, size_t exec_type_len, const char *cl_ord_id,
                         size_t cl_ord_id_len, long long recv_ns) {
    if (exec_type == NULL || exec_type_len != 1) {
        r->other_reports++;
        return;
    }
    switch (exec_type[0]) {
    case '0':
        if (cl_ord_id_len > r->prefix_len && same(cl_ord_id, r->prefix_len, r->prefix, r->prefix_len)) {
            long long k = lg_parse_digits(cl_ord_id + r->prefix_len, cl_ord_id_len - r->prefix_len);
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
            lg_parse_digits(b + k + 4, 3) >= 0)
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
    long long body_length = lg_parse_digits(b + soh + 3, le - (soh + 3));
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
    if (lg_parse_digits(b + trailer + 3, 3) != (long long)(sum & 0xFF)) return -1;
    const char *soh = memchr(b, SOH, le);
    Fields f;
    if (!same(b + 2, (size_t)(soh - b) - 2, r->begin_string, r->begin_string_len) ||
        parse_fields(r, b + le + 1, trailer - le - 1, &f) < 0 || !same(f.msg_type, f.msg_type_len, "8", 1) ||
        !f.has_sending_time || f.has_poss_dup || !same(f.sender, f.sender_len, r->target, r->target_len) ||
        !same(f.target, f.target_len, r->sender, r->sender_len) || f.seq == NULL ||
        lg_parse_digits(f.seq, f.seq_len) != r->next_in_seq)
        return -1;
    r->next_in_seq++;
    lg_count_report(r, f.exec_type, f.exec_type_len, f.cl_ord_id, f.cl_ord_id_len, recv_ns);
    return 0;
}

/* Handle every complete buffered frame; STOP_NONE when all were taken (a partial one may remain). */
int lg_process_input(Runner *r, long long recv_ns) {
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
            int st = lg_process_input(r, now);
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

/* Is the last order sent less than ack_spin_ns ago still unanswered? */
static inline int awaits_ack(const Runner *r, long long now) {
    long long n = sent_orders(r);
    return r->ack_spin_ns > 0 && !r->is_sending_done && n > 0 && r->acked + r->rejected < n &&
           now - r->send_ns[n - 1] < r->ack_spin_ns;
}

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
    if (timeout <= r->spin_ns || awaits_ack(r, now)) { /* stay on the CPU (an idle vCPU is slow to wake) */
        sched_yield();
        return;
    }
    timeout -= r->spin_ns; /* wake spin_ns early and spin the rest */
    struct pollfd pfd = {.fd = r->fd, .events = (short)(POLLIN | (pending_out(r) ? POLLOUT : 0))};
#ifdef __linux__
    struct timespec ts = {.tv_sec = (time_t)(timeout / 1000000000LL),
                          .tv_nsec = (long)(timeout % 1000000000LL)};
    ppoll(&pfd, 1, &ts, NULL);
#else
    poll(&pfd, 1, (int)((timeout + 999999) / 1000000));
#endif
}

static int run_loop(Runner *r, PyThreadState **thread);

int lg_run_loop(Runner *r, PyThreadState **thread) {
#ifdef __linux__
    int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0); /* wake on time from ppoll, not up to 50 µs late */
    if (slack > 1) prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int st = run_loop(r, thread);
    if (slack > 1) prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
    return st;
#else
    return run_loop(r, thread);
#endif
}

static int run_loop(Runner *r, PyThreadState **thread) {
    int st = lg_process_input(r, r->last_recv_ns);
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
