"""Assets are built on this machine without Docker: code is copied, third-party wheels come from pip."""

from pathlib import Path

from infra.constructs.bundling import LAMBDA_PLATFORM, CopyBundling, pip_command


def test_function_bundle_holds_only_its_family(tmp_path: Path) -> None:
    CopyBundling(
        {"functions/__init__.py": "functions/__init__.py", "functions/keys": "functions/keys"}
    ).try_bundle(str(tmp_path))
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")}
    assert "functions/keys/handler.py" in files and "functions/__init__.py" in files
    assert not any(f.startswith("functions/admin") for f in files)
    assert not list(tmp_path.rglob("__pycache__"))


def test_shared_layer_bundle_has_the_package_and_catalog_where_lambda_looks(tmp_path: Path) -> None:
    CopyBundling(
        {"python/empirio": "layers/empirio/python/empirio", "catalog/models.json": "catalog/models.json"}
    ).try_bundle(str(tmp_path))
    assert (tmp_path / "python/empirio/routes.py").exists()
    assert (tmp_path / "catalog/models.json").exists()  # /opt/catalog/models.json on Lambda


def test_dependency_layer_uses_binary_wheels_for_lambda_arm64(tmp_path: Path) -> None:
    command = pip_command(Path("requirements.txt"), tmp_path)
    assert "--only-binary=:all:" in command and LAMBDA_PLATFORM in command
    assert command[command.index("--python-version") + 1] == "3.13"
