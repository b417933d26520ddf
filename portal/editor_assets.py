"""Where the editor's built files are, and a version string that busts browser caches."""

from __future__ import annotations

from django.conf import settings

EDITOR_DIR = settings.BASE_DIR / "static" / "dist" / "editor"


def editor_asset_version() -> str:
    """The build's mtime; "missing" when `make run`/`npm run build` has not built the editor."""
    try:
        return str(int((EDITOR_DIR / "editor.js").stat().st_mtime))
    except FileNotFoundError:
        return "missing"
