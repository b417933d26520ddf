"""Settings come from the environment; production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WEFT_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, "WEFT_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"WEFT_DEBUG": "0", "WEFT_SECRET_KEY": "k" * 20 + "-Qz8#x" * 10},
        {"WEFT_DEBUG": "0", "WEFT_HTTPS": "1", "WEFT_SECRET_KEY": "k" * 20 + "-Qz8#x" * 10},
        {"WEFT_DEBUG": "0", "WEFT_HTTPS": "1"},  # the key generated into the data directory
    ],
    ids=["https-by-default", "https-explicit", "generated-key"],
)
def test_production_settings_pass_check_deploy(env: dict[str, str], tmp_path: Path) -> None:
    result = _check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_debug_settings_fail_check_deploy(tmp_path: Path) -> None:
    result = _check({"WEFT_DEBUG": "1", "WEFT_HTTPS": "0"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {k: v for k, v in os.environ.items() if k != "WEFT_SECRET_KEY"}
    env |= {"WEFT_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    keys = [
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert keys[0] == keys[1]
    assert len(keys[0]) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
