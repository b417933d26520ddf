"""Reading and writing the DSL's YAML: safe, bounded, and refused with the line at fault."""

from __future__ import annotations

import math
from typing import Any

import yaml

from kernel.errors import ApiError
from kernel.json_input import JsonInputError, check_value
from kernel.limits import limits

MAX_DSL_BYTES = 10 * 1024 * 1024  # Dify's limit on an imported file


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: an alias repeats a subtree by reference, so a few
    lines of `&a [*b, *b, ...]` make a document whose walk never ends (Dify's exports never
    use them)."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # PyYAML's own signature
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # stubs lack it
            raise _refused(f"line {mark.line + 1}: aliases (*name) are not read", mark.line + 1)
        return super().compose_node(parent, index)


def _refused(message: str, line: int | None) -> ApiError:
    return ApiError("dsl_invalid_yaml", 422, message, line=line, field="file")


# A DSL holds JSON's values only, as a draft stores them: a date stays its text, and binary,
# sets, ordered pairs and endless numbers are refused where they are.
def _text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


def _finite(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        line = node.start_mark.line + 1
        raise _refused(f"line {line}: {node.value} is not a number a workflow can hold", line)
    return value


def _not_json(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    line = node.start_mark.line + 1
    raise _refused(f"line {line}: {node.tag} values are not read (JSON's values only)", line)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _text)
_Loader.add_constructor("tag:yaml.org,2002:float", _finite)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_json)


def load_yaml(text: str | bytes) -> Any:
    """The document in `text`; ApiError 413 past 10 MB, 422 naming the line when it is not YAML."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_DSL_BYTES:
        raise ApiError(
            "dsl_too_large",
            413,
            f"the file is {size} bytes; a DSL file may have {MAX_DSL_BYTES} bytes at most",
            limit=MAX_DSL_BYTES,
            field="file",
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _refused(f"the file is not UTF-8 text (byte {exc.start})", None) from None
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506  (a SafeLoader, without aliases)
        check_value(document, limits().max_json_depth)  # as deep as a JSON body, no half chars
    except JsonInputError as exc:
        raise _refused(exc.message.replace("the body", "the file"), None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "not YAML"
        where = f"line {line}: " if line is not None else ""
        raise _refused(f"{where}{what}", line) from None
    except yaml.YAMLError as exc:
        raise _refused(f"the file is not YAML ({exc})", None) from None
    except RecursionError:
        raise _refused("the file nests too deeply to read", None) from None
    return document


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, long text as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # the same list written twice stays two lists (no &id001)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(document: Any) -> str:
    """`document` as YAML text (UTF-8 characters kept as they are)."""
    text: str = yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False
    )
    return text
