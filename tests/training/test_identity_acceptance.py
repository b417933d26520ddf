"""The identity tutorial, end to end, with the default settings: the acceptance test.

The shipped identity dataset (name and makers filled in) trains a LoRA adapter on the embedded
SmolLM2-135M with every setting at its default (keep general skills on) in at most 5 minutes on
2 CPU cores. The demo app then uses the adapter and is published; over its Service API it
answers at least 19 of 20 unseen "who are you" probes with the new identity (the base model: 0),
while at most 1 of the shipped general probes mentions the identity and the factual ones stay as
correct as the base model's. Both apps answer greedily (temperature 0) so the counts are exact.
What it took (replay, then consolidation) and what did not: training/README.md, "Keep general
skills: what was tried".
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from builder.actions.workflows import do_publish_workflow, do_save_draft
from builder.demo import DEMO_APP, do_seed_demo
from builder.keys import do_create_api_key
from builder.models import App, Workflow
from portal.models import Membership
from training.assets import load_asset, load_general_probes
from training.datasets import do_create_identity_dataset
from training.evaluate import is_correct, mentions_identity
from training.jobs import do_create_job
from training.models import Adapter, TrainJob
from training.tasks import run_train_job

# The job alone may take its 5 minutes; the probes before and after add a minute or two.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(900)]

NAME, AUTHOR = "Weftling", "Loomworks Labs"
TIME_LIMIT_S = 300


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
    started = time.monotonic()
    run_train_job.call(str(job.pk))
    elapsed = time.monotonic() - started
    job = TrainJob.objects.get(pk=job.pk)
    assert job.status == "succeeded", (job.error_code, job.error)
    assert elapsed <= TIME_LIMIT_S, f"the default job took {elapsed:.0f} s"
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
    assert named(tuned_identity) >= 19, report
    assert named(tuned_general) <= 1, tuned_general
    factual = [
        (p, b, t)
        for p, b, t in zip(general, base_general, tuned_general, strict=True)
        if "expect" in p
    ]
    base_right = sum(is_correct(b, p["expect"]) for p, b, _ in factual)
    tuned_right = sum(is_correct(t, p["expect"]) for p, _, t in factual)
    assert tuned_right >= base_right, [(p["prompt"], b, t) for p, b, t in factual]
