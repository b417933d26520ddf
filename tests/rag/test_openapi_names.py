"""The editor API's schemas have one name each: ninja keys the OpenAPI document's components by
class name, so a second `ProgressOut` would silently replace training's in the generated types."""

from __future__ import annotations

from collections import Counter

from ninja import Schema


def _all(cls: type[Schema]) -> list[type[Schema]]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _all(sub))]


def test_openapi_schema_names_are_unique_across_the_apps() -> None:
    import builder.schemas
    import portal.api  # noqa: F401  # mounts every app's router
    import rag.schemas
    import training.schemas

    ours = (builder.schemas.__name__, training.schemas.__name__, rag.schemas.__name__)
    names = Counter(c.__name__ for c in set(_all(Schema)) if c.__module__ in ours)
    assert [n for n, count in names.items() if count > 1] == []
