"""Venue configuration: TOML parsing, defaults and errors that name the field."""

from __future__ import annotations

import pytest

from hftsim.core.errors import ConfigError
from hftsim.net.venue import load_config, parse_config

BASE = {
    "fix": {
        "sessions": [
            {"sender_comp_id": "A", "target_comp_id": "V"},
            {"sender_comp_id": "DC", "target_comp_id": "V", "drop_copy": True},
        ]
    },
    "instruments": [{"symbol": "SIM"}, {"symbol": "ALT", "tick_size": "0.05"}],
}


def test_config_parse_defaults_and_symbol_ids():
    config = parse_config(BASE)
    assert [i.symbol_id for i in config.instruments] == [0, 1]
    assert config.fix.port == 9878 and config.fix.sessions[1].drop_copy
    assert config.feed_destinations() == [] and config.dashboard.port == 0


def test_config_load_toml_with_feed(tmp_path):
    path = tmp_path / "venue.toml"
    path.write_text(
        '[fix]\nport = 0\n[[fix.sessions]]\nsender_comp_id = "A"\ntarget_comp_id = "V"\n'
        '[feed]\ndestinations = ["239.1.1.1:30001"]\nrerequest_port = 30002\n'
        '[dashboard]\nport = 8080\n[[instruments]]\nsymbol = "SIM"\n'
    )
    config = load_config(path)
    assert config.feed_destinations() == [("239.1.1.1", 30001)] and config.feed.rerequest_port == 30002


@pytest.mark.parametrize(
    "change, words",
    [
        ({"fix": {"sessions": [{"sender_comp_id": "A"}]}}, "target_comp_id"),
        (
            {"fix": {"sessions": [{"sender_comp_id": "A", "target_comp_id": "V", "drop_copy": True}]}},
            "not a drop",
        ),
        ({"fix": {"prot": 1, "sessions": BASE["fix"]["sessions"]}}, "prot"),
        ({"feed": {"destinations": ["nohost"]}}, "feed.destinations[0]"),
        ({"stp_mode": "sometimes"}, "stp_mode"),
        ({"instruments": [{"symbol": "WAYTOOLONG"}]}, "instruments"),
        ({"fix": {"max_cl_ord_ids": 0, "sessions": BASE["fix"]["sessions"]}}, "fix.max_cl_ord_ids must be"),
    ],
)
def test_config_invalid_raises_naming_field(change, words):
    with pytest.raises(ConfigError, match=__import__("re").escape(words)):
        parse_config({**BASE, **change})
