"""mrpn_tf: Multi-modal Residual Perceptron Network (Chang & Skarbek, Sensors 2021) in TF/Keras."""

import sys as _sys

from mrpn_tf import native_logs as _native_logs
from mrpn_tf import runtime as _runtime

__version__ = "0.1.0"

# Every entry point (python -m mrpn_tf.<verb>, the benchmarks, the tests) imports this package
# first: the allocator settings apply to the whole process (runtime.py).
_runtime.tune_malloc()
# `python -m mrpn_tf.<verb>` imports this package while sys.argv[0] is still "-m", before the
# entry point's module and TensorFlow: the console then shows our lines and real warnings, not
# the C++ start-up chatter (native_logs.py). The mrpn-* commands do the same in cli.py.
if _sys.argv[:1] == ["-m"]:
    _native_logs.quiet()
