"""Every function of the synthesized stack starts with the shipped catalog: each is laid out as Lambda would
(its bundle as the task root, the shared layer under /opt), given its environment from the template, and its
entry module is imported in a fresh interpreter, as a Lambda init does. A broken catalog or a missing setting
fails that init with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.constructs.bundling import CopyBundling
from tests.infra.conftest import resources

pytestmark = pytest.mark.infra


@dataclass(frozen=True)
class Function:
    name: str
    module: str  # what the Lambda init imports
    env: dict[str, str]


def functions(template: dict[str, Any]) -> list[Function]:
    found = []
    for resource in resources(template, "AWS::Lambda::Function").values():
        props = resource["Properties"]
        handler = str(props.get("Handler", ""))
        if not handler.startswith("functions"):
            continue  # CDK's own helper functions
        name = handler.replace("/", ".").split(".")[1]
        module = f"functions.{name}.app" if handler.endswith("run.sh") else handler.rsplit(".", 1)[0]
        variables = props.get("Environment", {}).get("Variables", {})
        env = {k: v if isinstance(v, str) else f"cfn-{k.lower()}" for k, v in variables.items()}
        found.append(Function(name, module, env))
    return found


@pytest.fixture(scope="module")
def opt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opt")
    CopyBundling(
        {"python/empirio": "layers/empirio/python/empirio", "catalog/models.json": "catalog/models.json"}
    ).try_bundle(str(root))
    return root


def start(fn: Function, opt: Path, task_root: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    """A Lambda init: import the entry module with the function's environment, the layer and the bundle only."""
    if not (task_root / "functions").exists():
        CopyBundling(
            {"functions/__init__.py": "functions/__init__.py", f"functions/{fn.name}": f"functions/{fn.name}"}
        ).try_bundle(str(task_root))
    env = {k: v.replace("/opt/", f"{opt}/") for k, v in fn.env.items()}
    env.update(
        PATH=os.environ["PATH"],
        HOME=os.environ.get("HOME", "/tmp"),  # noqa: S108
        PYTHONPATH=f"{task_root}{os.pathsep}{opt / 'python'}",
        AWS_LAMBDA_FUNCTION_NAME=fn.name,
        AWS_REGION="us-east-1",
        **overrides,
    )
    code = f"import importlib; importlib.import_module({fn.module!r}); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=task_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_function_starts_with_the_shipped_catalog(
    template: dict[str, Any], opt: Path, tmp_path: Path
) -> None:
    found = functions(template)
    assert {f.name for f in found} >= {"inference", "console", "models", "sweeper", "rollup", "reconcile"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: (f, start(f, opt, tmp_path / f.name)), found))
    for fn, result in results:
        assert result.returncode == 0 and "started" in result.stdout, f"{fn.name}: {result.stderr[-2000:]}"


def test_a_broken_catalog_or_a_missing_setting_fails_the_init_naming_it(
    template: dict[str, Any], opt: Path, tmp_path: Path
) -> None:
    console = next(f for f in functions(template) if f.name == "console")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": "openai/gpt-4o"}]')
    result = start(console, opt, tmp_path / "console", EMPIRIO_CATALOG=str(broken))
    assert result.returncode != 0
    assert f'ConfigError: {broken}: the catalog must be an object with a "models" list' in result.stderr
    missing = Function(
        "console", console.module, {k: v for k, v in console.env.items() if "USER_POOL_ID" not in k}
    )
    result = start(missing, opt, tmp_path / "console")
    assert result.returncode != 0 and "ConfigError: missing settings: EMPIRIO_USER_POOL_ID" in result.stderr
