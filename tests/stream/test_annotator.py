"""`--annotate`: phone clips written upright, the output checked before any work, the containers
it writes, and a full disk while writing.

The tiny exported N2 and clips of a real CREMA-D face (conftest.py, stream_media.py).
"""

from __future__ import annotations

import errno
import os

import av
import numpy as np
import pytest

from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.stream import __main__ as stream_cli
from mrpn_tf.stream import annotator as annotator_lib
from mrpn_tf.stream import session as session_lib
from mrpn_tf.stream import source as source_lib
from tests.stream import stream_media


def _run(predictor, path, annotate):
    hops = []
    session = session_lib.StreamSession(
        predictor, source_lib.FileSource(path), session_lib.stream_spec(predictor, None), hops.append, annotate
    )
    session.run()
    return hops


def _frames(path: str) -> np.ndarray:
    with av.open(path) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


@pytest.fixture(scope="module")
def phone_clips(clips, tmp_path_factory) -> dict[int, str]:
    """The real face as a 144 x 192 portrait, stored upright (0) and turned 1, 2, 3 quarters."""
    frames, audio = stream_media.portrait(clips["flv"])
    folder = tmp_path_factory.mktemp("phone")
    return {q: stream_media.write_turned(str(folder / f"turned{q}.mp4"), frames, audio, q) for q in range(4)}


def test_a_phone_clip_stored_sideways_is_annotated_upright(predictor, phone_clips, clips, tmp_path):
    # The turned clips decode to the upright clip's pixels (lossless), so their annotated
    # copies must be the upright clip's, frame for frame, and their scores the same.
    upright_hops = _run(predictor, phone_clips[0], str(tmp_path / "upright.mp4"))
    upright = _frames(str(tmp_path / "upright.mp4"))
    source, _ = stream_media.portrait(clips["flv"])
    assert upright.shape == source.shape == (34, 192, 144, 3)  # height 192, width 144: portrait
    below_panel = (slice(None), slice(96, None), slice(72, None))
    assert np.abs(upright[below_panel].astype(int) - source[below_panel]).mean() < 8  # the picture, upright
    assert np.abs(upright[below_panel].astype(int) - source[:, ::-1, ::-1][below_panel]).mean() > 20
    assert [h.t for h in upright_hops] == pytest.approx([2.0, 2.25])  # a window, then the tail
    for quarters in (1, 2, 3):
        out = str(tmp_path / f"turned{quarters}.mp4")
        hops = _run(predictor, phone_clips[quarters], out)
        np.testing.assert_array_equal(_frames(out), upright)
        assert [(h.t, h.label, h.branch, h.face) for h in hops] == [(h.t, h.label, h.branch, h.face)
                                                                     for h in upright_hops]
        for hop, reference in zip(hops, upright_hops):
            np.testing.assert_allclose(list(hop.probabilities.values()), list(reference.probabilities.values()),
                                       atol=1e-6)
    assert upright_hops[0].face and upright_hops[0].branch == predictor_lib.CENTRAL


def _no_work(monkeypatch):
    """Loading a model or opening a source fails the test: the check must come first."""
    def fail(*args, **kwargs):
        raise AssertionError("the model was loaded or the source opened before --annotate was checked")

    monkeypatch.setattr(predictor_lib.Predictor, "load", classmethod(fail))
    monkeypatch.setattr(stream_cli, "open_source", fail)


def _targets(tmp_path, source):
    (tmp_path / "a_file").write_text("x")
    return {
        "missing folder": (str(tmp_path / "missing" / "out.mp4"), f"folder {tmp_path / 'missing'} does not exist"),
        "not a folder": (str(tmp_path / "a_file" / "out.mp4"), f"{tmp_path / 'a_file'} is not a folder"),
        # sysfs takes no new file, whoever asks (the tests may run as root, whom chmod does not stop)
        "unwritable folder": ("/sys/annotated.mp4", "cannot create a file in /sys ("),
        "unsupported container": (str(tmp_path / "out.avi"), "cannot write a .avi file; --annotate writes "
                                  + ", ".join(annotator_lib.writable_extensions())),
        "no extension": (str(tmp_path / "out"), "cannot write a file without an extension; --annotate writes"),
        "a folder": (str(tmp_path), "is a folder; --annotate takes a video file"),
        "the source": (source, "is the source itself; write the annotated video to another file"),
    }


