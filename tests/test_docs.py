"""Issue 18.7: the documents the README points to are in the repository, and stay the shared originals' copies."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("DESIGN.md", "STYLE.md", "regulation-2286.txt")
SHARED = [ROOT.parent / "shared" / "docs", Path("/work/shared/docs")]


def test_the_readme_points_only_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme
    for name in DOCS:
        assert f"docs/{name}" in readme
        assert (ROOT / "docs" / name).is_file()


@pytest.mark.parametrize("name", DOCS)
def test_copies_match_the_shared_originals(name):
    shared = next((folder / name for folder in SHARED if (folder / name).is_file()), None)
    if shared is None:
        pytest.skip("no shared documents beside this clone")
    assert (ROOT / "docs" / name).read_bytes() == shared.read_bytes(), (
        f"docs/{name} differs from {shared}: copy the shared original into docs/"
    )
