"""The one rule for paths a user names: they resolve inside a root the server chose, or are refused.

A user names files and folders in several places (a dataset_info.json's `file_name`, a base
model, a reward adapter, an adapter to load). Each caller picks the root the name must stay in
(the workspace's own folder, an admin's model root) and calls `resolve_inside`. The refusal is
the same whether the path exists or not, so an error never tells what lies outside the root.
The database's own files (SQLite's file and its -wal, -shm and -journal) are refused whatever the
root: opening and closing one from outside the database layer drops the process's POSIX locks
on it and corrupts the live database.
The other way round, `shown` is the one rule for paths a response carries: a folder the server
made under the data folder (WEFT_DATA_DIR) shows relative to it, never as an absolute path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import connections

_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
T = TypeVar("T")


class UnsafePathError(ValueError):
    """A user-named path outside its root or a database file; the message never says which."""

    code = "bad_path"

    def __init__(self, field: str) -> None:
        self.field = field
        self.message = f"{field}: not a file or folder this workspace can use"
        super().__init__(self.message)


def database_files() -> frozenset[Path]:
    """The SQLite files of every configured database and of the data folder's weft.sqlite3."""
    names = [Path(settings.DATA_DIR) / "weft.sqlite3"]
    dicts = [*settings.DATABASES.values(), *(c.settings_dict for c in connections.all())]
    for db in dicts:
        name = str(db.get("NAME") or "")
        in_memory = name.startswith(":memory:") or "mode=memory" in name
        if "sqlite" in str(db.get("ENGINE", "")) and name and not in_memory:
            names.append(Path(name))
    files = [n.resolve() for n in names]
    return frozenset(f.with_name(f.name + suffix) for f in files for suffix in _SQLITE_SUFFIXES)


def resolve_inside(root: Path | str, name: Path | str, *, field: str) -> Path:
    """`name` (relative to `root`, symlinks followed) if it lies strictly inside `root`.

    Raises UnsafePathError naming `field` otherwise, or when it is a database file. Nothing is
    opened: call this before any open().
    """
    text = str(name)
    if not text or "\x00" in text:
        raise UnsafePathError(field)
    base = Path(root).resolve()
    try:
        path = (base / text).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name the OS refuses
        raise UnsafePathError(field) from None
    if path == base or not path.is_relative_to(base) or path in database_files():
        raise UnsafePathError(field)
    return path


def shown(value: T) -> T:
    """`value` as a response may show it: paths under the data folder made relative to it.

    In a string, and in every string inside lists and dicts (keys too), the data folder's absolute
    path is dropped: "/srv/weft/training/adapters/w3/bot" shows as "training/adapters/w3/bot",
    the data folder itself as ".". Other values come back as they are. The absolute paths stay
    where the server needs them (the database, the trainer's job.json).
    """
    roots = {str(Path(settings.DATA_DIR)), str(Path(settings.DATA_DIR).resolve())} - {"/", "."}
    pattern = re.compile(
        "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
        + r"(?:/+|(?![\w-]|\.\w))"
    )
    return cast(T, _shown(value, pattern))


def _shown(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(lambda m: "" if m.group().endswith("/") else ".", value)
    if isinstance(value, dict):
        return {_shown(k, pattern): _shown(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_shown(v, pattern) for v in value)
    return value
