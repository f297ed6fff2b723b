"""This computer's memory and free disk, for the "recommended for this computer"
pick and the download's disk check.

The standard library suffices: ``os.sysconf`` on Linux and macOS,
``GlobalMemoryStatusEx`` through ctypes on Windows, ``shutil.disk_usage``
everywhere. ``None`` means "could not tell" (callers then do not filter on it).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def memory_bytes() -> int | None:
    """Total physical memory in bytes, or None when the system does not say."""
    if sys.platform == "win32":
        return _windows_memory()
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError) as exc:
        log.info("total memory unknown: %s", exc)
        return None
    if pages <= 0 or page_size <= 0:
        return None
    return pages * page_size


def _windows_memory() -> int | None:
    import ctypes
    from ctypes import wintypes

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [("dwLength", wintypes.DWORD), ("dwMemoryLoad", wintypes.DWORD),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong),
                    ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong),
                    ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
        log.info("total memory unknown: GlobalMemoryStatusEx failed")
        return None
    return int(status.ullTotalPhys)


def free_disk_bytes(path: Path | str) -> int | None:
    """Free bytes on the file system that holds ``path`` (its nearest existing
    folder: the models folder may not exist yet), or None when unreadable."""
    folder = Path(path).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError as exc:
        log.info("free disk unknown for %s: %s", folder, exc)
        return None
