"""An error surge did not expect ends the run with its partial results and exit code 7."""

from __future__ import annotations

import json
from pathlib import Path

import surge
from servers import HttpTestServer
from surge.config import RunConfig
from surge.runner import run_all


class _Broken(surge.Observer):
    def on_progress(self, progress: surge.Progress) -> None:
        raise ValueError("observer broke")


def test_a_crash_mid_run_keeps_the_partial_result(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    config = RunConfig(users=2, duration=30.0, no_store=True, out=str(out))
    runs = run_all(f"{test_server.url}/ok", config, [_Broken()])
    assert runs.exit_code is surge.ExitCode.INTERNAL_ERROR
    (result,) = runs.results
    assert result.meta.aborted and result.requests > 0
    reason = result.meta.abort_reason
    assert reason is not None
    assert reason.startswith("internal error: ValueError: observer broke (at "), reason
    assert "test_crash.py" in reason and "\n" not in reason
    assert result.duration_s < 10  # it stopped at the first second, not after 30 s
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["meta"]["aborted"] is True and doc["meta"]["abort_reason"] == reason
