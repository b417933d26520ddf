"""How the stdio transport splits a server's stdout into messages, whatever the chunks."""

from __future__ import annotations

import json

import pytest
from mcp.shared.message import SessionMessage

from runtime.mcp._stdio import RESULT_TOO_LARGE, MessageTooLargeError, _Lines

LIMIT = 200


def answer(i: int, text: str = "ok") -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": i, "result": {"text": text}}).encode()


def read(chunks: list[bytes]) -> list[object]:
    """Each message as (id, text) or (id, error code); each other item as its class name."""
    lines = _Lines(LIMIT)
    out: list[object] = []
    for chunk in chunks:
        for item in lines.feed(chunk):
            if not isinstance(item, SessionMessage):
                out.append(type(item).__name__)
                continue
            message = item.message.model_dump(by_alias=True, exclude_none=True)
            result = message.get("result", {}).get("text") or message["error"]["code"]
            out.append((message["id"], result))
    return out


ONE, TWO = answer(1), answer(2)
BIG = answer(3, "x" * LIMIT)


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param([ONE + b"\n"], [(1, "ok")], id="whole-line"),
        pytest.param([ONE + b"\n" + TWO + b"\n"], [(1, "ok"), (2, "ok")], id="two-in-one-chunk"),
        pytest.param([ONE[:10], ONE[10:30], ONE[30:] + b"\n"], [(1, "ok")], id="split-thrice"),
        pytest.param([ONE + b"\n" + TWO[:5], TWO[5:] + b"\n"], [(1, "ok"), (2, "ok")], id="tail"),
        pytest.param([ONE, b"\n"], [(1, "ok")], id="newline-alone"),
        pytest.param([b"\n  \r\n" + ONE + b"\r\n"], [(1, "ok")], id="blank-lines-and-crlf"),
        pytest.param([b"  " + ONE + b" \n"], [(1, "ok")], id="spaces-around"),
        pytest.param([b"not json\n" + ONE + b"\n"], ["ValidationError", (1, "ok")], id="garbage"),
        pytest.param([BIG + b"\n" + ONE + b"\n"], [(3, RESULT_TOO_LARGE), (1, "ok")], id="big"),
        pytest.param(
            [BIG[:50], BIG[50:150], BIG[150:] + b"\n" + ONE + b"\n"],
            [(3, RESULT_TOO_LARGE), (1, "ok")],
            id="big-split",
        ),
        pytest.param([b"x" * (LIMIT + 1) + b"\n"], ["MessageTooLargeError"], id="big-no-id"),
    ],
)
def test_lines_give_each_message_once_however_it_is_chunked(
    chunks: list[bytes], expected: list[object]
) -> None:
    assert read(chunks) == expected


def test_lines_drop_a_line_over_the_limit_and_say_its_size() -> None:
    lines = _Lines(LIMIT)
    assert lines.feed(b"y" * 150) == []
    assert lines.feed(b"y" * 150) == []
    (error,) = lines.feed(b"y" * 10 + b"\n")
    assert isinstance(error, MessageTooLargeError)
    assert (error.size, error.limit) == (310, LIMIT)
    (after,) = lines.feed(ONE + b"\n")  # the next line is read as usual
    assert isinstance(after, SessionMessage)
