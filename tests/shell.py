"""Run an example command the product shows, as a user pastes it into a shell."""

from __future__ import annotations

import json
import subprocess
from typing import Any


def run_pasted_curl(curl: str, timeout: float = 180) -> tuple[int, Any]:
    """Run a shown curl command in bash; its (HTTP status, JSON body). Fails on a shell error."""
    done = subprocess.run(  # the command the page or API showed, as pasted
        ["/bin/bash", "-c", curl + " -sS -w '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)
