"""User strategies: Python code the user names explicitly, never scenario text.

Two sources: installed packages declaring an entry point in the group ``aimarket.strategies``
(loaded the first time a strategy is looked up that is not built in, or when strategies are
listed), and ``--plugin MODULE_OR_FILE`` on the command line (an importable module name or a
``.py`` file). Importing the code registers its strategies (the ``register`` decorator); an entry
point may also name a ``Strategy`` class, which is then registered. Batch workers receive the
plugin names (recorded in the run store's manifest) and load them again.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from aimarket.errors import UserError
from aimarket.strategies.base import Strategy

ENTRY_POINT_GROUP = "aimarket.strategies"
_loaded: set[str] = set()
_entry_points_loaded = False


def load(plugins: Sequence[str]) -> list[str]:
    """Import each plugin (module name or ``.py`` file) once; return their canonical names
    (files as absolute paths) for other processes. Any failure is a one-line ``UserError``."""
    names = [_canonical(p) for p in plugins]
    for name in names:
        if name in _loaded:
            continue
        try:
            if name.endswith(".py"):
                _import_file(Path(name))
            else:
                importlib.import_module(name)
        except UserError:
            raise
        except Exception as err:
            raise UserError(f"--plugin {name}: {type(err).__name__}: {err}") from None
        _loaded.add(name)
    return names


def entry_point_strategies() -> list[type[Strategy]]:
    """Load every installed entry point of the group ``aimarket.strategies`` (the first call
    only); returns the ``Strategy`` classes named directly, for the registry to register (modules
    register their own classes on import)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return []
    _entry_points_loaded = True
    found = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as err:
            where = f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP})"
            raise UserError(f"{where}: {type(err).__name__}: {err}") from None
        if isinstance(obj, type) and issubclass(obj, Strategy):
            found.append(obj)
    return found


def _canonical(plugin: str) -> str:
    if not plugin.endswith(".py"):
        return plugin
    path = Path(plugin).expanduser().resolve()
    if not path.is_file():
        raise UserError(f"--plugin {plugin}: no such file")
    return str(path)


def _import_file(path: Path) -> None:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    module_name = f"aimarket_plugin_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"--plugin {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--plugin MODULE_OR_FILE`` option (loaded by ``aimarket.cli.main``)."""
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE_OR_FILE",
        help="load user strategies from a module or .py file (repeatable)",
    )
