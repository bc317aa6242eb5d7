"""Parameter paths into a scenario document: ``"flows.0.hawkes.baselines"``, ``"agents.mm.gamma"``. Cold path.

A path is a dotted list of segments walked from the top of the parsed scenario TOML:

* a table segment names a key (a missing intermediate table is created, so that the scenario
  validator, not this module, decides whether the key is allowed);
* a list segment is an index (``flows.0``) or the ``name`` of an entry (``flows.noise``,
  ``agents.mm``; an entry without a name is named by its ``type``, as the scenario loader does);
* inside an ``[[agents]]`` entry a segment that is neither one of the entry's own keys (``type``,
  ``name``, ``subscriptions``, ``params``, ``latency``) nor already written inline in the entry goes
  into ``params``: ``agents.mm.gamma`` is ``agents.mm.params.gamma``.

Setting a value never validates it: :func:`hftsim.sweep.expand.plan` runs the scenario validator on
every point afterwards, and its :class:`ConfigError` names the scenario field.
"""

from __future__ import annotations

from typing import Any

from hftsim.core.errors import ConfigError

__all__ = ["set_param"]

_AGENT_KEYS = frozenset({"type", "name", "subscriptions", "params", "latency"})


def set_param(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` inside ``doc`` (in place).

    Raises:
        ConfigError: the path is malformed, walks through a value that is not a table or list,
            names a list entry that does not exist, or indexes past the end of a list.
    """
    segments = path.split(".")
    if not path or any(not s for s in segments):
        raise ConfigError(f"parameter {path!r}: expected a dotted path such as 'agents.mm.gamma'")
    node: Any = doc
    is_agent = False
    for depth, segment in enumerate(segments):
        is_last = depth == len(segments) - 1
        where = ".".join(segments[: depth + 1])
        if is_agent and segment not in _AGENT_KEYS and segment not in node:
            node = node.setdefault("params", {})
            if not isinstance(node, dict):
                raise ConfigError(f"parameter {path!r}: {where}: the agent's params is not a table")
        is_agent = False
        if isinstance(node, list):
            index = _list_index(node, segment, path, where)
            if is_last:
                node[index] = value
                return
            is_agent = depth == 1 and segments[0] == "agents"
            node = node[index]
        elif isinstance(node, dict):
            if is_last:
                node[segment] = value
                return
            node = node.setdefault(segment, {})
        else:
            raise ConfigError(
                f"parameter {path!r}: {where}: cannot go into {type(node).__name__} {node!r}; "
                "expected a table or a list"
            )


def _list_index(items: list[Any], segment: str, path: str, where: str) -> int:
    if segment.isdigit():
        index = int(segment)
        if index >= len(items):
            raise ConfigError(
                f"parameter {path!r}: {where}: index {index} is out of range; the list has "
                f"{len(items)} entries"
            )
        return index
    names = [_entry_name(e) for e in items]
    if segment in names:
        return names.index(segment)
    shown = ", ".join(repr(n) for n in names if n is not None) or "none"
    raise ConfigError(
        f"parameter {path!r}: {where}: no entry named {segment!r}; expected an index 0..{len(items) - 1} "
        f"or one of the names {shown}"
    )


def _entry_name(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    name = entry.get("name", entry.get("type"))
    return name if isinstance(name, str) else None
