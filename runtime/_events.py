"""Fast construction of the frozen event models (the engine's values are already valid)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

E = TypeVar("E", bound=BaseModel)

_SLOTS = BaseModel.__dict__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__
_set_dict = object.__setattr__


def factory(cls: type[E]) -> Callable[..., E]:
    """A constructor taking a dict of already valid values: ~4x cheaper than model_construct."""
    template: dict[str, Any] = dict.fromkeys(cls.model_fields)
    for name, info in cls.model_fields.items():
        if not info.is_required():
            template[name] = info.get_default(call_default_factory=True)
    fields_set = set(cls.model_fields)
    new = object.__new__

    def make(values: dict[str, Any]) -> E:
        obj = new(cls)
        data = template.copy()
        data.update(values)
        _set_dict(obj, "__dict__", data)
        _set_fields_set(obj, fields_set)  # shared: frozen events never change it
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    return make
