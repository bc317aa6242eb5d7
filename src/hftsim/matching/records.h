/*
 * The packed records the matching core reads and writes (hftsim/core/arrays.py: COMMAND_DTYPE,
 * EVENT_DTYPE, L3_DTYPE) and their kind and flag values (hftsim/core/enums.py). One definition for
 * every compiled reader: the core (_core.c), the gateway's lane (net/venue/_lane.c) and the feed
 * translator's lane (net/feed/_translate.c).
 */
#ifndef HFTSIM_RECORDS_H
#define HFTSIM_RECORDS_H

#include <stdint.h>

typedef struct {
    int64_t seq, ts_event, order_id, client_order_id, price_ticks, qty;
    int32_t owner_id, symbol_id;
    uint8_t kind;
    int8_t side;
    uint8_t order_type, tif, post_only;
    uint8_t pad[3];
} Cmd;

typedef struct {
    int64_t cmd_seq, ts_event, order_id, contra_order_id, client_order_id, exec_id, price_ticks, qty,
        leaves_qty;
    int32_t owner_id, symbol_id, level_orders;
    uint8_t kind;
    int8_t side, aggressor_side;
    uint8_t reason, flags;
    uint8_t pad[7];
} Ev;

typedef struct {
    int64_t order_id, client_order_id, price_ticks, leaves_qty;
    int32_t owner_id;
    int8_t side;
    uint8_t tif, post_only, pad;
} L3Rec;

_Static_assert(sizeof(Cmd) == 64, "Cmd must match COMMAND_DTYPE");
_Static_assert(sizeof(Ev) == 96, "Ev must match EVENT_DTYPE");
_Static_assert(sizeof(L3Rec) == 40, "L3Rec must match L3_DTYPE");

enum { CMD_NEW = 1, CMD_CANCEL = 2, CMD_REPLACE = 3, CMD_END_SESSION = 4 };
enum { EV_ACCEPTED = 1, EV_REJECTED, EV_FILLED, EV_CANCELED, EV_REPLACED, EV_EXPIRED, EV_TRADE, EV_BOOK_DELTA };
enum { F_AGGRESSOR = 1, F_PRIORITY_KEPT = 2, F_POST_ONLY = 4 };

#endif
