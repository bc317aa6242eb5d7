"""Standard tables (L1 quotes, trades, order flow) and the LOBSTER file format. Cold path.

See ``docs/data.md`` for the table layouts and the LOBSTER conversion rules.
"""

from hftsim.data.lobster import (
    DUMMY_ASK_PX,
    DUMMY_BID_PX,
    LobsterTables,
    LobsterType,
    iter_lobster,
    orderbook_path_for,
    read_lobster,
    write_lobster,
)
from hftsim.data.tables import (
    FLOW_SCHEMA,
    L1_SCHEMA,
    TRADE_SCHEMA,
    FlowFlag,
    FlowKind,
    TableWriter,
    conform_table,
    flow_table,
    l1_table,
    read_table,
    table_from_columns,
    trade_table,
    write_table,
)

__all__ = [
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
