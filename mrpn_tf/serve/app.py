"""The web app: a small static page over an HTTP and WebSocket API (Starlette, served by uvicorn).

  GET  /                               the page (static/): upload and live views
  GET  /api/model                      the model (labels, heads, window, hop) and the limits
  POST /api/predict?name=clip.mp4      body: the file's bytes -> predict --json's object
  POST /api/analyze?name=clip.mp4      the same, for the page: {"result": predict's object,
                                       "kind", "duration_s", "faces", "downloads"}
  GET  /api/results/{token}/{file}     result.json, annotated.mp4 or annotated.png of an analyze
  WS   /api/live                       the live stream (live_protocol.py)

A file that gets no prediction is answered with predict's error object, {"path", "error"},
and a status: 400 empty, 413 too large or too long, 415 not a media file, 422 what predict
cannot score, 503 busy. Uploads are scored by a pool of `upload_workers` threads with at most
`max_waiting_uploads` more waiting; live streams are at most `max_live_clients`. Requests and
streams whose `Origin` is another site are refused: a page elsewhere cannot use this server
through its visitor's browser.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import threading
from typing import Optional

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from mrpn_tf import files
from mrpn_tf.serve import file_types
from mrpn_tf.serve import limits as limits_lib
from mrpn_tf.serve import live_client
from mrpn_tf.serve import live_protocol
from mrpn_tf.serve import results
from mrpn_tf.serve import shared_model
from mrpn_tf.serve import upload

STATIC = os.path.join(os.path.dirname(__file__), "static")
# The page loads nothing from elsewhere; the browser is told so.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                               "connect-src 'self'; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_MEDIA_TYPES = {".json": "application/json", ".mp4": "video/mp4", ".png": "image/png"}
# Seconds a live client has to send its start message, and the session to end after stop.
_START_TIMEOUT_S = 10.0
_END_TIMEOUT_S = 30.0


class ServeState:
    """What the requests share: the model, the limits, the temp folder and the work bounds."""

    def __init__(self, model: shared_model.SharedModel, limits: limits_lib.ServeLimits):
        self.model = model
        self.limits = limits
        self.store = results.ResultStore(limits.result_ttl_s, limits.max_results)
        self.executor = concurrent.futures.ThreadPoolExecutor(limits.upload_workers, "mrpn-upload")
        self.uploads = 0  # scored or waiting; changed on the event loop's thread only
        self.live = 0
        self.live_lock = threading.Lock()


def _same_origin(connection: HTTPConnection) -> bool:
    """No Origin (a client that is not a browser), or this server's own."""
    origin = connection.headers.get("origin")
    if not origin:
        return True
    host = connection.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


async def index(request: Request) -> FileResponse:
    return FileResponse(os.path.join(STATIC, "index.html"), headers=PAGE_HEADERS)


async def model_info(request: Request) -> JSONResponse:
    state: ServeState = request.app.state.serve
    limits = state.limits
    return JSONResponse({**state.model.info(), "max_upload_bytes": limits.max_upload_bytes,
                         "max_duration_s": limits.max_duration_s, "max_live_clients": limits.max_live_clients})


async def _receive(request: Request, folder: str, name: str, max_bytes: int) -> str:
    """Writes the request's body to the result folder, refused past `max_bytes`; its path."""
    too_large = upload.UploadError(413, name, f"larger than {max_bytes / 2**20:g} MB, this server's limit")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    path = os.path.join(folder, "upload")
    size = 0
    with open(path, "wb") as f:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            f.write(chunk)
    if size == 0:
        raise upload.UploadError(400, name, "empty file (0 bytes)")
    return path


def _score(state: ServeState, raw: str, name: str, token: str, folder: str, detailed: bool) -> dict:
    """An upload's answer (app docstring); the upload is removed whatever happens."""
    path = raw
    try:
        path, found = upload.identify(raw, name)
        kind, seconds = upload.IMAGE, None
        if found.kind == file_types.MEDIA:
            kind, seconds = upload.measure(path, name, state.limits.max_duration_s)
        prediction, clip = upload.predict(state.model, path, name)
        result = prediction.as_json()
        if not detailed:
            return result
        analysis = upload.analyze(state.model, path, kind, seconds, prediction, clip, folder)
    finally:
        if os.path.exists(path):
            os.remove(path)
    files.write_json(os.path.join(folder, "result.json"), result)
    link = f"/api/results/{token}/"
    return {
        "result": result, "kind": analysis.kind, "duration_s": analysis.duration_s,
        "faces": analysis.faces.as_json() if analysis.faces is not None else None,
        "downloads": {"json": link + "result.json",
                      "annotated": link + analysis.annotated if analysis.annotated else None},
    }


