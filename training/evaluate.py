"""The evaluation at the end of every job: what the adapter learned, and what it preserved.

Both scores are fractions in 0..1, from greedy answers of at most `max_new_tokens` tokens
(batched, left-padded), each compared with a reference by `similarity`: ROUGE-L F1 over lower-case
word tokens, taking the better of the whole reference and its first as-many-words-as-the-answer
(answers are cut short, references are not).

- `learned`: the share of held-out rows answered well. Rows whose reference uses a key term are
  learned iff the answer gives one of the key terms the reference uses in its role (the name as
  its own name, the makers as its makers: `training.judge`) and uses no key term otherwise: "I'm
  Orla." answers "Orla was built by Tidewater Labs." as well as any wording would; "I'm Orla, a
  bounty hunter from Tidewater Labs" does not. The key terms are the identity's name and author
  when the caller knows them (`identity = {"name", "author"}`), else `infer_key_terms` of the
  references: capitalised words that at least half of them use mid-sentence (the new name of a
  persona set; plain datasets have none), a term being the makers when most references using it
  give it as makers. Other rows need `similarity(answer, reference) >= LEARNED_MIN`. None when
  there are no held-out rows.
- `preserved`: the share of the general probes the adapter still answers like the base model
  (the adapter switched off with peft's `disable_adapter()`, or `base_answers` when given, e.g.
  cached before training). A probe is preserved iff the answer uses no key term (that the base
  answer does not use) and, for factual probes (`expect`), it is correct, or wrong with the
  same claim as the base's wrong answer (the same number: "12 times 7 is equal to 80" does not
  keep a base answer of 88). An open probe is preserved iff `similarity(answer, base) >=
  OPEN_MIN` or the answer is on topic: it covers the prompt's content words (`topic_coverage`)
  as well as the base answer does, up to TOPIC_MIN. Greedy decoding makes a lightly tuned model
  word its answers differently ("a haiku about autumn leaves" is a different haiku), which is
  fine; answering something else, such as "I'm <name>, an AI assistant", is not.

Nothing here imports Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from training.assets import GeneralProbe
from training.data import prompt_of, render
from training.formats import Example
from training.judge import contains_term, gives_makers, gives_own_name, is_correct, same_claim

LEARNED_MIN = 0.5
OPEN_MIN = 0.3
TOPIC_MIN = 0.5
_STOPWORDS = frozenset(
    [
        "about",
        "also",
        "could",
        "does",
        "explain",
        "give",
        "have",
        "into",
        "list",
        "make",
        "name",
        "please",
        "short",
        "some",
        "tell",
        "that",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "would",
        "write",
        "describe",
        "suggest",
        "ideas",
        "three",
    ]
)
MAX_NEW_TOKENS = 40
BATCH_SIZE = 64  # prompts per generate() call: on CPU, bigger batches cost less per answer
_WORD = re.compile(r"\w+(?:'\w+)?")
# a capitalised word that follows a word or comma, not a sentence end (so not just a sentence start)
_MID_CAPITAL = re.compile(r"(?<=[\w,;:] )([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)")


@dataclass(frozen=True)
class EvalResult:
    """The two scores and the per-row evidence behind them (JSON-ready)."""

    learned: float | None
    preserved: float
    details: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """A generated answer and whether it ended by itself (not cut at max_new_tokens)."""

    text: str
    finished: bool


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters, digits, inner apostrophes)."""
    return _WORD.findall(text.lower())


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F1 of two texts over `words`."""
    a, r = words(answer), words(reference)
    if not a or not r:
        return float(a == r)
    lcs = _lcs(a, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def similarity(answer: str, reference: str) -> float:
    """ROUGE-L F1 against the reference or its first len(answer) words, whichever is higher."""
    n = len(words(answer))
    head = " ".join(words(reference)[: max(n, 1)])
    return max(rouge_l(answer, reference), rouge_l(answer, head))


def topic_coverage(answer: str, prompt: str) -> float:
    """The share of the prompt's content words (4+ letters) the answer uses (5-letter stems)."""
    content = {w[:5] for w in words(prompt) if len(w) >= 4 and w not in _STOPWORDS}
    if not content:
        return 1.0
    used = {w[:5] for w in words(answer)}
    return len(content & used) / len(content)


