"""Standard table schemas and their atomic Parquet writers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hftsim.data
from hftsim.core.errors import ConfigError
from hftsim.data import (
    FLOW_SCHEMA,
    L1_SCHEMA,
    TRADE_SCHEMA,
    FlowFlag,
    FlowKind,
    TableWriter,
    flow_table,
    l1_table,
    read_table,
    trade_table,
    write_table,
)


def _trades(n: int = 4) -> pa.Table:
    return trade_table(
        ts_ns=np.arange(n) * 1000,
        symbol_id=np.zeros(n),
        price_ticks=np.full(n, 101),
        qty=np.arange(1, n + 1),
        aggressor_side=[1, -1] * (n // 2),
        exec_id=np.arange(n),
    )


def test_data_public_api_is_pinned():
    assert sorted(hftsim.data.__all__) == [
        "DUMMY_ASK_PX",
        "DUMMY_BID_PX",
        "FLOW_SCHEMA",
        "FlowFlag",
        "FlowKind",
        "L1_SCHEMA",
        "LobsterTables",
        "LobsterType",
        "TRADE_SCHEMA",
        "TableWriter",
        "conform_table",
        "flow_table",
        "iter_lobster",
        "l1_table",
        "orderbook_path_for",
        "read_lobster",
        "read_table",
        "table_from_columns",
        "trade_table",
        "write_lobster",
        "write_table",
    ]


def test_schemas_have_the_documented_fields_and_types():
    assert [(f.name, str(f.type)) for f in L1_SCHEMA] == [
        ("ts_ns", "int64"),
        ("symbol_id", "int32"),
        ("bid_px_ticks", "int64"),
        ("bid_qty", "int64"),
        ("ask_px_ticks", "int64"),
        ("ask_qty", "int64"),
    ]
    assert [(f.name, str(f.type)) for f in TRADE_SCHEMA] == [
        ("ts_ns", "int64"),
        ("symbol_id", "int32"),
        ("price_ticks", "int64"),
        ("qty", "int64"),
        ("aggressor_side", "int8"),
        ("exec_id", "int64"),
    ]
    assert [(f.name, str(f.type)) for f in FLOW_SCHEMA] == [
        ("ts_ns", "int64"),
        ("symbol_id", "int32"),
        ("kind", "uint8"),
        ("order_id", "int64"),
        ("side", "int8"),
        ("price_ticks", "int64"),
        ("qty", "int64"),
        ("flags", "uint8"),
    ]


def test_flow_codes_are_pinned_file_format_values():
    assert [(k.name, int(k)) for k in FlowKind] == [
        ("NEW", 1),
        ("CANCEL", 2),
        ("REPLACE", 3),
        ("EXECUTE", 4),
        ("HALT", 5),
        ("RESUME_QUOTING", 6),
        ("RESUME_TRADING", 7),
    ]
    assert (FlowFlag.DELETE, FlowFlag.HIDDEN, FlowFlag.CROSS) == (1, 2, 4)


def test_flow_table_defaults_flags_to_zero():
    flow = flow_table(
        ts_ns=[1], symbol_id=[0], kind=[FlowKind.NEW], order_id=[7], side=[-1], price_ticks=[5], qty=[3]
    )
    assert flow.schema == FLOW_SCHEMA and flow.column("flags").to_pylist() == [0]


def test_table_from_columns_missing_and_unknown_fields_raise():
    with pytest.raises(ConfigError, match=r"missing fields \['ask_qty'\], unknown fields \['bid_size'\]"):
        l1_table(ts_ns=[1], symbol_id=[0], bid_px_ticks=[1], bid_qty=[1], ask_px_ticks=[2], bid_size=[1])


def test_table_from_columns_value_out_of_range_raises_naming_field():
    with pytest.raises(ConfigError, match="field aggressor_side: cannot convert to int8"):
        trade_table(ts_ns=[1], symbol_id=[0], price_ticks=[1], qty=[1], aggressor_side=[300], exec_id=[1])


def test_table_from_columns_unequal_lengths_raise():
    with pytest.raises(ConfigError, match="different lengths"):
        trade_table(ts_ns=[1, 2], symbol_id=[0], price_ticks=[1], qty=[1], aggressor_side=[1], exec_id=[1])


def test_write_table_round_trips_and_leaves_no_temporary(tmp_path):
    path = write_table(_trades(), tmp_path / "trades.parquet", TRADE_SCHEMA)
    assert read_table(path, TRADE_SCHEMA).equals(_trades())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trades.parquet"]


def test_write_table_casts_compatible_types_and_drops_extra_fields(tmp_path):
    loose = _trades().append_column("note", pa.array(["a", "b", "c", "d"]))
    loose = loose.set_column(4, "aggressor_side", loose.column("aggressor_side").cast(pa.int64()))
    write_table(loose, tmp_path / "t.parquet", TRADE_SCHEMA)
    assert pq.read_schema(tmp_path / "t.parquet").names == TRADE_SCHEMA.names


def test_write_table_bad_input_leaves_existing_target_untouched(tmp_path):
    target = write_table(_trades(), tmp_path / "trades.parquet", TRADE_SCHEMA)
    before = target.read_bytes()
    with pytest.raises(ConfigError, match=r"missing fields \['exec_id'\]"):
        write_table(_trades().drop_columns(["exec_id"]), target, TRADE_SCHEMA)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trades.parquet"]


def test_table_writer_error_inside_block_removes_temporary_and_keeps_target_absent(tmp_path):
    target = tmp_path / "l1.parquet"
    with pytest.raises(RuntimeError):
        with TableWriter(target, TRADE_SCHEMA) as writer:
            writer.write(_trades())
            raise RuntimeError("simulation crashed")
    assert list(tmp_path.iterdir()) == []


def test_table_writer_batches_append_in_order(tmp_path):
    target = tmp_path / "trades.parquet"
    with TableWriter(target, TRADE_SCHEMA) as writer:
        writer.write(_trades(2))
        writer.write(_trades(4))
    assert writer.rows_written == 6
    assert read_table(target, TRADE_SCHEMA).column("qty").to_pylist() == [1, 2, 1, 2, 3, 4]


def test_read_table_wrong_type_names_file_and_field(tmp_path):
    path = tmp_path / "trades.parquet"
    pq.write_table(_trades().set_column(0, "ts_ns", pa.array(["x", "y", "z", "w"])), path)
    with pytest.raises(ConfigError, match=r"trades.parquet: field ts_ns is string, expected int64"):
        read_table(path, TRADE_SCHEMA)


def test_read_table_nulls_raise(tmp_path):
    path = tmp_path / "trades.parquet"
    pq.write_table(_trades().set_column(3, "qty", pa.array([1, None, 3, 4], pa.int64())), path)
    with pytest.raises(ConfigError, match="field qty has 1 null values"):
        read_table(path, TRADE_SCHEMA)


def test_read_table_missing_or_foreign_file_raises(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        read_table(tmp_path / "l1.parquet", L1_SCHEMA)
    (tmp_path / "l1.parquet").write_text("not parquet")
    with pytest.raises(ConfigError, match="not a readable Parquet file"):
        read_table(tmp_path / "l1.parquet", L1_SCHEMA)