@pytest.mark.parametrize("case", ["missing folder", "not a folder", "unwritable folder", "unsupported container",
                                  "no extension", "a folder", "the source"])
def test_an_annotate_target_that_cannot_be_written_is_refused_before_any_work(
        case, clips, tmp_path, capsys, monkeypatch):
    if case == "unwritable folder" and not os.path.isdir("/sys"):
        pytest.skip("no /sys (not Linux)")
    source = str(tmp_path / "clip.mp4")
    os.link(clips["one_window"], source)
    target, problem = _targets(tmp_path, source)[case]
    before = sorted(os.listdir(tmp_path))
    _no_work(monkeypatch)
    status = stream_cli.main([source, "--model", "never/loaded", "--annotate", target])
    out, err = capsys.readouterr()
    assert status == stream_cli.EXIT_ERROR == 2
    assert out == "" and err.count("\n") == 1 and err.startswith(f"error: {target}: "), err
    assert problem in err
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, the probe removed


@pytest.mark.parametrize("extension", sorted(annotator_lib.FORMATS))
def test_each_container_is_written_and_plays(extension, clips, tmp_path):
    """.mp4 / .mov / .mkv: H.264 + AAC; .webm: VP8 + Opus (where this PyAV build has them)."""
    path = str(tmp_path / f"annotated{extension}")
    if extension not in annotator_lib.writable_extensions():
        with pytest.raises(annotator_lib.AnnotateError, match="this PyAV build has no .* encoder"):
            annotator_lib.check_target(path)
        return
    source = source_lib.FileSource(clips["short"])
    annotator = annotator_lib.Annotator(path, ["a", "b"], source.video, source.audio, 2.0)
    for item in source.frames():
        annotator.add(item)
    annotator.close()
    source.close()
    with av.open(clips["short"]) as a, av.open(path) as b:
        frames_in = sum(1 for _ in a.decode(video=0))
        assert sum(1 for _ in b.decode(video=0)) == frames_in
        assert b.streams.audio and b.duration / 1e6 == pytest.approx(stream_media.SHORT_S, abs=0.25)
    assert os.listdir(tmp_path) == [os.path.basename(path)]


class _FullDisk:
    """An output container whose disk fills after a few packets: mux raises ENOSPC."""

    def __init__(self, container, packets: int):
        self._container, self._left = container, packets

    def mux(self, packets):
        self._left -= 1
        if self._left < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._container.mux(packets)

    def __getattr__(self, name):
        return getattr(self._container, name)


@pytest.mark.parametrize("disk", ["full while muxing", "/dev/full"])
def test_a_full_disk_while_annotating_is_one_error_line_and_no_file(disk, exported, clips, face_model_path, tmp_path,
                                                                     capsys, monkeypatch):
    out = str(tmp_path / "annotated.mp4")
    if disk == "/dev/full":
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full")
        # The file is written under its temp name: there, every write fails as on a full disk.
        os.symlink("/dev/full", out + ".tmp.mp4")
    else:
        real_open = av.open
        monkeypatch.setattr(annotator_lib.av, "open", lambda path, mode="r", **kw: (
            _FullDisk(real_open(path, mode, **kw), packets=20) if mode == "w" else real_open(path, mode, **kw)))
    status = stream_cli.main([clips["face_then_black"], "--model", exported["savedmodel"], "--annotate", out,
                              "--face-model", face_model_path])
    _, err = capsys.readouterr()
    assert status == stream_cli.EXIT_ERROR == 2
    assert err.strip().splitlines()[-1] == (
        f"error: {out}: cannot write the annotated video (No space left on device); the partial file is removed")
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []  # neither the file nor its temp (nor the link)
