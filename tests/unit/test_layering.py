"""The layering of the shared package, read from the source (every import, module-level, in functions, and under
TYPE_CHECKING): domain is pure and imports nothing above it, providers import no client format, only the
adapters talk to AWS or HTTP, and no module-level import cycle exists. A test that fails when one appears."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "layers" / "empirio" / "python"
PURE_THIRD_PARTY = {"pydantic", "pydantic_core", "typing_extensions"}  # what domain may import besides stdlib
# The adapters that may talk to AWS: the stores, the composition root building their clients, mail (SES) and
# the AWS providers' own transports.
AWS_IMPORTERS = (
    "empirio.store.",
    "empirio.context",
    "empirio.mail",
    "empirio.providers.bedrock_runtime",
    "empirio.providers.polly",
)
HTTP_LIBRARIES = {"httpx", "aiohttp", "fastapi", "starlette", "requests", "urllib3"}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join([*parts, base] if base else parts)
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def _collect(
    node: ast.AST, at_top: bool, module: str, is_package: bool, top: set[str], every: set[str]
) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            names = _targets(child, module, is_package)
            every.update(names)
            if at_top:
                top.update(names)
            continue
        deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) or (
            isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
        )
        _collect(child, at_top and not deferred, module, is_package, top, every)


@cache
def imports() -> dict[str, tuple[set[str], set[str]]]:
    """module → (module-level imports, every import)."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module, top, every = _module(path), set[str](), set[str]()
        _collect(
            ast.parse(path.read_text(encoding="utf-8")), True, module, path.name == "__init__.py", top, every
        )
        found[module] = (top, every)
    return found


def _violations(prefix: str, allowed: tuple[str, ...] = (), forbidden: tuple[str, ...] = ()) -> list[str]:
    out = []
    for module, (_, every) in imports().items():
        if not (module == prefix or module.startswith(prefix + ".")):
            continue
        for target in every:
            if forbidden and target.startswith(forbidden):
                out.append(f"{module} imports {target}")
            if allowed and target.startswith("empirio") and not target.startswith(allowed):
                out.append(f"{module} imports {target}")
    return sorted(out)


def test_domain_is_pure_and_imports_nothing_above_it() -> None:
    assert _violations("empirio.domain", allowed=("empirio.domain", "empirio.errors")) == []
    roots = {
        t.split(".")[0]
        for m, (_, every) in imports().items()
        if m.startswith("empirio.domain")
        for t in every
    }
    import sys

    third_party = {
        r for r in roots if r not in sys.stdlib_module_names and r not in {"empirio", "__future__"}
    }
    assert third_party <= PURE_THIRD_PARTY, third_party


def test_formats_import_no_provider_store_or_web_and_providers_no_format() -> None:
    assert (
        _violations("empirio.formats", forbidden=("empirio.providers", "empirio.store", "empirio.web")) == []
    )
    assert (
        _violations("empirio.providers", forbidden=("empirio.formats", "empirio.store", "empirio.web")) == []
    )


def test_only_the_adapters_import_aws_or_http_libraries() -> None:
    for module, (_, every) in imports().items():
        roots = {t.split(".")[0] for t in every}
        if roots & {"boto3", "botocore"}:
            assert module.startswith(AWS_IMPORTERS), module
        if module.startswith(("empirio.domain", "empirio.formats")):
            assert not roots & HTTP_LIBRARIES, module


def test_no_module_level_import_cycle() -> None:
    graph = {m: {t for t in top if t in imports() and t != m} for m, (top, _) in imports().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            connect(module)
    assert cycles == []
