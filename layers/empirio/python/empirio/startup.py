"""Start-up checks: a process refuses to start on configuration it cannot serve with, with one line that names
the variable or the file, the model and the field. Run when an app is created (a Lambda's init, `make dev`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from empirio.domain.catalog import Catalog, CatalogError, parse_catalog
from empirio.settings import ENV_VARIABLES, Settings
from empirio.store.tables import TABLES


class ConfigError(Exception):
    """The configuration is unusable; the message is one line a person can act on."""


def in_lambda(env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get("AWS_LAMBDA_FUNCTION_NAME"))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    try:
        return Settings.from_env(dict(os.environ if env is None else env))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise ConfigError(f"{ENV_VARIABLES.get(field, field)}: {first['msg']}") from None


def load_catalog(path: str) -> Catalog:
    """The catalog file, validated; any problem is reported with the file's path. Parsed once per file version,
    so the start-up check and the process's context share one parse."""
    try:
        return _parsed(path, Path(path).stat().st_mtime_ns)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the catalog ({exc.strerror or exc}); set EMPIRIO_CATALOG"
        ) from None


@lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int) -> Catalog:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the catalog ({exc.strerror or exc}); set EMPIRIO_CATALOG"
        ) from None
    try:
        return parse_catalog(text)
    except CatalogError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check(requires: Iterable[str] = (), env: Mapping[str, str] | None = None) -> Settings:
    """Validate the settings and the catalog. On Lambda, where the stack sets everything, the settings a family
    ``requires`` and every table name must also be given explicitly (a default there would be silently wrong)."""
    env = dict(os.environ if env is None else env)
    settings = load_settings(env)
    if in_lambda(env):
        missing = [ENV_VARIABLES[name] for name in requires if not getattr(settings, name)]
        missing += [spec.env_var for spec in TABLES if not env.get(spec.env_var)]
        if missing:
            raise ConfigError(f"missing settings: {', '.join(missing)} (the stack sets them; redeploy)")
    load_catalog(settings.catalog_path)
    return settings