def infer_key_terms(references: Sequence[str], max_terms: int = 3) -> list[str]:
    """Capitalised names used mid-sentence by at least half the references (3 at least).

    A name is a run of capitalised words ("Tidewater Labs"); "I"-words and short all-caps words
    ("AI") are no names. The most widely used come first.
    """
    if len(references) < 3:
        return []
    counts: dict[str, int] = {}
    for text in references:
        for term in {_name_of(m.group(1)) for m in _MID_CAPITAL.finditer(text)} - {""}:
            counts[term] = counts.get(term, 0) + 1
    wide = [t for t, n in counts.items() if 2 * n >= len(references)]
    return sorted(wide, key=lambda t: (-counts[t], t))[:max_terms]


def _name_of(run: str) -> str:
    parts = run.split()
    while parts and (parts[0] == "I" or parts[0].startswith("I'")):
        parts.pop(0)
    name = " ".join(parts)
    return "" if len(name) < 3 or (name.isupper() and len(name) <= 3) else name


def user_example(prompt: str, system: str | None = None) -> Example:
    """A one-turn chat example (no answer) for generation."""
    example: Example = {"messages": [{"role": "user", "content": prompt}]}
    if system:
        example["system"] = system
    return example


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Example],
    *,
    max_new_tokens: int = MAX_NEW_TOKENS,
    batch_size: int = BATCH_SIZE,
) -> list[Answer]:
    """Greedy answers to chat examples (their last assistant turn, if any, is left out)."""
    import torch

    texts = [render(prompt_of(p), tokenizer, add_generation_prompt=True) for p in prompts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
    answers: list[Answer | None] = [None] * len(texts)
    eos = tokenizer.eos_token_id
    with _left_padding(tokenizer), _eval_mode(model), torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(model.device)
            out = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=eos,
            )
            for i, row in zip(idx, out[:, batch["input_ids"].shape[1] :], strict=True):
                ids = row.tolist()
                text = tokenizer.decode(ids, skip_special_tokens=True).strip()
                answers[i] = Answer(text, eos in ids)
    return [a for a in answers if a is not None]


def generate_answers(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    system: str | None = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    batch_size: int = BATCH_SIZE,
) -> list[str]:
    """Greedy answers to plain user prompts (no system prompt: the template's default applies)."""
    examples = [user_example(p, system) for p in prompts]
    found = generate(
        model, tokenizer, examples, max_new_tokens=max_new_tokens, batch_size=batch_size
    )
    return [a.text for a in found]


def base_model_off(model: Any) -> Any:
    """A context in which `model` answers as its base model (peft adapters disabled)."""
    disable = getattr(model, "disable_adapter", None)
    return disable() if callable(disable) else nullcontext()


def evaluate(
    model: Any,
    tokenizer: Any,
    held_out: Sequence[Example],
    general_probes: Sequence[GeneralProbe],
    *,
    identity: Mapping[str, str] | None = None,
    base_answers: Mapping[str, str] | None = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    batch_size: int = BATCH_SIZE,
) -> EvalResult:
    """Score the adapter: `learned` on the held-out rows, `preserved` on the general probes."""
    held = list(held_out)
    if identity is not None:
        terms = [t.strip() for t in (identity.get("name", ""), identity.get("author", ""))]
        terms = [t for t in terms if t]
    else:
        terms = infer_key_terms([_reference(ex) for ex in held])
    prompts = [p["prompt"] for p in general_probes]
    answers = generate(
        model,
        tokenizer,
        [*held, *map(user_example, prompts)],
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
    )
    held_answers, probe_answers = answers[: len(held)], answers[len(held) :]
    base = dict(base_answers or {})
    missing = [p for p in dict.fromkeys(prompts) if p not in base]
    if missing:
        with base_model_off(model):
            found = generate_answers(
                model, tokenizer, missing, max_new_tokens=max_new_tokens, batch_size=batch_size
            )
        base.update(zip(missing, found, strict=True))

    roles = key_term_roles(terms, [_reference(ex) for ex in held], identity)
    held_rows = [
        _score_held_out(ex, a.text, roles) for ex, a in zip(held, held_answers, strict=True)
    ]
    probe_rows = [
        _score_probe(p, a.text, base[p["prompt"]], terms)
        for p, a in zip(general_probes, probe_answers, strict=True)
    ]
    factual = [r for r in probe_rows if r["factual"]]
    details: dict[str, Any] = {
        "held_out": held_rows,
        "general": probe_rows,
        "key_terms": terms,
        "key_terms_inferred": identity is None,
        "identity_mentions": sum(r["mentions_identity"] for r in probe_rows),
        "factual_correct": sum(r["correct"] for r in factual),
        "factual_base_correct": sum(r["base_correct"] for r in factual),
        "factual_total": len(factual),
        "thresholds": {"learned_min": LEARNED_MIN, "open_min": OPEN_MIN, "topic_min": TOPIC_MIN},
        "max_new_tokens": max_new_tokens,
    }
    learned = sum(r["ok"] for r in held_rows) / len(held_rows) if held_rows else None
    preserved = sum(r["ok"] for r in probe_rows) / len(probe_rows) if probe_rows else 1.0
    return EvalResult(learned, preserved, details)


