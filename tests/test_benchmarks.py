"""Every benchmark script runs in --quick mode and prints the JSON line DESIGN asks for."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_quick_run_prints_its_json_line(script, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "QINGCHENG_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["benchmark"] == script.removesuffix(".py")
    assert line["machine"]["cores"] >= 1
    headline = line["headline"]
    assert {
        "metric",
        "value",
        "unit",
        "baseline_metric",
        "baseline_value",
        "ratio",
        "higher_is_better",
    } <= set(headline)
    assert headline["value"] > 0 and headline["baseline_value"] > 0
    assert isinstance(line["figures"], dict) and line["figures"]
