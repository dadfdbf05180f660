"""Cold start (handler import time in a fresh interpreter, against its third-party imports alone) and the
unzipped size of every deployment package and layer."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from empirio.families import FAMILIES, JOBS

REPO = Path(__file__).resolve().parents[1]
OURS = ("empirio", "functions", "bench", "infra", "empirio_cli")

_PROBE = """
import json, sys, time
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
third = sorted({{m.split('.')[0] for m in sys.modules}} - set(sys.builtin_module_names) - set(sys.stdlib_module_names)
               - {ours})
print(json.dumps({{"seconds": elapsed, "third_party": third}}))
"""
_BASELINE = """
import time, importlib
started = time.perf_counter()
for name in {names}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
print(time.perf_counter() - started)
"""


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONDONTWRITEBYTECODE": "0", "PATH": "/usr/bin:/bin"},
    ).stdout.strip()


def _entry_module(name: str, web_adapter: bool) -> str:
    return f"functions.{name}.app, uvicorn" if web_adapter else f"functions.{name}.handler"


def cold_starts(runs: int = 5) -> dict[str, Any]:
    entries = [(f.name, f.entry == "web-adapter") for f in FAMILIES] + [(j.name, False) for j in JOBS]
    out: dict[str, Any] = {}
    for name, web_adapter in entries:
        module = _entry_module(name, web_adapter)
        probe = _PROBE.format(module=module, ours=set(OURS))
        third = json.loads(_run(probe))["third_party"]  # also warms the file cache for both sides
        # alternated, so a drift in this machine's speed weighs on both sides alike
        probes, baseline = [], []
        for _ in range(runs):
            probes.append(json.loads(_run(probe)))
            baseline.append(float(_run(_BASELINE.format(names=third))))
        median, base = statistics.median(p["seconds"] for p in probes), statistics.median(baseline)
        out[name] = {
            "median_s": round(median, 3),
            "third_party_only_s": round(base, 3),
            "ratio": round(median / base, 2) if base else None,
        }
    return out


def _size(path: Path) -> float:
    files = (
        [path]
        if path.is_file()
        else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    )
    return round(sum(p.stat().st_size for p in files) / 1e6, 3)


def package_sizes() -> dict[str, Any]:
    sizes: dict[str, Any] = {}
    for family in [f.name for f in FAMILIES] + [j.name for j in JOBS]:
        sizes[f"function:{family}"] = round(
            _size(REPO / "functions" / family) + _size(REPO / "functions/__init__.py"), 3
        )
    sizes["layer:shared"] = round(
        _size(REPO / "layers/empirio/python") + _size(REPO / "catalog/models.json"), 3
    )
    with tempfile.TemporaryDirectory() as tmp:
        from infra.constructs.bundling import pip_command

        done = subprocess.run(
            pip_command(REPO / "layers/deps/requirements.txt", Path(tmp) / "python"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        sizes["layer:dependencies"] = (
            _size(Path(tmp)) if done.returncode == 0 else "unavailable (no registry)"
        )
    sizes["largest_function_with_layers_mb"] = round(
        max(v for k, v in sizes.items() if k.startswith("function:"))
        + sizes["layer:shared"]
        + (sizes["layer:dependencies"] if isinstance(sizes["layer:dependencies"], float) else 0),
        3,
    )
    return sizes


if __name__ == "__main__":
    print(json.dumps({"cold_start": cold_starts(1), "packages": package_sizes()}, indent=2))
