"""Model preparation: atomic conversion, the WEFT_MODEL_CACHE copy, interrupted runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.llm import _convert
from runtime.llm._convert import COMPLETE_MARKER, ensure_converted, find_bundled_gguf


def fake_conversion(gguf: Path, out: Path, report: _convert.Progress) -> None:
    report("writing", 0, 1)
    (out / "config.json").write_text("{}")
    (out / "model.safetensors").write_bytes(b"weights")
    report("done", 1, 1)


def test_convert_finds_bundled_gguf() -> None:
    assert find_bundled_gguf().suffix == ".gguf"


def test_convert_writes_once_and_fills_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counting(gguf: Path, out: Path, report: _convert.Progress) -> None:
        calls.append("x")
        fake_conversion(gguf, out, report)

    monkeypatch.setattr(_convert, "_convert", counting)
    steps: list[str] = []
    cache = tmp_path / "cache"
    target = ensure_converted(tmp_path / "models", lambda s, *_: steps.append(s), cache_dir=cache)
    again = ensure_converted(tmp_path / "models", cache_dir=cache)
    assert target == again == tmp_path / "models" / "smollm2-135m-instruct"
    assert calls == ["x"]
    assert steps == ["writing", "done"]
    assert (cache / target.name / COMPLETE_MARKER).is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temp dirs


def test_convert_copies_from_cache_without_converting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = tmp_path / "cache" / "smollm2-135m-instruct"
    cached.mkdir(parents=True)
    fake_conversion(Path("x.gguf"), cached, lambda *_: None)
    (cached / COMPLETE_MARKER).write_text("ok\n")
    monkeypatch.setattr(_convert, "_convert", pytest.fail)
    monkeypatch.setenv("WEFT_MODEL_CACHE", str(tmp_path / "cache"))
    target = ensure_converted(tmp_path / "models", lambda *_: None)
    assert (target / "model.safetensors").read_bytes() == b"weights"


def test_convert_interrupted_leaves_no_half_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(gguf: Path, out: Path, report: _convert.Progress) -> None:
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(_convert, "_convert", crash)
    models = tmp_path / "models"
    with pytest.raises(KeyboardInterrupt):
        ensure_converted(models, lambda *_: None, cache_dir=tmp_path / "cache")
    assert list(models.iterdir()) == []
