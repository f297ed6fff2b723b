"""This computer's memory and free disk, as the recommendation reads them."""

from __future__ import annotations

import os
import shutil

from app.core.models import system


def test_memory_is_the_physical_memory_of_this_machine() -> None:
    expected = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert system.memory_bytes() == expected > 0


def test_unknown_memory_is_none(monkeypatch) -> None:
    def refuse(name: str) -> int:
        raise ValueError(f"unsupported {name}")

    monkeypatch.setattr(system.os, "sysconf", refuse)
    assert system.memory_bytes() is None


def test_free_disk_of_a_folder_not_made_yet_is_that_of_its_parent(tmp_path) -> None:
    missing = tmp_path / "data" / "models"
    free = system.free_disk_bytes(missing)
    assert free is not None and free > 0
    assert abs(free - shutil.disk_usage(tmp_path).free) < 64 * 1024 * 1024
    assert not missing.exists()                       # asking creates nothing
