"""`python -m mrpn_tf.stream SOURCE --model PATH [--json] [--annotate OUT.mp4]`: live emotion.

SOURCE is a video file or URL, read as fast as it decodes or, with `--realtime`, at its recorded
pace; or, instead of SOURCE, a camera and / or a microphone opened by PyAV / FFmpeg:
`--camera v4l2:/dev/video0 --mic alsa:default` (Linux; `avfoundation:0` on macOS, `dshow:...`
on Windows).
The face is tracked frame by frame with `prepare`'s detector and crop, a window of the model's
length (its `export.window_s`) is scored every hop (`export.window_hop_s`, or `--hop`), and at
the stream's end its unscored tail, by a last window ending there (a stream shorter than one
window: by its one window, padded). One line per hop is printed: the window's end `t`, the
label, the class probabilities, whether a face was seen, the branch that answered and the
latency; `--json` prints each as a JSON object. Without a face in a window, N1 / N2 models
answer with their audio side head and say so; an N0 model cannot answer that window and says
why. At the end, the per-hop latency distribution and whether the run kept up with real time (on
stderr with `--json`). `--annotate OUT.mp4` writes the input video with the current emotion
drawn over it, its audio kept. `--duration`, Ctrl-C or SIGTERM (`docker stop`, systemd) ends
the stream where it is, as its end does: the tail scored, the annotated file finished, the
report printed, and the run's own exit status.

`--annotate` is checked before the model loads or the source opens: a folder that does not
exist or takes no new file, or an extension that is not .mp4, .mov, .mkv or .webm (the
containers this PyAV build can fill), is one `error:` line naming the file, and exit status 2.

Exit status (`EXIT_STATUS`): 0; 1 when some hop could not be scored; 2 when the model, the
source, a device or the --annotate file cannot be opened, or the source fails while being read,
or the annotated file while being written (a full disk: its partial file is removed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from mrpn_tf.data.media import model_store
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.stream import annotator as annotator_lib
from mrpn_tf.stream import scorer as scorer_lib
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib


# Exit statuses, as mrpn_tf/cli.py numbers them (a layer may not import that entry point).
EXIT_OK = 0
EXIT_UNSCORED = 1  # the run ended, but some hop could not be scored
EXIT_ERROR = 2  # bad input: the model, the source, a device or the output
EXIT_STATUS = f"""exit status:
  {EXIT_OK}  the stream was scored to its end, or stopped by --duration, Ctrl-C or SIGTERM
  {EXIT_UNSCORED}  some hop could not be scored (an N0 model and a window without a face)
  {EXIT_ERROR}  the model, the source, a device or the --annotate file cannot be opened, or
     the source fails while being read, or the annotated file while being written (its
     partial file is removed); one `error:` line names it"""


def _options(pairs: Sequence[str], flag: str) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: {flag} {pair!r}: expected KEY=VALUE")
        options[key] = value
    return options


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.stream", description=__doc__.split("\n")[0],
                                     epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", metavar="SOURCE", help="video file or URL")
    parser.add_argument("--camera", metavar="FORMAT:DEVICE", help="e.g. v4l2:/dev/video0")
    parser.add_argument("--mic", metavar="FORMAT:DEVICE", help="e.g. pulse:default or alsa:default")
    parser.add_argument("--camera-option", action="append", default=[], metavar="KEY=VALUE",
                        help="FFmpeg input option of the camera (video_size=640x480, framerate=30)")
    parser.add_argument("--mic-option", action="append", default=[], metavar="KEY=VALUE",
                        help="FFmpeg input option of the microphone")
    parser.add_argument("--model", required=True, help="SavedModel folder or .tflite file")
    parser.add_argument("--realtime", action="store_true", help="read SOURCE at its recorded pace")
    parser.add_argument("--hop", type=float, default=None, help="seconds between answers (default: the export's)")
    parser.add_argument("--json", action="store_true", help="one JSON object per hop")
    parser.add_argument("--annotate", metavar="OUT.mp4",
                        help="write the video with the emotion drawn over it (.mp4, .mov, .mkv or .webm)")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds of stream")
    parser.add_argument("--face-model", default="", help="BlazeFace .tflite (default: as prepare finds it)")
    parser.add_argument("--threads", type=int, default=None, help="TFLite interpreter threads")
    args = parser.parse_args(argv)
    if bool(args.source) == bool(args.camera or args.mic):
        parser.error("give either SOURCE or --camera / --mic")
    return args


def format_text(result: scorer_lib.HopResult) -> str:
    """One hop as a line of text."""
    where = f"{result.start:7.2f}-{result.t:.2f} s"
    if result.label is None:
        return f"{where}  no answer: {result.error}"
    face = "face" if result.face else "no face"
    scores = " ".join(f"{p:.2f}" for p in result.probabilities.values())
    branch = f"{result.branch} ({result.note.split(':')[0]})" if result.fallback else result.branch
    return (f"{where}  {result.label:10s} {result.probabilities[result.label]:.2f}  [{scores}]  "
            f"{face}, {branch}, {result.latency_ms:.0f} ms")


def open_source(args: argparse.Namespace):
    """The FileSource or DeviceSource the arguments name."""
    if args.source:
        return source_lib.FileSource(args.source, realtime=args.realtime)
    return source_lib.DeviceSource(
        args.camera, args.mic, realtime=args.realtime,
        camera_options=_options(args.camera_option, "--camera-option"),
        mic_options=_options(args.mic_option, "--mic-option"),
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the stream; returns the exit status (module docstring)."""
    args = parse_args(argv)
    if args.annotate:  # before any work: a run whose output cannot be written is wasted
        try:
            annotator_lib.check_target(args.annotate, args.source)
        except annotator_lib.AnnotateError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_ERROR
    source = None
    try:
        # A local file is checked before the model loads; devices and live URLs are opened after
        # the model is loaded and traced, or they would fill their buffers (and drop) meanwhile.
        if args.source and "://" not in args.source:
            source = open_source(args)
        predictor = predictor_lib.Predictor.load(args.model, args.face_model, args.threads)
        spec = session_lib.stream_spec(predictor, args.hop)
        scorer_lib.warm_up(predictor, spec)
        source = source or open_source(args)
    except (FileNotFoundError, ValueError, source_lib.SourceError) as e:
        if source is not None:
            source.close()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR

    def on_hop(result: scorer_lib.HopResult) -> None:
        print(json.dumps(result.as_json()) if args.json else format_text(result), flush=True)

    try:
        session = session_lib.StreamSession(
            predictor, source, spec, on_hop, args.annotate, args.duration, warm_up=False
        )
        report = session.run()
    except (source_lib.SourceError, model_store.ModelUnavailableError, annotator_lib.AnnotateError) as e:
        source.close()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(report.format_text(), file=sys.stderr if args.json else sys.stdout, flush=True)
    return EXIT_UNSCORED if report.unscored else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
