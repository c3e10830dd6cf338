"""`prepare` end to end: real and generated clips, every bad-input case, resume, settings guard,
reruns after the dataset changed, a full disk, Ctrl-C and SIGTERM.

Faces come from a real CREMA-D frame in ../shared (the face model is there too), composited into
generated clips so that each bad-input case is exactly the one named.
"""

import copy
import errno
import glob
import itertools
import os
import signal
import time

import av
import cv2
import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf import cli, files
from mrpn_tf import prepare as prepare_cli
from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_preparation, clip_record, prepare_job, prepared_index, shard_sources
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media

FPS = 10


@pytest.fixture(scope="module")
def config(face_model_path):
    c = config_lib.tiny()
    c.video.face_model = face_model_path
    c.video.fps = FPS
    c.data.clips_per_shard = 4
    return c


@pytest.fixture(scope="module")
def face(shared_dir):
    """A real face frame (480x360 RGB) from a CREMA-D clip."""
    path = sorted(glob.glob(str(shared_dir / "data" / "cremad" / "VideoFlash" / "*.flv")))[0]
    return decode.decode_clip(path, fps=5, sample_rate=16000, max_frame_side=640).frames[0]


def _voice(seconds, rate=44100, channels=1, amplitude=0.3):
    t = np.arange(int(seconds * rate)) / rate
    wave = amplitude * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 4 * t)) / 2
    return np.stack([wave] * channels, 1) if channels > 1 else wave


def _name(actor, emotion, statement=1):
    return f"Actor_{actor:02d}/01-01-{emotion:02d}-01-{statement:02d}-01-{actor:02d}.mp4"


def _write(root, rel, frames, audio=None, rate=44100):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_media(path, frames, FPS, audio, rate)


def _clip(face, seconds):
    return np.stack([face] * int(round(seconds * FPS)))


def _prepare(config, root, out, **kwargs):
    return prepare_job.run(config, "ravdess", str(root), str(out), workers=2, **kwargs)


def _records(out):
    index = prepared_index.load(out)
    files = prepared_index.shard_files(out, index)
    return [clip_record.from_parsed(clip_record.parse(r)) for r in tf.data.TFRecordDataset(files)]


def test_real_cremad_clips(shared_dir, config, tmp_path):
    index = prepare_job.run(config, "cremad", str(shared_dir / "data" / "cremad"), str(tmp_path), workers=2)
    clips = prepared_index.clips(index)
    assert len(clips) == 6
    # ../shared's AudioMP3 files are of another actor: listed as unpaired, never used
    assert all("AudioMP3" in s["source_path"] for s in index["skipped"])
    for record in _records(tmp_path):
        assert record.face_ratio >= 0.95, record.source_path
        crop = tf.io.decode_jpeg(record.frames[0]).numpy()
        assert crop.shape == (config.video.crop_size, config.video.crop_size, 3)
        seconds = decode.decode_clip(record.source_path, 1, 8000, 64).audio_seconds
        assert abs(len(record.pcm16) - seconds * 16000) < 0.02 * 16000
        assert abs(len(record.frames) - seconds * FPS) <= 2
        assert record.actor == 1001 and record.sample_rate == 16000


