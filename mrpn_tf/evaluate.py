"""`python -m mrpn_tf.evaluate --run DIR`: accuracy, per-class precision / recall, figures.

Writes evaluation.json, confusion_matrix.png and tsne.png (deep features per modality and
fused, paper Fig. 5) into the run folder, from its model.keras and its fold's held-out actors.
"""

from __future__ import annotations

import argparse
import os
import sys



def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a finished run folder (holds model.keras)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mrpn_tf.training import evaluation_report, run_dir  # TensorFlow after the arguments

    folder = run_dir.RunDir(args.run)
    missing = [p for p in (folder.config_path, folder.model_path) if not os.path.isfile(p)]
    if missing:
        print(f"error: {args.run} is not a finished run folder: {', '.join(missing)} missing",
              file=sys.stderr)
        return 1
    try:
        report = evaluation_report.evaluate_run(folder)
    except ValueError as e:  # e.g. a run on every actor (data.fold=all) has nothing held out
        print(f"error: {args.run}: {e}", file=sys.stderr)
        return 1
    print(evaluation_report.format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
