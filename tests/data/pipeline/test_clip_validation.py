"""Bad input has a defined behaviour: rejected with the source path, or padded and masked."""

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data import clip_record
from mrpn_tf.data import features
from mrpn_tf.data.pipeline import clip_features
from mrpn_tf.data.pipeline import clip_validation
from mrpn_tf.data.pipeline import video_frames
from tests.data.pipeline import map_equivalence
from tests.data.pipeline import synthetic_records

CONFIG = config_lib.tiny()


def parsed(duration_s: float = 1.5, audio_s: float | None = None) -> dict:
    clip = synthetic_records.make_clip("bad", 2, 1, duration_s, CONFIG, audio_s=audio_s)
    return synthetic_records.record_dict(clip)


def without_frames(clip: dict) -> dict:
    return dict(clip, **{clip_record.FRAMES: clip[clip_record.FRAMES][:0]})


def with_nan(clip: dict) -> dict:
    wave = clip[clip_record.AUDIO_PCM16]
    return dict(clip, **{clip_record.AUDIO_PCM16: tf.concat([wave[:5], [np.nan], wave[6:]], 0)})


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: without_frames(parsed()), "zero video frames"),
        (lambda: parsed(audio_s=0.0), "zero audio samples"),
        (lambda: with_nan(parsed()), "NaN/inf audio"),
    ],
)
def test_rejected_with_source_path_eagerly_and_in_dataset_map(make, reason):
    clip = make()
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"(?s){reason}.*/synthetic/bad.mp4"):
        clip_validation.check_clip(clip, "av")
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"(?s){reason}.*/synthetic/bad.mp4"):
        map_equivalence.in_dataset_map(lambda c: clip_validation.check_clip(c, "av"), clip)


def test_valid_clip_passes_unchanged():
    clip = parsed()
    checked = clip_validation.check_clip(clip, "av")
    for key, value in clip.items():
        np.testing.assert_array_equal(checked[key].numpy(), value.numpy())


def test_stream_the_modality_does_not_need_becomes_one_masked_step():
    audio_only = without_frames(parsed())
    clip_validation.check_clip(audio_only, "audio")  # accepted
    frames = video_frames.to_unit_float(
        video_frames.decode_frames(audio_only[clip_record.FRAMES], CONFIG.video.crop_size)
    )
    inputs = clip_features.clip_features(frames, audio_only[clip_record.AUDIO_PCM16], CONFIG)
    assert inputs[features.VIDEO].shape == (1, 48, 48, 3)
    np.testing.assert_array_equal(inputs[features.VIDEO_MASK], [0.0])
    video_only = parsed(audio_s=0.0)
    clip_validation.check_clip(video_only, "video")
    inputs = clip_features.clip_features(tf.zeros([4, 48, 48, 3]), tf.zeros([0]), CONFIG)
    assert inputs[features.AUDIO].shape == (1, 256, 250)
    np.testing.assert_array_equal(inputs[features.AUDIO_MASK], [0.0])


def test_short_clip_is_one_real_segment():
    clip = parsed(duration_s=0.3)
    example, _, _ = clip_features.clip_example(clip, tf.constant([1, 2]), CONFIG, training=True)
    assert example[features.AUDIO].shape == (1, 256, 250)
    np.testing.assert_array_equal(example[features.AUDIO_MASK], [1.0])
    frames = round(0.3 * CONFIG.video.fps)
    np.testing.assert_array_equal(example[features.VIDEO_MASK], np.ones(frames))


def test_frames_of_another_crop_size_are_an_error():
    jpegs = tf.constant(synthetic_records.synthetic_frames(2, 32, 0))
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError)):
        video_frames.decode_frames(jpegs, 48)