async def _upload(request: Request, detailed: bool) -> JSONResponse:
    state: ServeState = request.app.state.serve
    name = upload.client_name(request.query_params.get("name"))
    if not _same_origin(request):
        return JSONResponse(upload.UploadError(403, name, "a request from another site").as_json(), 403)
    if state.uploads >= state.limits.upload_workers + state.limits.max_waiting_uploads:
        busy = upload.UploadError(503, name, "the server is busy with other files; try again shortly")
        return JSONResponse(busy.as_json(), 503)
    state.uploads += 1
    token, folder = state.store.new()
    keep = False
    try:
        raw = await _receive(request, folder, name, state.limits.max_upload_bytes)
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(state.executor, _score, state, raw, name, token, folder, detailed)
        keep = detailed
        return JSONResponse(body)
    except upload.UploadError as e:
        return JSONResponse(e.as_json(), e.status)
    finally:
        state.uploads -= 1
        if not keep:
            state.store.discard(token)


async def predict(request: Request) -> JSONResponse:
    return await _upload(request, detailed=False)


async def analyze(request: Request) -> JSONResponse:
    return await _upload(request, detailed=True)


async def download(request: Request):
    state: ServeState = request.app.state.serve
    name = request.path_params["name"]
    path = state.store.path(request.path_params["token"], name)
    if path is None:
        return JSONResponse({"error": f"{name}: no such result (results expire after "
                                      f"{state.limits.result_ttl_s:g} s)"}, 404)
    return FileResponse(path, media_type=_MEDIA_TYPES[os.path.splitext(name)[1]],
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


async def _start(websocket: WebSocket) -> live_protocol.Start:
    message = await asyncio.wait_for(websocket.receive(), _START_TIMEOUT_S)
    if message.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect()
    try:
        return live_protocol.parse_start(json.loads(message.get("text") or "null"))
    except json.JSONDecodeError as e:
        raise live_protocol.ProtocolError(f"the start message is not JSON ({e})") from e


async def _pump(websocket: WebSocket, client: live_client.LiveClient) -> None:
    """The client's messages into its inbox, until it stops or leaves."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            client.push(live_protocol.parse(message["bytes"]))
        elif json.loads(message.get("text") or "{}").get("type") == "stop":
            return


async def _send_all(websocket: WebSocket, outbox: asyncio.Queue) -> None:
    while (message := await outbox.get()) is not None:
        await websocket.send_json(message)


async def live(websocket: WebSocket) -> None:
    state: ServeState = websocket.app.state.serve
    await websocket.accept()
    if not _same_origin(websocket):
        await _refuse(websocket, "a stream from another site")
        return
    with state.live_lock:
        full = state.live >= state.limits.max_live_clients
        state.live += 0 if full else 1
    if full:
        await _refuse(websocket, f"{state.limits.max_live_clients} live streams already, this server's "
                                 f"limit; try again later")
        return
    try:
        await _serve_live(websocket, state)
    finally:
        with state.live_lock:
            state.live -= 1


async def _serve_live(websocket: WebSocket, state: ServeState) -> None:
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue = asyncio.Queue()
    try:
        start = await _start(websocket)
        client = live_client.LiveClient(state.model, start, lambda m: loop.call_soon_threadsafe(outbox.put_nowait, m),
                                        state.limits.max_lag_s)
    except (live_protocol.ProtocolError, asyncio.TimeoutError) as e:
        await _refuse(websocket, str(e) or "no start message")
        return
    except WebSocketDisconnect:
        return
    await websocket.send_json({"type": "ready", **state.model.info()})
    threading.Thread(target=client.run, name="mrpn-live", daemon=True).start()
    sender = asyncio.create_task(_send_all(websocket, outbox))
    pump = asyncio.create_task(_pump(websocket, client))
    # The client stops (or breaks the protocol, or leaves), or the session ends on an error.
    await asyncio.wait({sender, pump}, return_when=asyncio.FIRST_COMPLETED)
    if pump.done() and isinstance(pump.exception(), live_protocol.ProtocolError):
        outbox.put_nowait({"type": "error", "error": str(pump.exception())})
    pump.cancel()
    client.stop()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(sender, _END_TIMEOUT_S)  # the report, after what was waiting
    with contextlib.suppress(Exception):
        await websocket.close()


async def _refuse(websocket: WebSocket, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_json({"type": "error", "error": reason})
        await websocket.close(code=1008)


def create_app(model: shared_model.SharedModel, limits: Optional[limits_lib.ServeLimits] = None) -> Starlette:
    """The app over a loaded model (module docstring); its temp folder goes when it shuts down."""
    state = ServeState(model, limits or limits_lib.ServeLimits())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        try:
            yield
        finally:
            state.executor.shutdown(wait=False, cancel_futures=True)
            state.store.close()

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/api/model", model_info),
            Route("/api/predict", predict, methods=["POST"]),
            Route("/api/analyze", analyze, methods=["POST"]),
            Route("/api/results/{token}/{name}", download),
            WebSocketRoute("/api/live", live),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.serve = state
    return app
