"""Config: defaults are the paper's values, run files and overrides apply, bad keys are refused."""

import dataclasses

import pytest
import yaml

from mrpn_tf.config import ConfigError, config_hash, load_config, save_resolved, to_dict
from mrpn_tf.config import config as config_lib
from mrpn_tf.config import keys as config_keys


def test_defaults_are_the_papers_settings():
    c = config_lib.Config()
    assert (c.audio.sample_rate, c.audio.standardize) == (16000, True)  # 3.3 item 3
    assert (c.audio.segment_s, c.audio.hop_s) == (1.0, 0.2)  # 3.3 items 3-4
    assert (c.audio.frame_length, c.audio.frame_step) == (512, 64)
    assert (c.audio.freq_bins, c.audio.frames_per_segment) == (256, 250)
    assert c.data.min_slice_s == 1.0  # 3.3 item 2
    assert c.model.extractor == "resnet18"  # 4.2
    assert c.model.network == "N2"
    assert (c.model.loss_weight_v, c.model.loss_weight_a, c.model.loss_weight_va) == (1.0, 1.0, 1.0)
    assert (c.train.optimizer, c.train.learning_rate) == ("adamw", 5e-5)  # 4.2
    assert (c.train.lr_factor, c.train.lr_patience) == (0.5, 10)


def test_tiny_variant_keeps_audio_math_and_shrinks_the_model():
    tiny, default = config_lib.tiny(), config_lib.Config()
    assert tiny.audio == default.audio
    assert tiny.model.width_multiplier < default.model.width_multiplier
    assert tiny.video.crop_size < default.video.crop_size


def test_overrides_are_typed():
    c = load_config(overrides=["model.aggregator=transformer", "data.fold=3", "train.learning_rate=1e-3", "data.time_augment=false"])
    assert c.model.aggregator == "transformer"
    assert c.data.fold == 3 and isinstance(c.data.fold, int)
    assert c.train.learning_rate == pytest.approx(1e-3)
    assert c.data.time_augment is False


def test_int_given_for_float_is_accepted_but_text_for_int_is_not():
    assert load_config(overrides=["train.learning_rate=1"]).train.learning_rate == 1.0
    with pytest.raises(ConfigError, match="data.fold expects int"):
        load_config(overrides=["data.fold=three"])


def test_fold_takes_all_besides_numbers_and_reloads(tmp_path):
    c = load_config(overrides=["data.fold=all"])
    assert c.data.fold == "all"
    again = load_config(save_resolved(c, tmp_path))
    assert again.data.fold == "all" and again == c
    # The field's type is int, whatever it holds now: a number after "all" is a number.
    assert load_config(save_resolved(c, tmp_path), overrides=["data.fold=2"]).data.fold == 2
    with pytest.raises(ConfigError, match="data.fold expects int or 'all', got 'All'"):
        load_config(overrides=["data.fold=All"])


@pytest.mark.parametrize(
    "override, suggestion",
    [("model.agregator=lstm", "model.aggregator"), ("aggregator=lstm", "model.aggregator"), ("trian.epochs=3", "train.epochs")],
)
def test_unknown_key_names_nearest_valid_keys(override, suggestion):
    with pytest.raises(ConfigError) as info:
        load_config(overrides=[override])
    assert override.split("=")[0] in str(info.value)
    assert suggestion in str(info.value)


def test_run_file_applies_on_its_variant(tmp_path):
    run = tmp_path / "run.yaml"
    run.write_text("variant: tiny\nmodel:\n  aggregator: bilstm\n")
    c = load_config(run, overrides=["model.dropout=0.5"])
    assert c.model.aggregator == "bilstm" and c.model.dropout == 0.5
    assert c.video.crop_size == config_lib.tiny().video.crop_size


def test_run_file_unknown_key_names_the_file(tmp_path):
    run = tmp_path / "bad.yaml"
    run.write_text("model:\n  agregator: lstm\n")
    with pytest.raises(ConfigError, match="bad.yaml.*model.agregator"):
        load_config(run)


def test_invalid_choice_and_inconsistent_audio_rejected():
    with pytest.raises(ConfigError, match="model.aggregator"):
        load_config(overrides=["model.aggregator=gru"])
    with pytest.raises(ConfigError, match="frames_per_segment"):
        load_config(overrides=["audio.frame_step=128"])


def test_segment_hop_off_the_stft_grid_is_rejected_at_load():
    with pytest.raises(ConfigError, match=r"audio.hop_s=0.5 is 8000 samples .* audio.frame_step=128"):
        load_config(overrides=["audio.hop_s=0.5", "audio.frame_step=128",
                               "audio.frames_per_segment=125"])
    assert load_config(overrides=["audio.hop_s=0.4", "audio.frame_step=128",
                                  "audio.frames_per_segment=125"]).audio.hop_s == 0.4


def test_saved_resolved_config_reloads_equal(tmp_path):
    c = load_config(overrides=["model.network=N1", "export.tflite_variants=fp32,int8_dynamic"])
    path = save_resolved(c, tmp_path)
    again = load_config(path)
    assert again == c
    assert config_hash(again) == config_hash(c)
    assert yaml.safe_load(open(path))["model"]["network"] == "N1"


def test_every_field_is_reachable_by_an_override():
    c = config_lib.Config()
    keys = config_keys.valid_keys(c)
    assert len(keys) == sum(len(dataclasses.fields(getattr(c, s))) for s in to_dict(c))
    for key in keys:  # re-setting each key to its own value round-trips through the parser
        section, name = key.split(".")
        value = getattr(getattr(c, section), name)
        text = ",".join(value) if isinstance(value, tuple) else str(value).lower() if isinstance(value, bool) else str(value)
        config_keys.set_value(c, key, yaml.safe_load(text) if text else "")
        assert getattr(getattr(c, section), name) == value, key
