"""The export folder layout, labels and metadata, versions, the CLI, calibration windows."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.config import resolved
from mrpn_tf.data import datasets
from mrpn_tf.data import features
from mrpn_tf.export import __main__ as export_cli
from mrpn_tf.inference import metadata as metadata_lib
from mrpn_tf.export import representative_data
from mrpn_tf.export import run_export
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.inference import windowing
from mrpn_tf.training import run_dir as run_dir_lib


def test_layout_is_tf_serving_and_tflite_beside_it(exported, export_root):
    assert exported["savedmodel"] == os.path.join(export_root, "mrpn", "1")
    assert os.path.isfile(os.path.join(exported["savedmodel"], "saved_model.pb"))
    tflite_dir = os.path.join(export_root, "mrpn_tflite", "1")
    for variant in ("fp32", "fp16", "int8_dynamic", "int8_full"):
        assert exported[f"tflite_{variant}"] == os.path.join(tflite_dir, f"mrpn_{variant}.tflite")
    assert {metadata_lib.LABELS_NAME, metadata_lib.METADATA_NAME} <= set(os.listdir(tflite_dir))
    assert not [n for n in os.listdir(export_root) if n.startswith(".")]  # no staging left


def test_signatures_of_an_n2_model(loaded):
    assert set(loaded.signatures) == {keys.SERVING_DEFAULT, keys.FEATURES, keys.VIDEO_ONLY, keys.AUDIO_ONLY}


def test_labels_and_metadata(exported, tiny_run):
    with open(exported["labels"]) as f:
        assert f.read().splitlines() == tiny_run.labels
    meta = metadata_lib.read(exported["metadata"])
    assert meta["labels"] == tiny_run.labels
    assert meta["config_hash"] == resolved.config_hash(tiny_run.config)
    assert meta["heads"] == [features.V, features.A]
    assert meta["window"]["frames"] == 16 and meta["window"]["segments"] == 6
    assert meta["preprocessing"]["audio"]["sample_rate"] == 16000
    raw = meta["savedmodel"]["signatures"][keys.SERVING_DEFAULT]["inputs"]
    assert raw[keys.FRAMES] == {"dtype": "uint8", "shape": [-1, -1, 48, 48, 3]}
    assert raw[keys.WAVEFORM] == {"dtype": "float32", "shape": [-1, -1]}
    window = meta["tflite"]["signatures"][keys.FEATURES]["inputs"]
    assert window[features.AUDIO]["shape"] == [1, 6, 256, 250]
    assert meta["tflite"]["files"]["int8_full"] == "mrpn_int8_full.tflite"
    assert metadata_lib.config_of(meta) == tiny_run.config
    tflite_meta = os.path.join(os.path.dirname(exported["tflite_fp32"]), metadata_lib.METADATA_NAME)
    assert metadata_lib.read(tflite_meta) == meta


def test_versions_are_never_overwritten(exported, tiny_run, export_root):
    assert run_export.next_version(os.path.join(export_root, "mrpn")) == 2
    with pytest.raises(FileExistsError, match="export as version 2"):
        run_export.export_run(tiny_run.run_dir, version=1, out_dir=export_root)


def test_cli_reports_failures_without_a_traceback(exported, tiny_run, export_root, capsys):
    assert export_cli.main(["--run", tiny_run.run_dir, "--version", "1", "--out", export_root]) == 1
    assert "export failed" in capsys.readouterr().err
    assert export_cli.main(["--run", os.path.join(export_root, "nothing")]) == 1
    assert "nothing/config.yaml" in capsys.readouterr().err


def test_calibration_windows_come_from_the_pipeline(tiny_run):
    spec = windowing.window_spec(tiny_run.config)
    windows = representative_data.calibration_windows(tiny_run.config, spec, limit=100)
    # Training actors of demo fold 1 (3..8): clips of 1.5 / 2.0 / 2.5 s -> 1, 1, 2 windows.
    durations = [1.5 + 0.5 * (actor % 3) for actor in range(3, 9)]
    assert len(windows) == sum(len(windowing.window_starts(d, spec)) for d in durations)
    for window in windows:
        assert window[features.VIDEO].shape == (spec.frames, 48, 48, 3)
        assert window[features.AUDIO].shape == (spec.segments, 256, 250)
        assert window[features.VIDEO_MASK][0] == 1 and window[features.AUDIO_MASK][0] == 1
    short = [w for w in windows if w[features.VIDEO_MASK].sum() < spec.frames]
    assert short and all(not w[features.VIDEO][int(w[features.VIDEO_MASK].sum()):].any() for w in short)


def test_representative_dataset_feeds_every_signature():
    window = {
        features.VIDEO: np.zeros((2, 4, 4, 3)), features.VIDEO_MASK: np.ones(2),
        features.AUDIO: np.zeros((1, 8, 5)), features.AUDIO_MASK: np.ones(1),
    }
    names = representative_data.signature_input_keys([features.V, features.A])
    samples = list(representative_data.representative_dataset([window], names)())
    assert [name for name, _ in samples] == [keys.FEATURES, keys.VIDEO_ONLY, keys.AUDIO_ONLY]
    assert samples[1][1].keys() == {features.VIDEO, features.VIDEO_MASK}
    assert samples[0][1][features.AUDIO].shape == (1, 1, 8, 5)


def test_labels_json_is_required(tmp_path):
    run = run_dir_lib.RunDir(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="labels.json"):
        run_dir_lib.read_run_labels(run)
    (tmp_path / "labels.json").write_text(json.dumps({"dataset": "demo", "labels": ["a", "b"]}))
    assert run_dir_lib.read_run_labels(run) == ("demo", ["a", "b"])


def test_export_reads_the_run_folder_that_training_writes(tmp_path):
    """One contract: what run_dir.create writes is what export_run reads (here: up to the model)."""
    config = config_lib.tiny()
    config.train.run_dir = str(tmp_path / "run")
    run = run_dir_lib.RunDir(config.train.run_dir)
    run_dir_lib.create(run, config)
    assert run_dir_lib.read_run_labels(run) == (config.data.dataset, list(datasets.label_names(config.data.dataset)))
    with pytest.raises(FileNotFoundError, match=re.escape(run.model_path)):
        run_export.export_run(run.root)
