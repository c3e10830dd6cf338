"""`python -m mrpn_tf.export --run RUN_DIR [--name NAME] [--version N] [--out DIR]`.

Prunes the run's model to the central branch and writes the SavedModel and the TFLite files
(mrpn_tf/export/run_export.py); prints each file written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from mrpn_tf.export import run_export


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.export", description=__doc__.split("\n")[2])
    parser.add_argument("--run", required=True, help="training run folder (config.yaml, labels.json, model.keras)")
    parser.add_argument("--name", default=None, help="model name (default: export.name of the run)")
    parser.add_argument("--version", type=int, default=None, help="version (default: the next free one)")
    parser.add_argument("--out", default=None, help="export root (default: export.out_dir of the run)")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the export; returns the exit status (1 with a message on a known failure)."""
    args = parse_args(argv)
    try:
        paths = run_export.export_run(args.run, args.name, args.version, args.out)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    for what, path in paths.items():
        print(f"{what:18s} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
