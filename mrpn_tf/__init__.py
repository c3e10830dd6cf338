"""mrpn_tf: Multi-modal Residual Perceptron Network (Chang & Skarbek, Sensors 2021) in TF/Keras."""

from mrpn_tf import runtime as _runtime

__version__ = "0.1.0"

# Every entry point (python -m mrpn_tf.<verb>, the benchmarks, the tests) imports this package
# first: the allocator settings apply to the whole process (runtime.py).
_runtime.tune_malloc()
