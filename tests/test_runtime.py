"""Process settings made at import (mrpn_tf/runtime.py): allocator and progress output."""

import ctypes
import io
import os
import platform
import sys

import pytest

from mrpn_tf import runtime

GLIBC = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"


@pytest.fixture
def fresh(monkeypatch):
    """tune_malloc as if not called yet in this process (restored afterwards)."""
    monkeypatch.setattr(runtime, "_applied", None)


def test_package_import_tuned_this_process():
    # The test run itself imported mrpn_tf without any MALLOC_* setting of its own (CI).
    user_choice = runtime._user_chose_malloc_settings(dict(os.environ))
    assert runtime._applied is (GLIBC and not user_choice)


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_settings_apply_on_glibc(fresh):
    assert runtime.tune_malloc(environ={}) is True
    # A second call reports the first one's answer; again=True applies them again.
    assert runtime.tune_malloc(environ={"MRPN_MALLOC_TUNING": "0"}) is True
    assert runtime.tune_malloc(environ={}, again=True) is True


@pytest.mark.parametrize("environ", [
    {"MRPN_MALLOC_TUNING": "0"},
    {"MALLOC_TRIM_THRESHOLD_": "131072"},
    {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"},
])
def test_the_users_choice_wins(fresh, environ, monkeypatch):
    calls = []
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: calls.append(a))
    assert runtime.tune_malloc(environ=environ) is False
    assert not calls  # mallopt was not even looked up
    assert runtime.tune_malloc(environ={}, again=True) is False


def test_one_line_per_epoch_without_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert runtime.progress_verbosity(io.StringIO()) == 2
    assert runtime.progress_verbosity(Terminal()) == 1
