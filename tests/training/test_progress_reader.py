"""The one reader of progress.jsonl: each complete line once, numbered as the file numbers it."""

from __future__ import annotations

from pathlib import Path

from training.progress import ProgressReader


def test_reader_returns_complete_lines_once_and_numbers_every_line(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    reader = ProgressReader(path)
    assert reader.read() == []  # no file yet
    path.write_bytes(b'{"event": "start"}\nnot json\n{"event": "st')
    assert reader.read() == [(1, {"event": "start"})]  # line 2 counts, the third is unfinished
    with path.open("ab") as f:
        f.write(b'ep", "step": 1}\n')
    assert reader.read() == [(3, {"event": "step", "step": 1})]
    assert reader.read() == []


def test_reader_from_end_follows_only_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    path.write_bytes(b'{"event": "start"}\n{"event": "stopped"}\n')
    reader = ProgressReader(path, from_end=True)
    assert reader.seq == 2
    with path.open("ab") as f:
        f.write(b'{"event": "done"}\n')
    assert reader.read() == [(3, {"event": "done"})]
