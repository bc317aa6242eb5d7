"""Pin the public names of the wire-codec packages (STYLE.md section 8)."""

from __future__ import annotations

import hftsim.net.fix as fix
import hftsim.net.itch as itch
import hftsim.net.mold as mold


def test_fix_all_pinned():
    assert sorted(fix.__all__) == sorted(
        [
            "ExecType",
            "ExecutionReport",
            "FixEncoder",
            "FixErrorReason",
            "FixFramer",
            "FixMessage",
            "NewOrderSingle",
            "OrdStatus",
            "OrderCancelReject",
            "OrderCancelReplaceRequest",
            "OrderCancelRequest",
            "PriceFormat",
            "SESSION_REJECT_REASON",
            "SOH",
            "decode_message",
            "encode_execution_report",
            "encode_heartbeat",
            "encode_logon",
            "encode_logout",
            "encode_order_cancel_reject",
            "encode_reject",
            "encode_resend_request",
            "encode_sequence_reset",
            "encode_test_request",
            "fix_checksum",
            "fix_error",
            "format_utc_timestamp",
            "parse_execution_report",
            "parse_new_order_single",
            "parse_order_cancel_replace_request",
            "parse_order_cancel_request",
            "parse_utc_timestamp",
        ]
    )


def test_itch_all_pinned():
    assert sorted(itch.__all__) == sorted(
        [
            "AddOrder",
            "AddOrderMpid",
            "ItchMessage",
            "MAX_PRICE_E4",
            "MAX_TIMESTAMP_NS",
            "MESSAGE_LENGTHS",
            "OrderCancel",
            "OrderDelete",
            "OrderExecuted",
            "OrderExecutedWithPrice",
            "OrderReplace",
            "StockDirectory",
            "SystemEvent",
            "TradeNonCross",
            "decode",
            "encode",
            "iter_itch_file",
            "iter_raw_messages",
            "open_itch_file",
            "encode_add_order",
            "encode_order_delete",
            "pack_into",
        ]
    )


def test_mold_all_pinned():
    assert sorted(mold.__all__) == sorted(
        [
            "END_OF_SESSION_COUNT",
            "HEADER_SIZE",
            "HEARTBEAT_COUNT",
            "MoldPacker",
            "MoldPacket",
            "MoldRequest",
            "MoldRequestError",
            "REQUEST_SIZE",
            "decode_packet",
            "decode_request",
            "encode_end_of_session",
            "encode_heartbeat",
            "encode_packet",
            "encode_request",
            "session_field",
        ]
    )


def test_every_exported_name_exists():
    for package in (fix, itch, mold):
        for name in package.__all__:
            assert hasattr(package, name), (package.__name__, name)