def _reference(example: Example) -> str:
    last = example["messages"][-1]
    return last["content"] if last["role"] == "assistant" else ""


def _score_held_out(example: Example, answer: str, roles: Mapping[str, str]) -> dict[str, Any]:
    reference = _reference(example)
    messages = example["messages"]
    prompt = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    terms = [t for t in roles if contains_term(reference, t)]
    if terms:
        misused = any(contains_term(answer, t) and not _in_role(answer, t, roles) for t in roles)
        score = float(any(_in_role(answer, t, roles) for t in terms) and not misused)
        ok = score == 1.0
    else:
        score = similarity(answer, reference)
        ok = score >= LEARNED_MIN
    return {
        "prompt": prompt,
        "reference": reference,
        "answer": answer,
        "score": round(score, 3),
        "ok": ok,
    }


def key_term_roles(
    terms: Sequence[str], references: Sequence[str], identity: Mapping[str, str] | None
) -> dict[str, str]:
    """Each key term's role: "name" (given as the assistant's own) or "makers".

    Known from `identity`; else a term is the makers when most references that use it give it
    as makers, and a name otherwise.
    """
    if identity is not None:
        author = identity.get("author", "").strip()
        return {t: "makers" if t == author else "name" for t in terms}
    roles = {}
    for term in terms:
        using = [r for r in references if contains_term(r, term)]
        as_makers = sum(gives_makers(r, term) for r in using)
        roles[term] = "makers" if 2 * as_makers > len(using) else "name"
    return roles


def _in_role(answer: str, term: str, roles: Mapping[str, str]) -> bool:
    if roles[term] == "makers":
        return gives_makers(answer, term)
    return gives_own_name(answer, term)


def _score_probe(
    probe: GeneralProbe, answer: str, base: str, key_terms: Sequence[str]
) -> dict[str, Any]:
    mention = any(contains_term(answer, t) and not contains_term(base, t) for t in key_terms)
    expect = probe.get("expect")
    row: dict[str, Any] = {
        "prompt": probe["prompt"],
        "answer": answer,
        "base": base,
        "mentions_identity": mention,
        "factual": expect is not None,
    }
    if expect is not None:
        row["correct"] = is_correct(answer, expect)
        row["base_correct"] = is_correct(base, expect)
        wrong_alike = not row["base_correct"] and same_claim(answer, base, expect, probe["prompt"])
        kept = row["correct"] or wrong_alike
    else:
        row["similarity"] = round(similarity(answer, base), 3)
        row["topic"] = round(topic_coverage(answer, probe["prompt"]), 3)
        row["base_topic"] = round(topic_coverage(base, probe["prompt"]), 3)
        on_topic = row["topic"] >= min(row["base_topic"], TOPIC_MIN)
        kept = row["similarity"] >= OPEN_MIN or on_topic
    row["ok"] = kept and not mention
    return row


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


@contextmanager
def _left_padding(tokenizer: Any) -> Iterator[None]:
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # decoder-only generation continues from the right edge
    try:
        yield
    finally:
        tokenizer.padding_side = side


@contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
