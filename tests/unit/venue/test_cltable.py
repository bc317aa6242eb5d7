"""ClOrdTable: a session's ClOrdID table split over 16 dicts behaves as one mapping."""

import gc
import random
import weakref

import pytest
from hftsim.net.venue._lane import Account, ClOrdTable


def test_random_operations_match_a_dict():
    rng = random.Random(7)
    table, model = ClOrdTable(), {}
    for step in range(20_000):
        key = f"C{rng.randrange(3_000)}"
        op = rng.random()
        if op < 0.5:
            table[key] = model[key] = step
        elif op < 0.8:
            if key in model:
                del table[key]
                del model[key]
            else:
                with pytest.raises(KeyError):
                    del table[key]
        else:
            assert table.get(key) == model.get(key)
            assert table.get(key, -1) == model.get(key, -1)
            assert (key in table) == (key in model)
        assert len(table) == len(model)
    assert dict(table.items()) == model
    assert sorted(table) == sorted(table.keys()) == sorted(model)
    assert sorted(table.values()) == sorted(model.values())
    with pytest.raises(KeyError):
        table["never"]


def test_keys_spread_over_every_shard():
    # what keeps each rehash small: no dict of the 16 holds much more than its sixteenth
    table = ClOrdTable((f"S10abcdef-{i}", i) for i in range(16_000))
    assert len(table) == 16_000
    shard_sizes = _shard_sizes(table)
    assert len(shard_sizes) == 16
    assert min(shard_sizes) > 500 and max(shard_sizes) < 1_600  # 1,000 each on average, sd about 31


def _shard_sizes(table: ClOrdTable) -> list[int]:
    # the dicts are the table's GC referents, in shard order
    return [len(d) for d in gc.get_referents(table) if isinstance(d, dict)]


def test_construct_update_and_clear():
    table = ClOrdTable({"a": 1})
    table.update([("b", 2)])
    table.update(ClOrdTable({"c": 3}))
    assert dict(table.items()) == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(TypeError):
        table.update([("only-a-key",)])
    with pytest.raises(TypeError):
        table[["unhashable"]] = 1
    with pytest.raises(TypeError):
        ClOrdTable(a=1)
    table.clear()
    assert len(table) == 0 and "a" not in table
    table["a"] = 4  # still usable
    assert table["a"] == 4


def test_iteration_is_the_same_for_the_same_insertions():
    keys = [f"k{i}" for i in range(500)]
    first, second = ClOrdTable(), ClOrdTable()
    for k in keys:
        first[k] = second[k] = 1
    assert list(first) == list(second) == first.keys()


def test_account_table_is_read_only_and_cycles_through_it_are_collected():
    account = Account(1, "state", False)
    assert isinstance(account.orders, ClOrdTable)
    with pytest.raises(AttributeError):
        account.orders = {}

    class Marker:
        pass

    marker = Marker()
    marker.account = account  # account -> table -> marker -> account
    account.orders["m"] = marker
    gone = weakref.ref(marker)
    del account, marker
    gc.collect()
    assert gone() is None
