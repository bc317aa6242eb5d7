"""The registry of agent types that scenarios can name. Cold path.

Strategy modules register their classes once at import time::

    from hftsim.sim.registry import register_agent
    register_agent("avellaneda_stoikov", AvellanedaStoikovMaker)

A scenario's ``[[agents]]`` table then names the type and gives its parameters; the kernel builds
the agent as ``cls(name=..., subscriptions=..., **params)``. Modules listed in a scenario's
``imports`` are imported before the agents are built, so third-party strategies can register too.
"""

from __future__ import annotations

import importlib

from hftsim.core.errors import ConfigError
from hftsim.sim.agent import Agent

__all__ = ["agent_class", "import_modules", "register_agent", "registered_agents"]

_REGISTRY: dict[str, type[Agent]] = {}
#: modules whose ``register_all(register_agent)`` is called on the first look-up: the strategies
#: that ship with hftsim. Imported lazily, so the simulator does not depend on them at import time.
DEFAULT_PLUGINS = ("hftsim.trading.strategies.registry_entries",)
_plugins_loaded = False


def _load_default_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for name in DEFAULT_PLUGINS:
        importlib.import_module(name).register_all(register_agent)


def register_agent(type_name: str, cls: type[Agent]) -> type[Agent]:
    """Make ``cls`` available to scenarios as ``type = "<type_name>"``.

    Registering the same class twice under one name is allowed (module reloads); a different
    class under a taken name is an error.

    Args:
        type_name: the name scenarios use; lowercase letters, digits and ``_``.
        cls: a subclass of :class:`~hftsim.sim.agent.Agent`.

    Returns:
        ``cls``, so the function also works as a decorator helper.

    Raises:
        ConfigError: the name is malformed or taken, or ``cls`` is not an Agent subclass.
    """
    if not type_name or not all(c.islower() or c.isdigit() or c == "_" for c in type_name):
        raise ConfigError(f"agent type name {type_name!r}: use lowercase letters, digits and '_'")
    if not (isinstance(cls, type) and issubclass(cls, Agent)):
        raise ConfigError(f"agent type {type_name!r}: expected a subclass of hftsim.sim.Agent, got {cls!r}")
    existing = _REGISTRY.get(type_name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ConfigError(
            f"agent type {type_name!r} is already registered to {existing.__module__}."
            f"{existing.__qualname__}; choose another name"
        )
    _REGISTRY[type_name] = cls
    return cls


def agent_class(type_name: str, path: str = "agents") -> type[Agent]:
    """Return the class registered as ``type_name``.

    Raises:
        ConfigError: the type is unknown; the message names ``path`` and lists the known types.
    """
    _load_default_plugins()
    try:
        return _REGISTRY[type_name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise ConfigError(f"{path}: unknown agent type {type_name!r}; known types: {known}") from None


def registered_agents() -> dict[str, type[Agent]]:
    """Return a copy of the registry, sorted by type name."""
    _load_default_plugins()
    return dict(sorted(_REGISTRY.items()))


def import_modules(modules: list[str], path: str = "imports") -> None:
    """Import modules that register agent types.

    Raises:
        ConfigError: a module cannot be imported.
    """
    for i, name in enumerate(modules):
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ConfigError(f"{path}[{i}]: cannot import module {name!r}: {e}") from e
