"""Giving memory the analysis has freed back to the system (glibc's heap; elsewhere nothing)."""

from __future__ import annotations

import ctypes
import platform
from typing import Any


def release_freed() -> None:
    """Give the memory freed so far back to the system (glibc only; else nothing).

    Inside ``analysis.retained_memory`` the heap keeps what each step freed (gigabytes on a
    big night); a later step that needs less than that then peaks lower without it.
    """
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)


def glibc() -> Any:
    """The C library when it is glibc on Linux (``mallopt``, ``malloc_trim``), else None."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None
