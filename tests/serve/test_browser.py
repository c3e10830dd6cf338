"""The page in a real browser, as a person uses it: headless Chromium from the system's
packages, driven by Playwright, against the server on a free port.

- Upload a real CREMA-D clip and a photo: the timeline appears, and its numbers are predict's.
- Bad uploads (a truncated clip, an oversized one, a text file named .mp4) get a message.
- Live: Chromium's fake camera and microphone play the clip (in a loop); answers arrive, and
  their labels are those `stream` gives on the same clip looped.

Screenshots of both views are saved (PNG) to $MRPN_SCREENSHOTS, or to the test's temp folder.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter

import numpy as np
import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (requirements-serve.txt)")

from mrpn_tf.data.media import decode  # noqa: E402
from mrpn_tf.data.media.encode import write_media  # noqa: E402
from mrpn_tf.serve import app as app_lib  # noqa: E402
from mrpn_tf.serve import limits as limits_lib  # noqa: E402
from tests.serve import serve_media  # noqa: E402
from tests.serve.conftest import running_server  # noqa: E402
from tests.serve.test_live import stream_answers  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What Chromium needs here: no sandbox as root, no GPU, and none of its own connections out
# (there is no internet; left on, they stall it), a fresh profile per run; and its fake
# devices fed from files, permission granted without a prompt.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"]
UPLOAD_LIMIT = 2**20

if not os.path.isfile(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(serve_model):
    """The server, its upload limit 1 MB (an oversized file is then cheap to make)."""
    app = app_lib.create_app(serve_model, limits_lib.ServeLimits(max_upload_bytes=UPLOAD_LIMIT))
    with running_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def devices(uploads, tmp_path_factory) -> tuple[str, str]:
    return serve_media.write_fake_devices(uploads["clip"], str(tmp_path_factory.mktemp("devices")))


@pytest.fixture(scope="module")
def page(devices, tmp_path_factory):
    camera, microphone = devices
    args = CHROMIUM_ARGS + [f"--use-file-for-fake-video-capture={camera}",
                            f"--use-file-for-fake-audio-capture={microphone}"]
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")), executable_path=CHROMIUM, headless=True,
            args=args, viewport={"width": 1200, "height": 900})
        tab = context.new_page()
        errors = []
        tab.on("pageerror", lambda error: errors.append(error))
        yield tab
        context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> str:
    folder = os.environ.get("MRPN_SCREENSHOTS") or str(tmp_path_factory.mktemp("screenshots"))
    os.makedirs(folder, exist_ok=True)
    return folder


def _open(page, url: str, view: str = "upload") -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.click(f"#tab-{view}")


def _upload(page, path: str) -> None:
    page.set_input_files("#file", path)
    page.wait_for_function("() => !document.getElementById('upload-status').textContent.startsWith('Scoring')",
                           timeout=120_000)


def test_an_upload_shows_predicts_numbers_on_its_timeline(page, site, uploads, predicted, screenshots):
    _open(page, site)
    for key in ("photo", "clip"):  # the clip last: its view is the screenshot
        _upload(page, uploads[key])
        answer = predicted[key]
        points = page.eval_on_selector_all(
            "#upload-timeline circle", "dots => dots.map(d => [Number(d.dataset.window), d.dataset.class, d.dataset.p])")
        assert len(points) == len(answer["windows"]) * len(answer["probabilities"]) > 0
        for window, label, p in points:  # the very numbers predict prints (JSON's shortest form)
            assert float(p) == answer["windows"][window]["probabilities"][label]
        bars = page.eval_on_selector_all("#upload-bars .bar", "bars => bars.map(b => [b.dataset.class, b.dataset.p])")
        assert {label: float(p) for label, p in bars} == answer["probabilities"]
        top = answer["probabilities"][answer["label"]]
        assert page.inner_text("#upload-label") == f"{answer['label']} {top:.2f}"
        assert page.inner_text("#upload-branch") == f"answered by the {answer['branch']}"
        assert page.is_hidden("#upload-error")
    # The annotated clip plays beside the timeline, and the cursor follows it.
    page.wait_for_function("() => document.getElementById('upload-video').readyState >= 2", timeout=30_000)
    page.evaluate("() => { document.getElementById('upload-video').currentTime = 1.0; }")
    page.wait_for_function("() => document.getElementById('upload-now').textContent.startsWith('at 1.0 s')")
    assert page.get_attribute("#upload-timeline .cursor", "visibility") == "visible"
    page.screenshot(path=os.path.join(screenshots, "upload_view.png"), full_page=True)


def test_bad_uploads_get_a_message(page, site, uploads, predicted, tmp_path):
    oversized = serve_media.write_oversized(uploads["clip"], str(tmp_path), UPLOAD_LIMIT + 4096)
    _open(page, site)
    for path, message in (
        (uploads["truncated"], predicted["truncated"]["error"].replace(uploads["truncated"], "truncated.flv")),
        (oversized, "oversized.flv: larger than 1 MB, this server's limit"),
        (uploads["text"], "notes.mp4: not a video, audio or image file (its content is no format this "
                          "server decodes, whatever its name says)"),
    ):
        _upload(page, path)
        assert page.is_visible("#upload-error") and page.inner_text("#upload-error") == message
        assert page.is_hidden("#upload-result")


def test_live_answers_arrive_with_streams_labels(page, site, uploads, serve_model, screenshots, tmp_path):
    # What the fake devices play, the clip looped, through `stream`: the labels to expect.
    source = decode.decode_clip(uploads["clip"], 30000 / 1001, 44100, 640)
    seconds = len(source.frames) / (30000 / 1001)
    audio = np.resize(source.pcm16, int(round(seconds * 44100))).astype(np.float32) / 32768.0
    looped = write_media(str(tmp_path / "looped.mp4"), np.concatenate([source.frames] * 4), 30000 / 1001,
                         np.tile(audio, 4), 44100)
    expected = Counter(hop.label for hop in stream_answers(serve_model, looped))
    _open(page, site, "live")
    page.click("#live-start")
    page.wait_for_function("() => document.querySelectorAll('#live-answers li').length >= 4", timeout=60_000)
    page.screenshot(path=os.path.join(screenshots, "live_view.png"), full_page=True)
    page.click("#live-stop")
    page.wait_for_function("() => document.getElementById('live-status').textContent.startsWith('Stopped')",
                           timeout=30_000)
    answers = page.eval_on_selector_all(
        "#live-answers li", "items => items.map(i => [Number(i.dataset.t), i.dataset.label, Number(i.dataset.latency)])")
    labels = Counter(label for _, label, _ in answers)
    assert set(labels) <= set(expected) and labels.most_common(1)[0][0] == expected.most_common(1)[0][0]
    times = sorted(t for t, _, _ in answers)
    # The window, then every hop; at the stop, a last window ends where the stream did (the tail).
    assert times[0] == pytest.approx(2.0) and np.allclose(np.diff(times[:-1]), 0.5)
    assert 0 < times[-1] - times[-2] <= 0.5 + 1e-6
    assert all(latency > 0 for _, _, latency in answers)
    assert page.inner_text("#live-label").split()[0] in expected
    assert page.is_hidden("#live-error")
