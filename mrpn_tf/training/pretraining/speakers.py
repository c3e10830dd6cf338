"""Speaker identification on 1-s spectrogram segments: the audio extractor's pretraining task.

Paper 4.2 pretrains F_a "on the voice recognition task from VoxCeleb". Two layouts are read,
one class per speaker:
  - VoxCeleb's, `<root>/<speaker id>/<video id>/<utterance>.wav` (.m4a, .flac, ... too);
  - LibriSpeech's file names, `<speaker>-<chapter>-<utterance>.flac` (or .opus, as the
    excerpts in ../shared are), anywhere under the root: in LibriSpeech's own
    `<speaker>/<chapter>/` folders, in one folder per speaker, or all in one folder. The
    chapter plays the video's part (one recording session).
Held out for validation: each speaker's last video; for a speaker with one video, its last
utterance; for a speaker with one utterance (the excerpts' train-clean-100), the last
`HELD_OUT_FRACTION` of it. Validation thus asks for the speaker in recordings, or at least in
seconds, the training never heard.

Every utterance gives `crops` one-second crops per epoch: at random offsets in training
(stateless seeds, new each epoch) and at evenly spaced offsets in validation. Each crop goes
through the MRPN audio preprocessing (`spectrogram_segments.waveform_to_segments`: the paper's
standardization, Hann 512 / hop 64 STFT, 256 x 250 log magnitudes), so F_a learns on exactly
the input it gets later. A crop count fixed per utterance gives every epoch a known size.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Sequence

import numpy as np
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.media import decode
from mrpn_tf.data.pipeline import spectrogram_segments

AUDIO_EXTENSIONS = (".wav", ".m4a", ".flac", ".opus", ".ogg", ".mp3")
LIBRISPEECH_NAME = re.compile(r"^(\d+)-(\d+)-(\d+)\.\w+$")
# The share of a speaker's only utterance that validates.
HELD_OUT_FRACTION = 0.2


@dataclasses.dataclass(frozen=True)
class Utterance:
    """One recording: its file, its speaker's class, the video it was cut from, and the part of
    it used (fractions of its length: (0, 1) is all of it)."""

    path: str
    speaker: int
    video: str
    span: tuple[float, float] = (0.0, 1.0)


def _speaker_and_video(root: str, path: str) -> tuple[str, str] | None:
    """(speaker, video) of an audio file: from a LibriSpeech name, else from VoxCeleb folders."""
    match = LIBRISPEECH_NAME.match(os.path.basename(path))
    if match:
        return match.group(1), match.group(2)
    parts = os.path.relpath(path, root).split(os.sep)
    if len(parts) < 2:
        return None  # a file directly under a VoxCeleb root has no speaker folder
    return parts[0], os.path.join(*parts[1:-1]) if len(parts) > 2 else "."


def scan_speakers(root: str) -> tuple[list[Utterance], list[str]]:
    """Lists the utterances under a VoxCeleb-layout folder.

    Args:
      root: a VoxCeleb or LibriSpeech layout (module docstring).

    Returns:
      (utterances sorted by path, speaker ids in class order).

    Raises:
      FileNotFoundError: `root` is not a folder.
      ValueError: fewer than two speakers with audio files (nothing to classify).
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"speaker folder {root} does not exist")
    found: list[tuple[str, str, str]] = []
    for parent, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.lower().endswith(AUDIO_EXTENSIONS):
                path = os.path.join(parent, name)
                owner = _speaker_and_video(root, path)
                if owner:
                    found.append((path, *owner))
    speakers = sorted({speaker for _, speaker, _ in found})
    if len(speakers) < 2:
        raise ValueError(f"{root}: found audio of {len(speakers)} speaker(s) in the layouts "
                         "<speaker>/<video>/<utterance>.wav or <speaker>-<chapter>-<n>.flac; "
                         "speaker ID needs at least 2")
    index = {speaker: i for i, speaker in enumerate(speakers)}
    utterances = [Utterance(path, index[speaker], video) for path, speaker, video in found]
    return sorted(utterances, key=lambda u: u.path), speakers


