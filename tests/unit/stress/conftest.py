import pytest

from hftsim.stress import registry
from hftsim.stress.registry import Scenario
from tests.unit.stress import _fake_scenario


@pytest.fixture
def fake(monkeypatch):
    """Register the ``fake`` scenario (tests.unit.stress._fake_scenario) and reset its knobs."""
    monkeypatch.setitem(
        registry.SCENARIOS, "fake", Scenario("fake", "1", "test double", ("fake",), _fake_scenario.__name__)
    )
    monkeypatch.setattr(_fake_scenario, "SCALE", 1.0)
    monkeypatch.setattr(_fake_scenario, "MODE", "ok")
    monkeypatch.setattr(_fake_scenario, "VERSION", "1")
    return _fake_scenario
