"""Asset bundling on this machine, without Docker: pip for the dependency layer, file copies for our code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

REPO = Path(__file__).resolve().parents[2]
LAMBDA_PYTHON = "3.13"
LAMBDA_PLATFORM = "manylinux2014_aarch64"


def pip_command(requirements: Path, target: Path) -> list[str]:
    """pip installing wheels built for the Lambda runtime (arm64, CPython 3.13), never source builds."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-compile",  # this machine's bytecode is for its Python, not Lambda's 3.13: it would only add size
        "--disable-pip-version-check",
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON,
        "--only-binary=:all:",
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]


@jsii.implements(cdk.ILocalBundling)
class PipBundling:
    """A third-party layer: ``requirements.txt`` (exported from uv.lock) into ``python/``. The Stripe SDK's
    ``stripe/params`` (8 MB of TypedDicts, imported only under TYPE_CHECKING: tests/infra checks it) is pruned."""

    def __init__(self, requirements: Path, prune: tuple[str, ...] = ()) -> None:
        self.requirements = requirements
        self.prune = prune  # paths under python/ that nothing imports at run time

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        target = Path(output_dir) / "python"
        subprocess.run(pip_command(self.requirements, target), check=True)  # noqa: S603
        for path in self.prune:
            shutil.rmtree(target / path)
        return True


@jsii.implements(cdk.ILocalBundling)
class CopyBundling:
    """Copies repo paths into the asset (``{destination: source}``, relative to the repo and the asset root)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        copy_tree(self.files, Path(output_dir))
        return True


def copy_tree(files: dict[str, str], output: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for destination, source in files.items():
        src, dst = REPO / source, output / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=ignore, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def bundling(local: Any) -> cdk.BundlingOptions:
    # The image is never pulled: local bundling always succeeds, and CDK needs an image name to be declared.
    return cdk.BundlingOptions(image=cdk.DockerImage.from_registry("local-bundling-only"), local=local)
