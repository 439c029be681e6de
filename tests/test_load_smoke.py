"""The load test script still runs end to end (a tiny load; the real run is a separate command)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "load_test.py"


def test_load_script_runs_with_zero_errors(tmp_path):
    spec = importlib.util.spec_from_file_location("load_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "load.json"
    code = module.main(["--clients", "2", "--calls", "20", "--latency-ms", "0", "--out", str(out)])
    result = json.loads(out.read_text())
    assert code == 0, result
    assert result["errors"] == 0 and result["calls"] == 20 and result["peak_rss_mb"] > 0
