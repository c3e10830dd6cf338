"""Process settings every entry point gets by importing `mrpn_tf`: allocator and progress output.

Allocator. TensorFlow's CPU kernels allocate and free their large tensors (spectrogram
batches, conv activations: tens of MB) with glibc's malloc on every step. By default glibc
serves blocks above a sliding threshold with fresh `mmap` calls and returns freed memory to the
OS (`munmap`, heap trimming), so each step faults the same pages in again: on a 2-core machine
a third of the demo's CPU time was the kernel's (page faults), not TensorFlow's. `tune_malloc`
keeps freed memory in the process instead (`mallopt`: no mmap below 1 GiB, no trimming, 512 MiB
of top pad), the effect of glibc's `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` /
`MALLOC_TOP_PAD_` variables, set from inside the process so that no launcher has to export
them. The cost is resident memory that stays at the run's high-water mark (freed memory is
reused, not returned); the benchmarks in `benchmarks/train_step.py` measure the gain.

TensorFlow itself sets the trim threshold back to 128 KB whenever it creates a generator
dataset ("Memory patch applied: M_TRIM_THRESHOLD=128 kb was set"), which tf.distribute's
multi-device iterators do for every training and validation pass; the training task re-applies
the settings at the start of each pass (`tune_malloc(again=True)` from a callback).

It does nothing when the C library is not glibc, when the user has set any of glibc's malloc
variables or tunables (theirs win), or when `MRPN_MALLOC_TUNING=0`.

Progress. Keras's progress bar redraws one line with carriage returns and colour codes; in a
log file (CI, nohup, docker logs) that is mostly escape sequences. `progress_verbosity` gives
Keras's `verbose` value: the bar on a terminal, one line per epoch otherwise.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

OPT_OUT = "MRPN_MALLOC_TUNING"
# glibc's environment variables and tunables for the same settings: a user's choice wins.
GLIBC_MALLOC_VARIABLES = (
    "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX",
)
# mallopt parameters (malloc.h) and the values set.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
SETTINGS = (
    (M_MMAP_THRESHOLD, 1 << 30),  # blocks up to 1 GiB come from the heap, reused when freed
    (M_TRIM_THRESHOLD, (1 << 31) - 1),  # never give the heap's top back (mallopt takes an int)
    (M_TOP_PAD, 1 << 29),  # grow the heap 512 MiB at a time
)

_applied: bool | None = None


def _user_chose_malloc_settings(environ: dict[str, str]) -> bool:
    if environ.get(OPT_OUT, "").strip() in ("0", "false", "no", "off"):
        return True
    if any(name in environ for name in GLIBC_MALLOC_VARIABLES):
        return True
    return "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def tune_malloc(environ: dict[str, str] | None = None, again: bool = False) -> bool:
    """Applies `SETTINGS` to glibc's malloc (module docstring).

    Args:
      environ: the environment to read (os.environ by default).
      again: apply them again where they were applied before (after TensorFlow reset one);
        without it, a second call only returns the first one's answer.

    Returns:
      Whether this process runs with the settings (False: not glibc, or the user's own).
    """
    global _applied
    if _applied is not None and not (again and _applied):
        return _applied
    environ = os.environ if environ is None else environ
    _applied = False
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return _applied
    if _user_chose_malloc_settings(environ):
        return _applied
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return _applied
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = all(mallopt(param, value) == 1 for param, value in SETTINGS)
    return _applied


def progress_verbosity(stream=None) -> int:
    """Keras's `verbose` for fit / search: 1 (progress bar) on a terminal, else 2 (a line an epoch)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return 1 if isatty is not None and isatty() else 2


# The CPU features that change which TensorFlow / oneDNN / XNNPACK kernels run.
KERNEL_FLAGS = ("avx2", "fma", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8")


def describe_cpu(cpuinfo_path: str = "/proc/cpuinfo") -> str:
    """One line naming this CPU and the flags its kernels depend on, for benchmark output.

    Also says whether TensorFlow's oneDNN optimizations were switched by TF_ENABLE_ONEDNN_OPTS
    (unset: TensorFlow's default, on for x86 Linux builds).

    Returns:
      e.g. "Intel(R) Xeon(R) Processor, 2 cores: avx2 fma avx512f ... avx512_bf16; oneDNN default".
    """
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open(cpuinfo_path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    model = value.strip()
                elif key.strip() in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    present = " ".join(flag for flag in KERNEL_FLAGS if flag in flags) or "flags unknown"
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    onednn = "oneDNN default" if onednn is None else f"TF_ENABLE_ONEDNN_OPTS={onednn}"
    return f"{model}, {os.cpu_count()} cores: {present}; {onednn}"
