"""Where the React pages' built files are, and a version string that busts browser caches."""

from __future__ import annotations

from django.conf import settings

WEB_DIR = settings.BASE_DIR / "static" / "dist" / "web"


def web_asset_version(entry: str) -> str:
    """The mtime of `<entry>.js`; "missing" when `make run`/`npm run build` has not built it."""
    try:
        return str(int((WEB_DIR / f"{entry}.js").stat().st_mtime))
    except FileNotFoundError:
        return "missing"