def split_by_video(utterances: Sequence[Utterance]) -> tuple[list[Utterance], list[Utterance]]:
    """(training, validation): each speaker's last video, else last utterance, else the last
    `HELD_OUT_FRACTION` of its only utterance validates (module docstring)."""
    train, val = [], []
    for speaker in sorted({u.speaker for u in utterances}):
        own = [u for u in utterances if u.speaker == speaker]
        videos = sorted({u.video for u in own})
        if len(own) == 1:
            cut = 1.0 - HELD_OUT_FRACTION
            train.append(dataclasses.replace(own[0], span=(0.0, cut)))
            val.append(dataclasses.replace(own[0], span=(cut, 1.0)))
            continue
        held = [u for u in own if u.video == videos[-1]] if len(videos) > 1 else own[-1:]
        train += [u for u in own if u not in held]
        val += held
    return train, val


def _waveform_reader(utterances: Sequence[Utterance], sample_rate: int):
    def read(index) -> np.ndarray:
        utterance = utterances[int(index)]
        pcm = decode.decode_audio(utterance.path, sample_rate).reshape(-1)
        start, end = (int(round(f * len(pcm))) for f in utterance.span)
        return pcm[start:end].astype(np.float32) / 32768.0

    return read


def _crop_offsets(num_samples: tf.Tensor, length: int, crops: int, seed, training: bool) -> tf.Tensor:
    """Start samples of the crops: random (training) or evenly spaced (validation)."""
    room = tf.maximum(num_samples - length, 0)
    if training:
        fractions = tf.random.stateless_uniform([crops], seed=seed)
    else:
        fractions = (tf.range(crops, dtype=tf.float32) + 0.5) / crops
    return tf.cast(fractions * tf.cast(room, tf.float32), tf.int32)


def segment_dataset(
    utterances: Sequence[Utterance],
    config: config_lib.Config,
    crops: int,
    batch_size: int,
    training: bool,
    seed: int = 0,
) -> tf.data.Dataset:
    """Batches of (segment [F, N], speaker) for speaker-ID training or validation.

    Args:
      utterances: from `scan_speakers` / `split_by_video`.
      config: the audio settings of the MRPN run the extractor is for.
      crops: one-second crops per utterance per epoch.
      batch_size: segments per batch.
      training: random crops and shuffling (else fixed crops, in order, remainder kept).
      seed: random seed of the crops and the shuffle.

    Returns:
      A dataset of known size: len(utterances) * crops segments per pass.
    """
    audio = config.audio
    length = spectrogram_segments.segment_samples(audio)
    read = _waveform_reader(utterances, audio.sample_rate)
    labels = [u.speaker for u in utterances]
    dataset = tf.data.Dataset.from_tensor_slices((tf.range(len(utterances)), labels))
    if training:
        dataset = dataset.shuffle(len(utterances), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def segments(pair, crop_seed):
        index, label = pair
        wave = tf.numpy_function(read, [index], tf.float32, stateful=False)
        wave = tf.reshape(wave, [-1])
        offsets = _crop_offsets(tf.size(wave), length, crops, crop_seed, training)
        windows = tf.map_fn(
            lambda start: spectrogram_segments.waveform_to_segments(wave[start:start + length], audio)[0],
            offsets, fn_output_signature=tf.float32)
        windows = tf.ensure_shape(windows, [crops, audio.freq_bins, audio.frames_per_segment])
        return tf.data.Dataset.from_tensor_slices((windows, tf.fill([crops], label)))

    dataset = tf.data.Dataset.zip((dataset, seeds)).interleave(
        segments, cycle_length=4, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(utterances) * crops))
    if training:
        dataset = dataset.shuffle(4 * batch_size, seed=seed)
    return dataset.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)
