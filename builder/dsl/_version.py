"""Which DSL versions import as they are, with a warning, or only once the user confirms.

Dify's rules: a file without `version` is 0.1.0; a newer version than ours, or another major
version, is not imported until the user confirms (the API answers 409 and asks); an older
minor version imports with a warning that fields may have changed.
"""

from __future__ import annotations

import re

from builder.dsl.notes import Note
from kernel.errors import ApiError

DSL_VERSION = "0.6.0"  # the version Weft writes and reads without a question
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _parts(version: str) -> tuple[int, int, int]:
    match = _VERSION.match(version)
    if match is None:
        raise ApiError(
            "dsl_invalid",
            422,
            f"version: {version!r} is not a version such as {DSL_VERSION}",
            field="version",
        )
    major, minor, patch = (int(p) for p in match.groups())
    return major, minor, patch


def check_version(raw: object, confirmed: bool) -> list[Note]:
    """Notes for a file of version `raw` (None: 0.1.0); ApiError 409 `dsl_confirm` when it needs
    the user's confirmation and `confirmed` is false, 422 when it is no version."""
    version = "0.1.0" if raw is None else str(raw).strip()
    found, ours = _parts(version), _parts(DSL_VERSION)
    if found > ours or found[0] != ours[0]:
        if not confirmed:
            newer = "newer than" if found > ours else "of another major version than"
            raise ApiError(
                "dsl_confirm",
                409,
                f"This file is DSL version {version}, {newer} the {DSL_VERSION} Weft reads:"
                " some of it may not import as it was meant. Import it anyway?",
                imported_version=version,
                current_version=DSL_VERSION,
            )
        return [
            Note(
                "dsl_version",
                f"imported on confirmation: the file is DSL version {version}, Weft reads"
                f" {DSL_VERSION}; check each node",
                field="version",
            )
        ]
    if found[1] < ours[1]:
        return [
            Note(
                "dsl_version",
                f"the file is DSL version {version}, older than {DSL_VERSION}: fields that"
                " changed since may have been left out; check each node",
                field="version",
            )
        ]
    return []
