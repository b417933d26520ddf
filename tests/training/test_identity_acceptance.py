"""The identity tutorial, end to end, with the default settings: the acceptance test.

The shipped identity dataset (name and makers filled in) trains a LoRA adapter on the embedded
SmolLM2-135M with every setting at its default (keep general skills on). The demo app then uses
the adapter and is published; over its Service API it answers unseen "who are you" probes with
the new identity (the base model: never), while the shipped general probes rarely mention the
identity and the factual ones stay about as correct as the base model's. Both apps answer
greedily (temperature 0). The test keeps a margin of one answer on each count, because greedy
answers differ by a token between machines (a quiet fresh clone once got 20 factual answers
against the base's 21); the job's time is a benchmark figure, not a check here.
What it took (replay, then consolidation) and what did not: training/README.md, "Keep general
skills: what was tried".
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from builder.actions.workflows import do_publish_workflow, do_save_draft
from builder.demo import DEMO_APP, do_seed_demo
from builder.keys import do_create_api_key
from builder.models import App, Workflow
from kernel.models import Membership
from training.assets import load_asset, load_general_probes
from training.datasets import do_create_identity_dataset
from training.jobs import do_create_job
from training.judge import is_correct, mentions_identity
from training.models import Adapter, TrainJob
from training.tasks import run_train_job

# A generous bound for a machine busy with other work (the job took 627 s on one), not a target.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(1800)]

NAME, AUTHOR = "Weftling", "Loomworks Labs"


def _use_model(app: App, model_name: str, user: Any) -> None:
    """Point the app's LLM node at `model_name`, answering greedily, and publish it."""
    draft = Workflow.objects.get(app=app)
    spec = draft.spec
    for node in spec["nodes"]:
        if node["type"] == "llm":
            node["config"]["model"] = {"provider": "embedded", "name": model_name}
            node["config"]["temperature"] = 0
            node["config"]["max_tokens"] = 48
    do_save_draft(app, spec, draft.revision, user)
    do_publish_workflow(app, user, f"answers with {model_name}")


def _ask_all(url: str, key: str, prompts: list[str]) -> list[str]:
    """The published app's answers, asked concurrently (the engine batches them)."""

    def ask(prompt: str) -> str:
        response = httpx.post(
            f"{url}/v1/chat-messages",
            timeout=300,
            headers={"Authorization": f"Bearer {key}"},
            json={"query": prompt, "inputs": {}, "user": "probe", "response_mode": "blocking"},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["answer"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(ask, prompts))


def test_identity_tutorial_teaches_the_name_and_keeps_general_skills(
    live_url: str, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    user, _ = do_seed_demo()
    app = App.objects.get(slug=DEMO_APP)
    membership = Membership.objects.get(user=user, workspace=app.workspace)
    _, key = do_create_api_key(app, "acceptance", user)
    identity_probes: list[str] = load_asset("identity_probes")
    general = load_general_probes()
    assert len(identity_probes) == 20
    assert len(general) >= 20

    _use_model(app, "smollm2-135m-instruct", user)
    base_identity = _ask_all(live_url, key, identity_probes)
    base_general = _ask_all(live_url, key, [p["prompt"] for p in general])

    dataset = do_create_identity_dataset(membership.workspace, user, NAME, AUTHOR)
    job = do_create_job(
        membership.workspace,
        user,
        name="Identity",
        base_model="embedded",
        stage="sft",
        dataset_ids=[dataset.pk],
        settings={},
    )
    run_train_job.call(str(job.pk))
    job = TrainJob.objects.get(pk=job.pk)
    assert job.status == "succeeded", (job.error_code, job.error)
    assert job.eval
    assert job.eval["learned"] is not None
    assert job.eval["preserved"] is not None
    adapter = Adapter.objects.get(job=job)

    _use_model(app, adapter.name, user)
    tuned_identity = _ask_all(live_url, key, identity_probes)
    tuned_general = _ask_all(live_url, key, [p["prompt"] for p in general])

    def named(answers: list[str]) -> int:
        return sum(mentions_identity(a, NAME, AUTHOR) for a in answers)

    report = "\n".join(
        f"{p!r} -> {a!r}" for p, a in zip(identity_probes, tuned_identity, strict=True)
    )
    assert named(base_identity) == 0, base_identity
    assert named(tuned_identity) >= 18, report
    assert named(tuned_general) <= 2, tuned_general
    factual = [
        (p, b, t)
        for p, b, t in zip(general, base_general, tuned_general, strict=True)
        if "expect" in p
    ]
    base_right = sum(is_correct(b, p["expect"]) for p, b, _ in factual)
    tuned_right = sum(is_correct(t, p["expect"]) for p, _, t in factual)
    assert tuned_right >= base_right - 1, [(p["prompt"], b, t) for p, b, t in factual]
