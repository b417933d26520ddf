"""The one rule for paths a user names: they resolve inside a root the server chose, or are refused.

A user names files and folders in several places (a dataset_info.json's `file_name`, a base
model, a reward adapter, an adapter to load). Each caller picks the root the name must stay in
(the workspace's own folder, an admin's model root) and calls `resolve_inside`. The refusal is
the same whether the path exists or not, so an error never tells what lies outside the root.
The database's own files (SQLite's file and its -wal, -shm and -journal) are refused whatever the
root: opening and closing one from outside the database layer drops the process's POSIX locks
on it and corrupts the live database.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connections

_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


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
