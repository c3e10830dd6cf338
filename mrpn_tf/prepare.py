"""`python -m mrpn_tf.prepare`: decode, crop faces and resample audio once, write TFRecord shards.

    python -m mrpn_tf.prepare --dataset ravdess --root RAVDESS_DIR --out prepared/ravdess \
        [--workers 2] [--config pipelines/ravdess_mrpn.yaml] [section.key=value ...]

Exit status: 0 when at least one clip is prepared; 1 (`cli.EXIT_FAILED`) when none is, when
the dataset folder is unusable or the --out folder was prepared with other settings, and when
the disk is full ("error: OUT: no space left on device while writing shards/...; free space
and rerun: prepare resumes", nothing half-written is left); 2 (`cli.EXIT_CONFIG`) for a bad
run file or override; 130 after Ctrl-C and 143 after SIGTERM, which stop it alike ("stopped
by SIGTERM: OUT keeps the shards finished so far; rerun the same command to resume"): the
clips in flight finish, the shard being written is dropped (its temp file removed), and a
rerun resumes.
"""

from __future__ import annotations

import argparse
import sys

from mrpn_tf import cli
from mrpn_tf.config import loading


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, choices=["ravdess", "cremad", "demo"])
    parser.add_argument("--root", required=True, help="dataset folder as distributed")
    parser.add_argument("--out", required=True, help="prepared folder to write (resumable)")
    parser.add_argument("--workers", type=int, default=2, help="clips prepared in parallel")
    parser.add_argument("--config", help="run file in pipelines/ (crop size, fps, ...)")
    parser.add_argument("overrides", nargs="*", help="section.key=value overrides")
    return parser.parse_args(argv)


@cli.config_errors_exit
def main(argv=None) -> int:
    args = parse_args(argv)
    config = loading.load_config(args.config, args.overrides)
    with cli.sigterm_as_interrupt():
        try:
            return _prepare(args, config)
        except KeyboardInterrupt as e:
            how, status = cli.interrupt_exit(e)
            print(f"stopped by {how}: {args.out} keeps the shards finished so far; "
                  "rerun the same command to resume", file=sys.stderr)
            return status


def _prepare(args: argparse.Namespace, config) -> int:
    from mrpn_tf.data import prepare_job  # heavy imports (TF, MediaPipe) after argument checks

    changes = []
    try:
        index = prepare_job.run(config, args.dataset, args.root, args.out, args.workers, report=changes.append)
    except (ValueError, FileNotFoundError, RuntimeError) as e:  # DiskFullError is a RuntimeError
        print(f"error: {e}", file=sys.stderr)
        return cli.EXIT_FAILED
    written = sum(len(s["clips"]) for s in index["shards"])
    for line in changes:  # e.g. "actor 3: 2 clips added, 1 changed -> 1 shard rewritten"
        print(f"{args.out}: {line}")
    print(f"{args.out}: {written} clips in {len(index['shards'])} shards, {len(index['skipped'])} skipped")
    for skip in index["skipped"]:
        print(f"  skipped {skip['source_path']}: {skip['reason']}")
    return cli.EXIT_OK if written else cli.EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
