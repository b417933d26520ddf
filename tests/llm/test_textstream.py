"""Incremental detokenisation: split UTF-8 characters and stop strings across tokens."""

from __future__ import annotations

from runtime.llm._textstream import TextTracker


class ByteTokenizer:
    """Each token is one byte of UTF-8; decoding replaces half characters like real tokenizers."""

    def decode(self, ids: list[int], **_: object) -> str:
        """Bytes to text, with U+FFFD for an incomplete tail."""
        return bytes(ids).decode("utf-8", errors="replace")


def feed(text: str, stops: tuple[str, ...] = ()) -> tuple[list[str], bool, str]:
    tracker = TextTracker(ByteTokenizer(), stops)
    deltas = []
    for byte in text.encode():
        delta, stopped = tracker.add(byte)
        deltas.append(delta)
        if stopped:
            return deltas, True, ""
    return deltas, False, tracker.flush()


def test_textstream_never_emits_half_a_character() -> None:
    deltas, stopped, tail = feed("héllo ✓ 🎉")
    assert not any("\ufffd" in d for d in deltas)
    assert "".join(deltas) + tail == "héllo ✓ 🎉"
    assert not stopped


def test_textstream_cuts_at_stop_string_without_leaking_its_start() -> None:
    deltas, stopped, _ = feed("one two</end> three", stops=("</end>",))
    assert stopped
    assert "".join(deltas) == "one two"
    assert all("<" not in d for d in deltas)


def test_textstream_releases_held_text_that_was_not_a_stop() -> None:
    deltas, stopped, tail = feed("a <b> c", stops=("<stop>",))
    assert not stopped
    assert "".join(deltas) + tail == "a <b> c"


def test_textstream_earliest_of_several_stops_wins() -> None:
    deltas, stopped, _ = feed("xx END yy STOP", stops=("STOP", "END"))
    assert stopped
    assert "".join(deltas) == "xx "
