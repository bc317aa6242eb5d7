import pytest

from hftsim.core.errors import ConfigError
from hftsim.sweep import set_param


def _doc():
    return {
        "flows": [
            {"type": "hawkes", "name": "h", "hawkes": {"baselines": [1.0, 2.0]}},
            {"type": "zero_intelligence"},
        ],
        "agents": [{"type": "avellaneda_stoikov", "name": "mm", "params": {"gamma": 0.1}}],
    }


def test_set_param_index_path_sets_list_value():
    doc = _doc()
    set_param(doc, "flows.0.hawkes.baselines", [0.4, 0.3])
    assert doc["flows"][0]["hawkes"]["baselines"] == [0.4, 0.3]


def test_set_param_name_path_finds_entry_by_name_or_type():
    doc = _doc()
    set_param(doc, "flows.h.hawkes.baselines.1", 5.0)
    set_param(doc, "flows.zero_intelligence.limit_rate", 0.3)
    assert doc["flows"][0]["hawkes"]["baselines"] == [1.0, 5.0]
    assert doc["flows"][1]["limit_rate"] == 0.3


def test_set_param_agent_shorthand_goes_into_params():
    doc = _doc()
    set_param(doc, "agents.mm.gamma", 1.0)
    set_param(doc, "agents.mm.params.order_qty", 200)
    set_param(doc, "agents.0.name", "maker")
    assert doc["agents"][0]["params"] == {"gamma": 1.0, "order_qty": 200}
    assert doc["agents"][0]["name"] == "maker"


def test_set_param_missing_table_is_created_for_the_validator():
    doc = _doc()
    set_param(doc, "session.duration_s", 5)
    assert doc["session"] == {"duration_s": 5}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("flows.5.hawkes", "index 5 is out of range"),
        ("agents.nobody.gamma", "no entry named 'nobody'"),
        ("agents.mm.gamma.x", "cannot go into float"),
        ("flows..x", "expected a dotted path"),
    ],
)
def test_set_param_bad_path_raises_config_error_naming_it(path, found):
    with pytest.raises(ConfigError, match=found) as e:
        set_param(_doc(), path, 1)
    assert repr(path) in str(e.value)
