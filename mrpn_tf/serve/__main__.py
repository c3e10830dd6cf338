"""`python -m mrpn_tf.serve --model PATH [--host 127.0.0.1] [--port 8000]`: the local web app.

PATH is what predict takes: an exported SavedModel folder (a shipped model in `released/`, a
run's export in `savedmodels/<name>/<version>`) or one of its .tflite files. Open
http://127.0.0.1:8000 for the page: upload a video, a sound or a photo, or stream the
browser's camera and microphone. The API under the page is in docs/web.md.

The server listens on 127.0.0.1 only, unless `--host` says otherwise (0.0.0.0 opens it to the
network: it has no authentication). Exit status 2 when the model cannot be loaded.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Optional, Sequence

from mrpn_tf.serve import limits as limits_lib

_DEFAULTS = limits_lib.ServeLimits()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line arguments (module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m mrpn_tf.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="SavedModel folder or .tflite file")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--hop", type=float, default=None, help="seconds between live answers (default: the export's)")
    parser.add_argument("--face-model", default="", help="BlazeFace .tflite (default: as prepare finds it)")
    parser.add_argument("--threads", type=int, default=None, help="TFLite interpreter threads")
    parser.add_argument("--max-upload-mb", type=float, default=_DEFAULTS.max_upload_bytes / 2**20)
    parser.add_argument("--max-duration", type=float, default=_DEFAULTS.max_duration_s,
                        help="longest clip accepted, in seconds")
    parser.add_argument("--max-live", type=int, default=_DEFAULTS.max_live_clients, help="live streams at once")
    parser.add_argument("--upload-workers", type=int, default=_DEFAULTS.upload_workers, help="files scored at once")
    return parser.parse_args(argv)


def limits_of(args: argparse.Namespace) -> limits_lib.ServeLimits:
    """The limits the arguments set."""
    return limits_lib.ServeLimits(
        max_upload_bytes=int(args.max_upload_mb * 2**20), max_duration_s=args.max_duration,
        upload_workers=args.upload_workers, max_live_clients=args.max_live,
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serves until interrupted; returns the exit status (module docstring)."""
    args = parse_args(argv)
    try:
        import uvicorn

        from mrpn_tf.data.media import model_store
        from mrpn_tf.serve import app as app_lib
        from mrpn_tf.serve import live_protocol
        from mrpn_tf.serve import shared_model
    except ImportError as e:
        print(f"error: the web app needs the serve extra ({e.name} is missing): pip install \".[serve]\"",
              file=sys.stderr)
        return 2
    try:
        limits = limits_of(args)
        model = shared_model.load(args.model, args.face_model, args.threads, args.hop)
    except (FileNotFoundError, ValueError, model_store.ModelUnavailableError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not _loopback(args.host):
        print(f"warning: listening on {args.host}: anyone who reaches it may use this model "
              f"(there is no authentication)", file=sys.stderr)
    config = uvicorn.Config(app_lib.create_app(model, limits), host=args.host, port=args.port,
                            ws="websockets-sansio", ws_max_size=live_protocol.MAX_MESSAGE_BYTES,
                            log_level="warning")

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:  # listening now: the line a user, or a script, waits for
                print(f"serving {args.model} on http://{args.host}:{args.port}", flush=True)

    Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
