"""Continuous batching on one worker thread: requests join and leave between decode steps.

Each new request is prefilled alone (so its KV cache is exactly what a lone run computes), then
its cache is left-padded and concatenated into the running batch. Every decode step feeds one
token per row; rows leave when they hit EOS, max_tokens, a stop string or are cancelled.
Row-wise attention (`_attention.py`) keeps rows from seeing each other's padding.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import DynamicCache

from runtime.llm._attention import STARTS_KWARG
from runtime.llm._textstream import TextTracker
from runtime.llm.protocol import Finish, TextDelta, Usage

log = logging.getLogger(__name__)

END = object()  # pushed after the last chunk of a sequence


@dataclass(eq=False)
class Sequence:
    """One request in flight: its prompt, sampling settings and where its chunks go."""

    prompt_ids: list[int]
    max_new_tokens: int
    tracker: TextTracker
    emit: Callable[[object], None]
    temperature: float = 0.0
    top_p: float = 1.0
    generator: torch.Generator | None = None
    adapter: str | None = None
    generated: int = 0
    cancelled: bool = False  # set by the consumer; the worker drops the row at the next step

    def send(self, item: object) -> None:
        """Hand a chunk to the consumer; a closed event loop counts as a cancellation."""
        try:
            self.emit(item)
        except RuntimeError:
            self.cancelled = True


@dataclass
class _Batch:
    seqs: list[Sequence] = field(default_factory=list)
    cache: Any = None  # DynamicCache holding every row, left-padded to one width
    lens: list[int] = field(default_factory=list)  # real tokens per row
    next_ids: list[int] = field(default_factory=list)  # sampled, not yet fed


class Batcher:
    """Owns the model's forward passes; `submit` is thread-safe, everything else runs inside."""

    def __init__(self, model: Any, eos_ids: set[int], threads: int, max_batch: int = 32) -> None:
        self.model = model
        self.lock = threading.Lock()  # held around each forward; adapter changes take it too
        self.adapters_active = False
        self._eos = eos_ids
        self._threads = threads
        self._max_batch = max_batch
        self._inbox: queue.Queue[Sequence | None] = queue.Queue()
        self._closing = False
        self._batch = _Batch()
        self._thread = threading.Thread(target=self._run, name="weft-embedded", daemon=True)
        self._thread.start()

    def submit(self, seq: Sequence) -> None:
        """Queue a sequence; it joins the batch before the next decode step."""
        if self.closed:
            raise RuntimeError("the embedded engine is closed")
        self._inbox.put(seq)

    @property
    def closed(self) -> bool:
        """Whether the worker has stopped (or is stopping)."""
        return self._closing or not self._thread.is_alive()

    def close(self) -> None:
        """Stop the worker after the current step; sequences still running end with an error."""
        self._closing = True
        self._inbox.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        torch.set_num_threads(self._threads)
        with torch.inference_mode():
            while self._admit():
                if self._batch.seqs:
                    self._guarded(self._step)
        closed = RuntimeError("the embedded engine was closed")
        self._fail_all(closed)
        while not self._inbox.empty():  # requests queued behind the close
            if (seq := self._inbox.get_nowait()) is not None:
                seq.send(closed)
                seq.send(END)

    def _admit(self) -> bool:
        """Prefill whatever arrived; block while idle. False once closing."""
        new: list[Sequence] = []
        room = self._max_batch - len(self._batch.seqs)
        try:
            item = self._inbox.get(block=not self._batch.seqs)
            while True:
                if item is None:
                    return False
                new.append(item)
                if len(new) >= room:
                    break
                item = self._inbox.get_nowait()
        except queue.Empty:
            pass
        for seq in new:
            if not seq.cancelled:
                self._guarded(self._prefill, seq)
        return True

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # a failed forward fails every row it touched
            log.exception("embedded engine step failed")
            for seq in args:
                seq.send(exc)
                seq.send(END)
            self._fail_all(exc)

    def _fail_all(self, exc: BaseException) -> None:
        for seq in self._batch.seqs:
            seq.send(exc)
            seq.send(END)
        self._batch = _Batch()

    def _forward(
        self,
        ids: torch.Tensor,
        pos: torch.Tensor | None,
        cache: Any,
        seqs: list[Sequence],
        starts: list[int] | None,
    ) -> torch.Tensor:
        kwargs: dict[str, Any] = {}
        if starts is not None:
            kwargs[STARTS_KWARG] = starts
        if self.adapters_active:
            kwargs["adapter_names"] = [s.adapter or "__base__" for s in seqs]
        with self.lock:
            out = self.model(
                input_ids=ids,
                position_ids=pos,
                cache=cache,
                use_cache=True,
                logits_to_keep=1,
                **kwargs,
            )
        logits: torch.Tensor = out.logits[:, -1, :]
        return logits

    def _prefill(self, seq: Sequence) -> None:
        cache = DynamicCache(config=self.model.config)
        logits = self._forward(torch.tensor([seq.prompt_ids]), None, cache, [seq], None)
        token = self._pick(logits, [seq])[0]
        if self._accept(seq, token):
            self._join(seq, cache, token)

    def _join(self, seq: Sequence, cache: Any, token: int) -> None:
        b = self._batch
        width = cache.get_seq_length()
        if b.seqs:
            old = b.cache.get_seq_length()
            full = max(old, width)
            for mine, theirs in zip(b.cache.layers, cache.layers, strict=True):
                mine.keys = torch.cat(
                    [_pad(mine.keys, full - old), _pad(theirs.keys, full - width)]
                )
                mine.values = torch.cat(
                    [_pad(mine.values, full - old), _pad(theirs.values, full - width)]
                )
        else:
            b.cache = cache
        b.seqs.append(seq)
        b.lens.append(width)
        b.next_ids.append(token)

    def _step(self) -> None:
        self._drop([not s.cancelled for s in self._batch.seqs])
        b = self._batch
        if not b.seqs:
            return
        width = b.cache.get_seq_length()
        starts = [width - n for n in b.lens]
        ids = torch.tensor(b.next_ids).unsqueeze(1)
        pos = torch.tensor(b.lens).unsqueeze(1)
        logits = self._forward(ids, pos, b.cache, b.seqs, starts)
        b.lens = [n + 1 for n in b.lens]
        b.next_ids = self._pick(logits, b.seqs)
        self._drop([self._accept(s, t) for s, t in zip(b.seqs, b.next_ids, strict=True)])

    def _drop(self, keep: list[bool]) -> None:
        """Remove rows not kept, then trim padding columns no remaining row needs."""
        b = self._batch
        if all(keep):
            return
        rows = [i for i, k in enumerate(keep) if k]
        if not rows:
            self._batch = _Batch()
            return
        trim = b.cache.get_seq_length() - max(b.lens[i] for i in rows)
        index = torch.tensor(rows)
        for layer in b.cache.layers:
            layer.keys = layer.keys.index_select(0, index)[:, :, trim:]
            layer.values = layer.values.index_select(0, index)[:, :, trim:]
        b.seqs = [b.seqs[i] for i in rows]
        b.lens = [b.lens[i] for i in rows]
        b.next_ids = [b.next_ids[i] for i in rows]

    def _pick(self, logits: torch.Tensor, seqs: list[Sequence]) -> list[int]:
        greedy: list[int] = logits.argmax(dim=-1).tolist()
        return [
            greedy[i] if seq.temperature <= 0 else _sample(logits[i], seq)
            for i, seq in enumerate(seqs)
        ]

    def _accept(self, seq: Sequence, token: int) -> bool:
        """Record a sampled token and stream its text; False once the sequence is finished."""
        seq.generated += 1
        if seq.cancelled:
            return False
        if token in self._eos:
            return self._finish(seq, "stop")
        delta, stopped = seq.tracker.add(token)
        if delta:
            seq.send(TextDelta(delta))
        if stopped:
            return self._finish(seq, "stop")
        if seq.generated >= seq.max_new_tokens:
            tail = seq.tracker.flush()
            if tail:
                seq.send(TextDelta(tail))
            return self._finish(seq, "length")
        return True

    def _finish(self, seq: Sequence, reason: str) -> bool:
        seq.send(Usage(prompt_tokens=len(seq.prompt_ids), completion_tokens=seq.generated))
        seq.send(Finish(reason))
        seq.send(END)
        return False


def _pad(t: torch.Tensor, n: int) -> torch.Tensor:
    """Left-pad a [batch, heads, seq, dim] cache tensor with n zero columns."""
    return torch.nn.functional.pad(t, (0, 0, n, 0)) if n else t


def _sample(logits: torch.Tensor, seq: Sequence) -> int:
    """Temperature + nucleus sampling for one row, with the request's own generator."""
    probs = torch.softmax(logits.float() / seq.temperature, dim=-1)
    if seq.top_p < 1.0:
        sorted_probs, order = probs.sort(descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > seq.top_p
        sorted_probs[outside] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=seq.generator).item())
