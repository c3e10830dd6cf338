"""Reproducer: TF's oneDNN weight gradient of a strided 1x1 conv corrupts the heap on AVX-512.

    python benchmarks/onednn_repro.py [--tries 4] [--calls 200]

Exits 1 while the installed TensorFlow has the bug, 0 when every try runs clean; run it after
a TensorFlow upgrade to see whether `resnet18.Subsample2D` is still needed.

The failing kernel: oneDNN's `jit_1x1:avx512_core` convolution, backward_weights (TF's
`_MklNativeConv2DBackpropFilter`), for a 1x1 kernel with stride 2, SAME padding, an input
channel count that is not a multiple of 16 (the weights are blocked by 16 and padded) and a
small odd batch. Seen with TF 2.21.0 (oneDNN v3.7.3) on Intel Sapphire Rapids (avx512f,
avx512_vnni, avx512_bf16, avx512_fp16); the same calls run clean with
`TF_ENABLE_ONEDNN_OPTS=0`, with `ONEDNN_MAX_CPU_ISA=AVX2` (oneDNN's AVX2 kernel) and on
AVX2-only CPUs. The symptom varies from run to run: "corrupted size vs. prev_size",
"double free or corruption", "munmap_chunk(): invalid pointer", a segmentation fault, or
`AbortedError: ... could not create a primitive descriptor for the reorder primitive`, or,
worst, no error and a wrong gradient (this script compares each gradient with the same
gradient computed by a stride-1 conv on the subsampled input).
In the tiny config it is the ResNet-18 projection shortcut of stage 2 (8 -> 16 channels,
12x12 -> 6x6) whenever the masked gather hands the CNN an odd number of frames.

Each try runs the op `--calls` times in a fresh subprocess (a crash kills the process that
has it), with the shapes that failed: (batch 1, 12x12x8 -> 16), (1, 12x12x3 -> 8),
(3, 12x12x8 -> 16).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

# (batch, height, width, in channels, out channels)
CASES = ((1, 12, 12, 8, 16), (1, 12, 12, 3, 8), (3, 12, 12, 8, 16))


def run_case(case: tuple[int, ...], calls: int) -> None:
    """Calls Conv2DBackpropFilter `calls` times on one case (in this process)."""
    import numpy as np
    import tensorflow as tf

    n, h, w, cin, cout = case
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((n, h, w, cin), dtype=np.float32))
    dy = tf.constant(rng.random((n, -(-h // 2), -(-w // 2), cout), dtype=np.float32))
    for _ in range(calls):
        grad = tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=[1, 1, cin, cout], out_backprop=dy, strides=[1, 2, 2, 1],
            padding="SAME")
        # The reference: the same gradient from a stride-1 conv on the subsampled input.
        expected = tf.raw_ops.Conv2DBackpropFilter(
            input=x[:, ::2, ::2, :], filter_sizes=[1, 1, cin, cout], out_backprop=dy,
            strides=[1, 1, 1, 1], padding="SAME")
        if not np.allclose(grad.numpy(), expected.numpy(), rtol=1e-4, atol=1e-3):
            raise SystemExit("wrong gradient")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=4)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case here
    args = parser.parse_args()
    if args.case:
        run_case(tuple(int(v) for v in args.case.split(",")), args.calls)
        return 0

    import tensorflow as tf

    from mrpn_tf import runtime

    print(f"TensorFlow {tf.__version__}; CPU: {runtime.describe_cpu()}")
    failures = 0
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for case in CASES:
        for attempt in range(args.tries):
            result = subprocess.run(
                [sys.executable, __file__, "--case", ",".join(map(str, case)), "--calls", str(args.calls)],
                env=env, capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                failures += 1
                lines = [l for l in result.stderr.strip().splitlines() if not l.startswith(("I0000", "W0000"))]
                why = lines[-1][:160] if lines else ""
                if result.returncode < 0:
                    why = f"{signal.Signals(-result.returncode).name} {why}".strip()
                print(f"  case {case} try {attempt + 1}: exit {result.returncode}: {why}")
    total = len(CASES) * args.tries
    print(f"{failures} of {total} tries failed: "
          + ("the bug is present (keep resnet18.Subsample2D)" if failures else "no failure seen"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
