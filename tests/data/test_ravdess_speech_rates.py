"""RAVDESS speech in ../shared is 16 kHz; a user's 48-kHz originals must give the same inputs.

The pipeline decodes every file to 16-kHz mono PCM16 with libswresample (media/decode.py), so
the rate of the file on disk should not matter: a 48-kHz copy of a 16-kHz clip, made here with
the pipeline's own resampler, decodes back to (almost) the same wave and the same
log-spectrogram segments the network sees. (../shared no longer holds 48-kHz originals; the
check that they decoded to the 16-kHz files exactly went with them.)
"""

import os

import numpy as np
import pytest

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.media import decode
from mrpn_tf.data.media.encode import write_media
from mrpn_tf.data.pipeline import spectrogram_segments

# Two actors, both genders, one of them the stereo original (Actor_20, 03-01-03-01-02-01-20).
CLIPS = ("Actor_01/03-01-05-02-01-01-01.wav", "Actor_20/03-01-03-01-02-01-20.wav")


def _speech_root(shared_dir):
    root = shared_dir / "data" / "ravdess-speech"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return root


@pytest.mark.parametrize("clip", CLIPS)
def test_a_48k_copy_gives_the_same_wave_and_spectrograms(shared_dir, tmp_path, clip):
    source = str(_speech_root(shared_dir) / clip)
    pcm16k = decode.decode_audio(source, 16000)
    assert pcm16k.dtype == np.int16 and len(pcm16k) > 3 * 16000  # RAVDESS clips last 3-5 s
    # The 48-kHz copy: the same clip upsampled by libswresample, written as PCM16 WAV.
    pcm48k = decode.decode_audio(source, 48000)
    assert abs(len(pcm48k) - 3 * len(pcm16k)) <= 3
    copy = write_media(str(tmp_path / os.path.basename(clip)), None, 0,
                       pcm48k.astype(np.float64) / 32768, 48000, audio_codec="pcm_s16le")
    back = decode.decode_audio(copy, 16000).astype(np.float64)
    assert abs(len(back) - len(pcm16k)) <= 1
    n = min(len(back), len(pcm16k))
    error = back[:n] - pcm16k[:n]
    # Two resamplings (the anti-aliasing low-pass twice, near 8 kHz) and two PCM16 roundings:
    # measured 1.0-1.4 % of the signal's RMS (-37 to -40 dB); allowed: -30 dB.
    assert np.sqrt(np.mean(error ** 2)) < 0.03 * np.sqrt(np.mean(pcm16k[:n].astype(np.float64) ** 2))
    # What the network sees (the CPU study's segment grid): same segment count, same values
    # wherever there is sound (log magnitudes of near-silent bins differ most; they are few).
    audio = config_lib.AudioConfig(hop_s=0.8, frame_step=128, frames_per_segment=125)
    ours = spectrogram_segments.waveform_to_segments(pcm16k[:n] / 32768.0, audio).numpy()
    theirs = spectrogram_segments.waveform_to_segments(back[:n] / 32768.0, audio).numpy()
    assert ours.shape == theirs.shape and ours.shape[1:] == (256, 125)
    loud = ours > np.percentile(ours, 50)
    assert np.median(np.abs(ours - theirs)[loud]) < 0.01  # measured 0.0006-0.002
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.995  # measured 0.9988-0.9997