@pytest.fixture(scope="module")
def bad_inputs(face, tmp_path_factory):
    """One RAVDESS-named folder with one clip per case; returns (root, expectations)."""
    root = str(tmp_path_factory.mktemp("bad"))
    blank = np.full_like(_clip(face, 1.5), 90)
    partial = _clip(face, 2.0)
    partial[1::2] = 90  # a face in half of the frames
    several = np.full_like(face, 90)
    several[120:240, 0:160] = face[::3, ::3]  # a small face at the left edge ...
    several[:, 200:440] = face[:, 120:360]  # ... and a large one near the centre
    big = cv2.resize(face, (3840, 2160))  # 4K frames
    cases = {
        "ok": _write(root, _name(1, 1), _clip(face, 2.0), _voice(2.0)),
        "short": _write(root, _name(1, 2), _clip(face, 0.5), _voice(0.5)),
        "silent": _write(root, _name(1, 3), _clip(face, 1.5), _voice(1.5, amplitude=0.0)),
        "stereo48k": _write(root, _name(1, 4), _clip(face, 1.5), _voice(1.5, 48000, 2), 48000),
        "partial": _write(root, _name(1, 5), partial, _voice(2.0)),
        "several": _write(root, _name(2, 1), np.stack([several] * 15), _voice(1.5)),
        "big": _write(root, _name(2, 2), np.stack([big] * 3), _voice(0.3)),
        "noface": _write(root, _name(2, 3), blank, _voice(1.5)),
        "noaudio": _write(root, _name(2, 4), _clip(face, 1.5)),
        "novideo": _write(root, _name(2, 5), None, _voice(1.5)),
    }
    corrupt = os.path.join(root, _name(2, 6))
    with open(corrupt, "wb") as f:
        f.write(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    truncated = os.path.join(root, _name(2, 7))  # its index (moov, written last) is cut off
    with open(cases["ok"], "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read()[:3000])
    # a "fast start" .mp4 (index first, as files made for streaming are) cut at 60 %: the
    # container still declares the whole duration
    fast = _faststart(cases["ok"], os.path.join(str(tmp_path_factory.mktemp("fast")), "fast.mp4"))
    cut_fast = os.path.join(root, _name(2, 8))
    with open(fast, "rb") as src, open(cut_fast, "wb") as dst:
        data = src.read()
        dst.write(data[: int(len(data) * 0.6)])
    cases.update(corrupt=corrupt, truncated=truncated, cut_fast=cut_fast)
    return root, cases


def _faststart(path, out):
    """`path` remuxed with its index (moov) before the media data."""
    with av.open(path) as src, av.open(out, "w", options={"movflags": "faststart"}) as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    with open(out, "rb") as f:
        assert f.read(64).find(b"moov") > 0  # the index comes first
    return out


@pytest.fixture(scope="module")
def prepared_bad(bad_inputs, config, tmp_path_factory):
    root, cases = bad_inputs
    out = tmp_path_factory.mktemp("out")
    index = _prepare(config, root, out)
    records = {os.path.basename(r.source_path): r for r in _records(out)}
    skipped = {os.path.basename(s["source_path"]): s["reason"] for s in index["skipped"]}
    return cases, records, skipped


@pytest.mark.parametrize(
    "case, reason",
    [
        ("noface", "no face detected in any frame"),
        ("noaudio", "no audio stream"),
        ("novideo", "no video stream"),
        ("corrupt", "unreadable or corrupt"),
        ("truncated", "corrupt"),
        ("cut_fast", "truncated"),
    ],
)
def test_bad_clips_are_skipped_with_a_named_reason(prepared_bad, case, reason):
    cases, records, skipped = prepared_bad
    name = os.path.basename(cases[case])
    assert name not in records
    assert reason in skipped[name]


@pytest.mark.parametrize("case", ["ok", "short", "silent", "stereo48k", "partial", "several", "big"])
def test_usable_clips_are_kept(prepared_bad, config, case):
    cases, records, _ = prepared_bad
    record = records[os.path.basename(cases[case])]
    assert record.sample_rate == 16000 and record.pcm16.dtype == np.int16
    seconds = decode.decode_clip(cases[case], 1, 8000, 64).audio_seconds
    assert abs(len(record.pcm16) - seconds * 16000) < 0.05 * 16000 + 800
    assert tf.io.decode_jpeg(record.frames[0]).shape == (config.video.crop_size, config.video.crop_size, 3)


def test_wavs_cut_short_are_skipped_with_the_length_their_header_declares(tmp_path, capsys):
    """Audio-only RAVDESS: a WAV cut to half and one cut to 100 bytes are listed as truncated
    (their RIFF header says 2 s), counted in the summary, and not written as training clips."""
    root, out = tmp_path / "data", tmp_path / "out"
    names = [f"Actor_01/03-01-{emotion:02d}-01-01-01-01.wav" for emotion in (1, 2, 3)]
    whole = str(root / names[0])
    os.makedirs(os.path.dirname(whole))
    write_media(whole, None, 0, _voice(2.0, 16000), 16000, audio_codec="pcm_s16le")
    data = open(whole, "rb").read()
    (root / names[1]).write_bytes(data[: len(data) // 2])
    (root / names[2]).write_bytes(data[:100])
    assert prepare_cli.main(["--dataset", "ravdess", "--root", str(root), "--out", str(out),
                             "--workers", "1", "data.modality=audio"]) == 0
    assert capsys.readouterr().out.splitlines()[-3] == f"{out}: 1 clips in 1 shards, 2 skipped"
    skipped = {s["source_path"]: s["reason"] for s in prepared_index.load(out)["skipped"]}
    assert skipped == {str(root / names[1]): "truncated: decoded 1.00 s of the 2.00 s its header declares",
                       str(root / names[2]): "truncated: decoded 0.00 s of the 2.00 s its header declares"}
    assert [r.source_path for r in _records(out)] == [whole]


def test_partial_faces_are_interpolated_and_the_ratio_recorded(prepared_bad):
    cases, records, _ = prepared_bad
    record = records[os.path.basename(cases["partial"])]
    assert 0.4 <= record.face_ratio <= 0.6
    assert records[os.path.basename(cases["ok"])].face_ratio >= 0.95


def test_several_faces_follow_the_large_one(prepared_bad):
    cases, records, _ = prepared_bad
    record = records[os.path.basename(cases["several"])]
    crops = np.stack([tf.io.decode_jpeg(f).numpy() for f in record.frames])
    assert record.face_ratio >= 0.9
    assert crops.std(axis=0).mean() < 10  # the same face throughout, no switching


def test_silent_audio_is_kept_as_zeros(prepared_bad):
    cases, records, _ = prepared_bad
    assert np.abs(records[os.path.basename(cases["silent"])].pcm16).max() <= 1


def test_index_lists_every_file_once(prepared_bad, bad_inputs):
    root, cases = bad_inputs
    _, records, skipped = prepared_bad
    assert set(records) | set(skipped) == {os.path.basename(p) for p in cases.values()}
    assert not set(records) & set(skipped)


def test_empty_folder_is_a_clear_error(config, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        _prepare(config, tmp_path / "empty", tmp_path / "out")


class _Interrupt(Exception):
    pass


def test_interrupted_run_resumed_equals_uninterrupted(bad_inputs, config, tmp_path):
    root, _ = bad_inputs
    _prepare(config, root, tmp_path / "full")
    calls = []

    def dies_after_five(info, cfg):
        calls.append(info.path)
        if len(calls) > 5:
            raise _Interrupt()
        return prepare_job._prepare_one(info, cfg)

    with pytest.raises(_Interrupt):
        _prepare(config, root, tmp_path / "resumed", prepare_fn=dies_after_five)
    shard_dir = tmp_path / "resumed" / prepared_index.SHARD_DIR
    assert not list(shard_dir.glob("*.tmp"))  # no half shard left behind
    finished_before = sorted(p.name for p in shard_dir.glob("*.tfrecord"))
    assert finished_before  # the first actor's shard was finished before the interruption
    _prepare(config, root, tmp_path / "resumed")
    full = sorted((tmp_path / "full" / prepared_index.SHARD_DIR).glob("*.tfrecord"))
    resumed = sorted(shard_dir.glob("*.tfrecord"))
    assert [p.name for p in full] == [p.name for p in resumed]
    for a, b in zip(full, resumed):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert prepared_index.load(tmp_path / "full") == prepared_index.load(tmp_path / "resumed")


def test_folder_prepared_with_other_settings_is_refused(bad_inputs, config, tmp_path):
    root, _ = bad_inputs
    _prepare(config, root, tmp_path)
    other = config_lib.tiny()
    other.video.face_model, other.video.fps = config.video.face_model, FPS
    other.video.crop_size = 64
    with pytest.raises(ValueError, match="crop_size"):
        _prepare(other, root, tmp_path)


def test_cli_writes_config_and_reports(bad_inputs, face_model_path, tmp_path, capsys):
    root, _ = bad_inputs
    code = prepare_cli.main(
        ["--dataset", "ravdess", "--root", root, "--out", str(tmp_path), "--workers", "1",
         f"video.face_model={face_model_path}", "video.fps=10", "video.crop_size=48"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "skipped" in out and "no face detected" in out
    # 7 usable clips of 2 actors; noface, noaudio, novideo, corrupt and the two cut .mp4 skipped
    assert f"{tmp_path}: 7 clips in 2 shards, 6 skipped" in out.splitlines()
    # cut mid-packet: the decoder fails before the declared duration is compared
    assert f"  skipped {os.path.join(root, _name(2, 8))}: corrupt or truncated stream" in out
    assert (tmp_path / "config.yaml").is_file() and (tmp_path / "index.json").is_file()
    assert prepare_cli.main(["--dataset", "ravdess", "--root", root, "--out", str(tmp_path), "video.agregator=1"]) == 2


def test_no_face_model_stops_before_anything_is_written(bad_inputs, config, tmp_path, monkeypatch):
    """Offline without the detector: a clear error, and a rerun with the model prepares every
    clip (no skip entries were recorded that would outlive the missing model)."""
    from mrpn_tf.data.media import model_store

    offline = copy.deepcopy(config)
    offline.video.face_model = ""
    monkeypatch.delenv(model_store.FACE_MODEL_ENV, raising=False)
    monkeypatch.setenv("MRPN_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(model_store, "download", lambda *a, **k: (_ for _ in ()).throw(
        model_store.ModelUnavailableError("offline")))
    root, out = bad_inputs[0], tmp_path / "out"
    with pytest.raises(model_store.ModelUnavailableError, match="MRPN_FACE_MODEL"):
        _prepare(offline, root, out)
    assert not out.exists()
    index = _prepare(config, root, out)
    assert not any("ModelUnavailable" in s["reason"] for s in index["skipped"])
    assert index["shards"]


# --- reruns after the dataset changed -----------------------------------------------------


def _write_set(root, face, clips, seconds=1.0):
    """Writes RAVDESS-named clips {actor: [emotion, ...]} of the real face and a voice."""
    for actor, emotions in clips.items():
        for emotion in emotions:
            _write(root, _name(actor, emotion), _clip(face, seconds), _voice(seconds))


def _shard_state(out):
    """{file name: (inode, mtime_ns, bytes)} of every file in the shard folder."""
    shard_dir = os.path.join(out, prepared_index.SHARD_DIR)
    return {name: (st.st_ino, st.st_mtime_ns, open(os.path.join(shard_dir, name), "rb").read())
            for name in sorted(os.listdir(shard_dir))
            for st in [os.stat(os.path.join(shard_dir, name))]}


def _rerun(config, root, out, **kwargs):
    lines = []
    index = _prepare(config, root, out, report=lines.append, **kwargs)
    return index, lines


def _assert_same_as_fresh(config, root, out, tmp_path):
    """The rerun folder holds what a first run on the dataset as it is now writes."""
    fresh = tmp_path / "fresh"
    _prepare(config, root, fresh)
    assert prepared_index.load(out) == prepared_index.load(fresh)
    assert {k: v[2] for k, v in _shard_state(out).items()} == {k: v[2] for k, v in _shard_state(fresh).items()}


def test_rerun_redoes_exactly_the_shards_whose_sources_changed(face, config, tmp_path):
    root, out = str(tmp_path / "data"), str(tmp_path / "out")
    _write_set(root, face, {1: [1, 2, 3], 2: [1, 2], 3: [1], 4: [1, 2], 5: [1]})
    _, lines = _rerun(config, root, out)
    assert lines == []  # a first run changes nothing it had
    before = _shard_state(out)

    _write_set(root, face, {1: [4, 5], 6: [1]})  # actor 1: 3 -> 5 clips (two parts of 4 at most)
    _write(root, _name(3, 1), np.full_like(_clip(face, 1.0), 90), _voice(1.0))  # now faceless
    os.remove(os.path.join(root, _name(4, 2)))
    os.remove(os.path.join(root, _name(5, 1)))
    index, lines = _rerun(config, root, out)

    assert lines == [
        "actor 1: 2 clips added -> 1 shard rewritten, 1 added",
        "actor 3: 1 clip changed -> 1 shard rewritten",
        "actor 4: 1 clip removed -> 1 shard rewritten",
        "actor 5: 1 clip removed -> 1 shard removed",
        "actor 6: 1 clip added -> 1 shard added",
    ]
    after = _shard_state(out)
    actor2 = [n for n in before if "actor0002" in n]
    assert actor2 and all(after[n] == before[n] for n in actor2)  # untouched: same file, same time
    assert not [n for n in after if "actor0005" in n]  # the vanished actor's shard is gone
    assert not os.path.exists(os.path.join(out, "shards", "ravdess-actor0003-000.tfrecord"))
    assert [s["reason"] for s in index["skipped"]] == ["no face detected in any frame"]
    kept = {a: len(prepared_index.clips(index, [a])) for a in range(1, 7)}
    assert kept == {1: 5, 2: 2, 3: 0, 4: 1, 5: 0, 6: 1}
    _assert_same_as_fresh(config, root, out, tmp_path)
    assert _rerun(config, root, out)[1] == [] and _shard_state(out) == after  # nothing left to do


def test_a_touched_clip_and_a_fixed_skipped_clip_are_redone(face, config, tmp_path):
    root, out = str(tmp_path / "data"), str(tmp_path / "out")
    _write_set(root, face, {1: [1], 2: [1]})
    _write(root, _name(1, 2), np.full_like(_clip(face, 1.0), 90), _voice(1.0))  # no face
    index, _ = _rerun(config, root, out)
    assert [os.path.basename(s["source_path"]) for s in index["skipped"]] == [os.path.basename(_name(1, 2))]

    _write(root, _name(1, 2), _clip(face, 1.0), _voice(1.0))  # the face is back
    touched = os.path.join(root, _name(2, 1))
    os.utime(touched, ns=(os.stat(touched).st_atime_ns, os.stat(touched).st_mtime_ns + 10**9))
    index, lines = _rerun(config, root, out)

    # same size, one second newer: redone as changed (size and mtime_ns are the whole check)
    assert lines == ["actor 1: 1 clip changed -> 1 shard rewritten", "actor 2: 1 clip changed -> 1 shard rewritten"]
    assert index["skipped"] == [] and len(prepared_index.clips(index)) == 3
    recorded = {s["path"]: s for s in index["sources"]}
    assert recorded[_name(2, 1)]["mtime_ns"] == os.stat(touched).st_mtime_ns
    _assert_same_as_fresh(config, root, out, tmp_path)


def test_folder_prepared_before_source_records_is_rewritten(face, config, tmp_path):
    """A folder of an older prepare: sidecars and index without sources. Its shards cannot be
    checked against the dataset, so a rerun rewrites them all once and records their sources."""
    root, out = str(tmp_path / "data"), str(tmp_path / "out")
    _write_set(root, face, {1: [1, 2], 2: [1]})
    current = _prepare(config, root, out)
    for sidecar in glob.glob(os.path.join(out, "shards", "*.json")):
        payload = files.read_json(sidecar)
        del payload["sources"]
        files.write_json(sidecar, payload)
    legacy = {k: v for k, v in current.items() if k not in ("root", "sources")}
    prepared_index.save(out, legacy)
    assert prepared_index.shard_files(out, prepared_index.load(out))  # still readable as it was

    index, lines = _rerun(config, root, out)
    assert lines == ["actor 1: shards prepared before source records -> 1 shard rewritten",
                     "actor 2: shards prepared before source records -> 1 shard rewritten"]
    assert index == current
    assert all("sources" in files.read_json(p) for p in glob.glob(os.path.join(out, "shards", "*.json")))


def test_no_stale_index_while_a_rerun_changes_shards(face, config, tmp_path):
    """Interrupted while rewriting: the folder has no index (not the old one over new shards),
    a reader is told to rerun, and the rerun finishes what a first run would write."""
    root, out = str(tmp_path / "data"), str(tmp_path / "out")
    _write_set(root, face, {1: [1, 2], 2: [1, 2]})
    _prepare(config, root, out)
    _write_set(root, face, {1: [3], 2: [3]}, seconds=1.2)

    def dies_on_the_second_clip(info, cfg, calls=[]):
        calls.append(info.path)
        if len(calls) > 1:
            raise _Interrupt()
        return prepare_job._prepare_one(info, cfg)

    with pytest.raises(_Interrupt):
        _prepare(config, root, out, prepare_fn=dies_on_the_second_clip)
    with pytest.raises(FileNotFoundError, match="prepare has not finished"):
        prepared_index.load(out)
    shard_dir = os.path.join(out, prepared_index.SHARD_DIR)
    assert not glob.glob(os.path.join(shard_dir, "*.tmp"))
    with open(os.path.join(shard_dir, "ravdess-actor0002-000.tfrecord.tmp"), "wb") as f:
        f.write(b"half a shard")  # what a SIGKILL in the middle of a write leaves

    _, lines = _rerun(config, root, out)
    assert lines == ["actor 2: 1 clip added -> 1 shard rewritten"]  # actor 1 was finished before
    assert not glob.glob(os.path.join(shard_dir, "*.tmp"))
    _assert_same_as_fresh(config, root, out, tmp_path)


def test_source_changes_are_counted_by_clip():
    old = [{"path": "a", "size": 1, "mtime_ns": 5}, {"path": "b", "size": 2, "mtime_ns": 5},
           {"path": "c", "size": 3, "mtime_ns": 5}]
    new = [{"path": "a", "size": 1, "mtime_ns": 5}, {"path": "b", "size": 2, "mtime_ns": 6},
           {"path": "c", "size": 3, "mtime_ns": 5, "audio": {"path": "c.wav", "size": 1, "mtime_ns": 5}},
           {"path": "d", "size": 4, "mtime_ns": 5}]
    changes = shard_sources.compare(old, new)
    assert (changes.added, changes.changed, changes.removed) == (["d"], ["b", "c"], [])
    assert changes.describe() == "1 clip added, 2 changed"
    assert shard_sources.compare(new, old[:1]).describe() == "3 clips removed"
    assert not shard_sources.compare(old, old) and shard_sources.compare(old, old).describe() == "no clip changed"


def _cli(root, out, face_model_path, *extra):
    return prepare_cli.main(["--dataset", "ravdess", "--root", str(root), "--out", str(out), "--workers", "1",
                             f"video.face_model={face_model_path}", "video.fps=10", "video.crop_size=48",
                             "data.clips_per_shard=2", *extra])


def test_cli_summary_names_the_changed_actors(face, face_model_path, tmp_path, capsys):
    root, out = tmp_path / "data", tmp_path / "out"
    _write_set(str(root), face, {1: [1], 2: [1]})
    assert _cli(root, out, face_model_path) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"{out}: 2 clips in 2 shards, 0 skipped"
    _write_set(str(root), face, {2: [2]})
    assert _cli(root, out, face_model_path) == 0
    assert capsys.readouterr().out.strip().splitlines()[-2:] == [
        f"{out}: actor 2: 1 clip added -> 1 shard rewritten", f"{out}: 3 clips in 2 shards, 0 skipped"]


# --- a full disk ---------------------------------------------------------------------------


def _tfrecord_writer_fills_the_disk(monkeypatch, on, half_written):
    """TFRecordWriter writes one record of shard `on`, then reports a full disk as TF does."""
    real = tf.io.TFRecordWriter

    class FullDisk:
        def __init__(self, path):
            self.path, self.writer = path, real(path)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.writer.close()

        def write(self, record):
            self.writer.write(record)
            if on in self.path:
                self.writer.flush()
                half_written.append(os.path.getsize(self.path))
                raise tf.errors.ResourceExhaustedError(None, None, f"{self.path}; No space left on device")

    monkeypatch.setattr(tf.io, "TFRecordWriter", FullDisk)


def _sidecar_fills_the_disk(monkeypatch, on, half_written):
    """The sidecar of shard `on` gets a few bytes into its temp file, then ENOSPC."""
    real = files.write_json

    def write_json(path, value, indent=1):
        if on not in str(path):
            return real(path, value, indent)
        with files.atomic_path(path) as tmp:
            with open(tmp, "w") as f:
                f.write('{"file": ')
            half_written.append(os.path.getsize(tmp))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tmp)

    monkeypatch.setattr(files, "write_json", write_json)


@pytest.mark.parametrize("fill, written", [(_tfrecord_writer_fills_the_disk, "ravdess-actor0002-000.tfrecord"),
                                           (_sidecar_fills_the_disk, "ravdess-actor0002-000.tfrecord.json")])
def test_full_disk_is_one_line_and_a_rerun_resumes(face, face_model_path, tmp_path, capsys, monkeypatch,
                                                   fill, written):
    root, out = tmp_path / "data", tmp_path / "out"
    _write_set(str(root), face, {1: [1], 2: [1], 3: [1]})
    half_written = []
    with monkeypatch.context() as patch:
        fill(patch, "actor0002", half_written)
        assert _cli(root, out, face_model_path) == cli.EXIT_FAILED
    assert half_written and half_written[0] > 0  # the disk filled in the middle of a file
    assert capsys.readouterr().err.splitlines() == [
        f"error: {out}: no space left on device while writing shards/{written}; "
        "free space and rerun: prepare resumes"]
    shard_dir = out / prepared_index.SHARD_DIR
    assert not list(shard_dir.glob("*.tmp"))  # nothing half-written is left
    assert (shard_dir / "ravdess-actor0001-000.tfrecord.json").is_file()  # finished before
    first = (shard_dir / "ravdess-actor0001-000.tfrecord").stat().st_mtime_ns

    assert _cli(root, out, face_model_path) == cli.EXIT_OK
    assert (shard_dir / "ravdess-actor0001-000.tfrecord").stat().st_mtime_ns == first  # kept
    assert _cli(root, tmp_path / "fresh", face_model_path) == cli.EXIT_OK
    assert prepared_index.load(out) == prepared_index.load(tmp_path / "fresh")


def test_writing_stops_after_the_clips_in_flight(config, tmp_path, monkeypatch):
    """pool.map queues every clip: when a shard cannot be written, the queued clips are dropped
    rather than all prepared before the error comes out."""
    root = tmp_path / "data"
    for emotion, statement in itertools.product(range(1, 9), (1, 2)):
        path = root / _name(1, emotion, statement)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")  # never decoded: the clips are prepared by `slow_clip`
    calls = []

    def slow_clip(info, cfg):
        calls.append(info.path)
        time.sleep(0.2)
        return b"record", {"clip_id": info.clip_id, "source_path": info.path}

    def full_disk(path, records):
        next(iter(records))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(prepare_job.shard_writer, "write_shard", full_disk)
    with pytest.raises(prepare_job.DiskFullError, match="no space left on device while writing shards/"):
        _prepare(config, root, tmp_path / "out", prepare_fn=slow_clip)
    assert len(calls) < 8  # of 16; two workers, the first result, those in flight


# --- Ctrl-C and SIGTERM ---------------------------------------------------------------------


class _SignalReachedTheTest(Exception):
    pass


def _test_handler(signum, frame):
    raise _SignalReachedTheTest(signum)  # prepare did not handle it (the default would kill pytest)


@pytest.mark.parametrize("sig, name, status", [(signal.SIGTERM, "SIGTERM", 143), (signal.SIGINT, "Ctrl-C", 130)])
def test_sigterm_stops_like_ctrl_c_and_a_rerun_resumes(face, face_model_path, tmp_path, capsys, monkeypatch,
                                                       sig, name, status):
    """A real signal to this process while the third clip is prepared (in-process: a subprocess
    would spend its time importing TensorFlow)."""
    root, out = tmp_path / "data", tmp_path / "out"
    _write_set(str(root), face, {1: [1, 2], 2: [1, 2], 3: [1, 2]})  # 3 shards of 2 clips
    real, calls = clip_preparation.prepare_clip, []

    first_shard = out / prepared_index.SHARD_DIR / "ravdess-actor0001-000.tfrecord.json"

    def signalled(info, cfg):
        calls.append(info.path)
        if len(calls) == 3:  # once the first shard is finished, while the second is being made
            deadline = time.monotonic() + 20
            while not first_shard.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(os.getpid(), sig)
        return real(info, cfg)

    with monkeypatch.context() as patch:
        patch.setattr(clip_preparation, "prepare_clip", signalled)
        if sig == signal.SIGTERM:
            previous = signal.signal(signal.SIGTERM, _test_handler)
        try:
            assert _cli(root, out, face_model_path) == status
            assert sig != signal.SIGTERM or signal.getsignal(signal.SIGTERM) is _test_handler
        finally:
            if sig == signal.SIGTERM:
                signal.signal(signal.SIGTERM, previous)
    assert capsys.readouterr().err.splitlines() == [
        f"stopped by {name}: {out} keeps the shards finished so far; rerun the same command to resume"]
    assert len(calls) <= 4  # the queued clips were dropped
    shard_dir = out / prepared_index.SHARD_DIR
    assert not list(shard_dir.glob("*.tmp"))
    assert [p.name for p in sorted(shard_dir.glob("*.json"))] == ["ravdess-actor0001-000.tfrecord.json"]
    with pytest.raises(FileNotFoundError, match="prepare has not finished"):
        prepared_index.load(out)

    assert _cli(root, out, face_model_path) == cli.EXIT_OK
    assert _cli(root, tmp_path / "fresh", face_model_path) == cli.EXIT_OK
    assert prepared_index.load(out) == prepared_index.load(tmp_path / "fresh")
