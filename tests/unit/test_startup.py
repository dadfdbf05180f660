"""Start-up checks: a bad catalog or setting stops a process with one line naming the file or variable, the
model and the field; the catalog's published JSON Schema is the one generated from its model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from empirio import startup
from empirio.store.tables import TABLES
from empirio_cli.catalog import SCHEMA_FILE, schema_text

REPO = Path(__file__).resolve().parents[2]
SHIPPED = json.loads((REPO / "catalog" / "models.json").read_text())


def write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return str(path)


def without(field: str) -> dict[str, Any]:
    models = [dict(m) for m in SHIPPED["models"]]
    del models[3][field]
    return {"models": models}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (SHIPPED["models"], 'must be an object with a "models" list'),
        (without("region"), f"model {SHIPPED['models'][3]['id']}: region: Field required"),
        (
            {"models": [{**SHIPPED["models"][0], "pricing": {"input_per_mtok": "-1"}}]},
            "pricing.input_per_mtok",
        ),
        ({"models": SHIPPED["models"][:1], "extra": 1}, "unknown top-level fields ['extra']"),
    ],
    ids=["bare-list", "no-region", "negative-price", "unknown-field"],
)
def test_a_bad_catalog_is_one_line_naming_the_file_model_and_field(
    tmp_path: Path, document: Any, expected: str
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(startup.ConfigError) as error:
        startup.check(env={"EMPIRIO_CATALOG": path})
    message = str(error.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


def test_a_missing_catalog_file_names_the_path_and_the_variable(tmp_path: Path) -> None:
    with pytest.raises(startup.ConfigError, match=r"nope\.json: cannot read the catalog .*EMPIRIO_CATALOG"):
        startup.check(env={"EMPIRIO_CATALOG": str(tmp_path / "nope.json")})


@pytest.mark.parametrize(
    ("variable", "value"), [("EMPIRIO_KEY_CACHE_SECONDS", "soon"), ("EMPIRIO_ADMIN_AUTH", "tokn")]
)
def test_a_bad_setting_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(startup.ConfigError) as error:
        startup.check(env={variable: value})
    assert str(error.value).startswith(f"{variable}: ")


def test_on_lambda_missing_settings_are_refused_and_named() -> None:
    tables = {spec.env_var: f"t-{spec.logical}" for spec in TABLES}
    env = {"AWS_LAMBDA_FUNCTION_NAME": "console", **tables}
    with pytest.raises(startup.ConfigError, match="EMPIRIO_USER_POOL_ID, EMPIRIO_USER_POOL_CLIENT_ID"):
        startup.check(("user_pool_id", "user_pool_client_id"), env=env)
    del env["EMPIRIO_TABLE_LEDGER"]
    with pytest.raises(startup.ConfigError, match="missing settings: EMPIRIO_TABLE_LEDGER"):
        startup.check(env=env)
    assert startup.check(env={**env, "EMPIRIO_TABLE_LEDGER": "t-ledger"}).table_name("ledger") == "t-ledger"


def test_the_published_schema_is_generated_from_the_model_and_the_shipped_catalog_uses_it() -> None:
    assert (REPO / SCHEMA_FILE).read_text() == schema_text(), (
        "run: uv run empirio catalog schema > " + SCHEMA_FILE
    )
    assert SHIPPED["$schema"] == "./models.schema.json"


def empirio(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "empirio_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_catalog_check_validates_a_file(tmp_path: Path) -> None:
    good = empirio("catalog", "check", str(REPO / "catalog" / "models.json"))
    assert good.returncode == 0 and f"ok, {len(SHIPPED['models'])} models" in good.stdout
    bad = empirio("catalog", "check", write(tmp_path, without("region")))
    assert bad.returncode == 1 and "region: Field required" in bad.stderr


def test_make_dev_refuses_a_bad_catalog_with_one_line_and_no_banner(tmp_path: Path) -> None:
    result = empirio("dev", "--port", "0", env={"EMPIRIO_CATALOG": write(tmp_path, without("region"))})
    assert result.returncode == 2 and "base URL" not in result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("empirio dev: refusing to start: ") and "region: Field required" in line
