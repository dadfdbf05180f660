"""The README and docs/ stay true to the tree: every relative Markdown link names a file or folder that exists,
and every #anchor names a heading of the page it points to (GitHub's slugs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [REPO / "README.md", *(REPO / "docs").glob("**/*.md"), *(REPO / "bench" / "results").glob("*.md")]
)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[(?:[^\[\]`]|`[^`]*`)*\]\(([^()\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, …


def _text(page: Path) -> str:
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", plain))


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in HEADING.findall(_text(page))}


def _links(page: Path) -> list[str]:
    return [t for t in LINK.findall(_text(page)) if not EXTERNAL.match(t)]


def test_there_are_pages_and_links() -> None:
    assert (REPO / "README.md") in PAGES and len(PAGES) > 1
    assert any(_links(page) for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(
                f"{target}: no {resolved.relative_to(REPO) if REPO in resolved.parents else resolved}"
            )
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(REPO)}")
        elif REPO not in resolved.parents and resolved != REPO:
            broken.append(f"{target}: outside the repository")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_slugs_follow_github() -> None:
    assert _slug("Targets (#14)") == "targets-14"
    assert _slug("Gateway (`make bench`)") == "gateway-make-bench"
    assert _slug("Usage, rollups and reconciliation") == "usage-rollups-and-reconciliation"
    assert _slug("Local DynamoDB (moto)") == "local-dynamodb-moto"
