"""Secret env variables at rest and in the API: stored encrypted, shown masked, kept on save.

Stored form: in a saved draft or version, the `value` of an env variable of type secret is
`ENCRYPTED_PREFIX` + a Fernet token (`builder.crypto`, the key that also guards provider keys).
A plain value, as drafts saved before secrets were encrypted hold, is read as the value itself
and encrypted on the next save or publish. Versions freeze the encrypted form.

The API never returns a secret, not even to owners: `value` is `MASK` when one is set and ""
when not. A save that sends `MASK` back, or leaves `value` out, keeps the stored secret; any
other value replaces it ("" clears it). `MASK` for a secret with no stored value (one renamed)
is refused with 422 naming the field, rather than cleared unseen. Only `open_secrets`, used
when a run is built, decrypts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model

from kernel.crypto import decrypt, encrypt
from kernel.errors import ApiError
from runtime.masking import MASK
from runtime.spec import WorkflowSpec

ENCRYPTED_PREFIX = "enc:"


def seal_secrets(spec: WorkflowSpec, raw: Any, stored: Any) -> WorkflowSpec:
    """The spec to store: secret values encrypted; MASK or no `value` keeps the stored one."""
    if not any(v.type == "secret" for v in spec.env):
        return spec
    kept = {v["name"]: v.get("value", "") for v in _secret_vars(stored)}
    omitted = {v.get("name") for v in _env_list(raw) if isinstance(v, dict) and "value" not in v}
    env = []
    for i, var in enumerate(spec.env):
        if var.type == "secret":
            value = str(var.value)
            if value == MASK and var.name not in kept:
                raise ApiError(
                    "secret_not_stored",
                    422,
                    f"there is no stored value of the secret {var.name} to keep; send its value",
                    field=f"env.{i}.value",
                )
            if value == MASK or var.name in omitted:
                value = str(kept.get(var.name, ""))
            var = var.model_copy(update={"value": _encrypted(value)})
        env.append(var)
    return spec.model_copy(update={"env": env})


def seal_stored(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec with any plain secret (saved before encryption) encrypted."""
    return _map_secrets(spec, _encrypted)


def mask_secrets(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec as the API shows it: each secret's value MASK when set, "" when not."""
    return _map_secrets(spec, lambda value: MASK if value else "")


def open_secrets(spec: dict[str, Any]) -> dict[str, Any]:
    """A stored spec with its secrets decrypted, to build a run from (never to show)."""
    return _map_secrets(spec, _decrypted)


def do_encrypt_plain_secrets(*models: type[Model]) -> int:
    """Encrypt the plain secrets that specs stored before encryption still hold, in the rows of
    `models` (drafts and versions, which are never saved again); returns how many changed."""
    changed = 0
    for model in models:
        for pk, spec in model._default_manager.values_list("pk", "spec").iterator():
            sealed = seal_stored(spec) if isinstance(spec, dict) else spec
            if sealed != spec:
                model._default_manager.filter(pk=pk).update(spec=sealed)
                changed += 1
    return changed


def _encrypted(value: str) -> str:
    if not value or value.startswith(ENCRYPTED_PREFIX):
        return value
    return ENCRYPTED_PREFIX + encrypt(value)


def _decrypted(value: str) -> str:
    if not value.startswith(ENCRYPTED_PREFIX):
        return value  # a plain value from before secrets were encrypted
    try:
        return decrypt(value.removeprefix(ENCRYPTED_PREFIX))
    except ValueError:
        raise ApiError(
            "secret_unreadable",
            422,
            "a secret env variable cannot be decrypted with the current key; set it again",
            field="env",
        ) from None


def _env_list(spec: Any) -> list[Any]:
    env = spec.get("env") if isinstance(spec, dict) else None
    return env if isinstance(env, list) else []


def _secret_vars(spec: Any) -> list[dict[str, Any]]:
    return [
        v
        for v in _env_list(spec)
        if isinstance(v, dict) and v.get("type") == "secret" and isinstance(v.get("name"), str)
    ]


def _map_secrets(spec: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    """A copy of `spec` whose secret values went through `change` (the same dict if none)."""
    if not _secret_vars(spec):
        return spec
    env = [
        {**v, "value": change(str(v.get("value", "")))}
        if isinstance(v, dict) and v.get("type") == "secret"
        else v
        for v in _env_list(spec)
    ]
    return {**spec, "env": env}
