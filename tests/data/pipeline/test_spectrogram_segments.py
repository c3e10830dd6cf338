"""Golden values of the audio stream: segment counts, spectrogram shape, bins, numpy reference."""

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.data.pipeline import spectrogram_segments
from tests.data.pipeline import map_equivalence

AUDIO = config_lib.AudioConfig()
RATE = AUDIO.sample_rate


def tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(round(seconds * RATE))) / RATE
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def numpy_log_spectrogram(
    segment: np.ndarray, bins: int = 256, hop: int = 64, bands: np.ndarray | None = None
) -> np.ndarray:
    """Independent reference: periodic Hann, 512-point rfft every `hop` samples, end zero-padded.

    Returns [bins, ceil(len / hop)]; the default 256 drops the Nyquist bin, 257 keeps it. With
    `bands` ([257, M] weights) the magnitudes are summed into M bands first: [M, frames].
    """
    n_fft = 512
    frames = -(-len(segment) // hop)  # ceil: 250 at hop 64
    padded = np.zeros((frames - 1) * hop + n_fft, np.float64)
    padded[: len(segment)] = segment
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    stack = np.stack([padded[i * hop : i * hop + n_fft] * window for i in range(frames)])
    magnitude = np.abs(np.fft.rfft(stack, axis=-1))  # [frames, 257]
    if bands is not None:
        return np.log(magnitude @ bands + AUDIO.log_offset).T
    return np.log(magnitude + AUDIO.log_offset)[:, :bins].T


@pytest.mark.parametrize("seconds, expected", [(0.5, 1), (1.0, 1), (1.2, 2), (3.0, 11)])
def test_segment_counts(seconds, expected):
    num_samples = int(round(seconds * RATE))
    assert int(spectrogram_segments.segment_count(num_samples, AUDIO)) == expected
    segments = spectrogram_segments.split_segments(tf.zeros([num_samples]), AUDIO)
    assert segments.shape == (expected, 16000)


def test_segments_cover_every_sample_with_less_than_one_hop_of_tail_padding():
    wave = np.arange(1, 3.3 * RATE + 1, dtype=np.float32)  # 52800 samples, all non-zero
    segments = spectrogram_segments.split_segments(tf.constant(wave), AUDIO).numpy()
    hop = spectrogram_segments.hop_samples(AUDIO)
    assert segments.shape[0] == 1 + int(np.ceil((len(wave) - 16000) / hop))  # 12
    for s, segment in enumerate(segments):
        real = wave[s * hop : s * hop + 16000]
        np.testing.assert_array_equal(segment[: len(real)], real)
        np.testing.assert_array_equal(segment[len(real) :], 0.0)
    padding = int(np.sum(segments[-1] == 0))
    assert 0 <= padding < hop


def test_short_clip_is_padded_to_one_segment():
    segments = spectrogram_segments.split_segments(tf.ones([4800]), AUDIO).numpy()  # 0.3 s
    assert segments.shape == (1, 16000)
    assert segments[0, :4800].min() == 1.0 and segments[0, 4800:].max() == 0.0


def test_spectrogram_shape_and_dtype():
    spectrogram = spectrogram_segments.waveform_to_segments(tone(440.0, 3.0), AUDIO)
    assert spectrogram.shape == (11, 256, 250)
    assert spectrogram.dtype == tf.float32


def test_config_arithmetic_matches_the_stft():
    # 512-point FFT: 257 bins, one (Nyquist) dropped; ceil(16000 / 64) = 250 frames.
    assert AUDIO.frame_length // 2 + 1 - 1 == AUDIO.freq_bins == 256
    assert -(-spectrogram_segments.segment_samples(AUDIO) // AUDIO.frame_step) == 250
    assert AUDIO.frames_per_segment == 250


def test_pure_tone_lands_in_its_bin():
    bin_hz = RATE / AUDIO.frame_length  # 31.25 Hz
    for k in (16, 64, 200):
        spectrogram = spectrogram_segments.waveform_to_segments(tone(k * bin_hz, 1.0), AUDIO)
        peaks = np.argmax(spectrogram[0, :, 10:240].numpy(), axis=0)  # frames clear of the ends
        assert np.all(peaks == k)


def test_the_dropped_bin_is_nyquist():
    nyquist = np.where(np.arange(RATE) % 2 == 0, 0.5, -0.5).astype(np.float32)  # 8 kHz
    spectrogram = spectrogram_segments.waveform_to_segments(nyquist, AUDIO).numpy()[0]
    full = numpy_log_spectrogram(nyquist / nyquist.std(), bins=257)
    assert spectrogram.shape[0] == 256 and full.shape[0] == 257
    middle = slice(10, 240)  # frames clear of the segment ends
    assert np.all(np.argmax(full[:, middle], axis=0) == 256)  # all the energy is in bin 256
    # Rows 0..255 are the FFT's bins 0..255 (the window leaks half the peak into bin 255);
    # the peak itself, bin 256, is not among them.
    np.testing.assert_allclose(spectrogram[255, middle], full[255, middle], atol=1e-3)
    assert spectrogram[:, middle].max() < full[256, middle].min() - 0.5


def test_one_segment_matches_numpy_reference():
    rng = np.random.default_rng(0)
    wave = (tone(700.0, 1.0) + 0.1 * rng.standard_normal(RATE)).astype(np.float32)
    spectrogram = spectrogram_segments.waveform_to_segments(wave, AUDIO).numpy()[0]
    standardized = (wave - wave.mean()) / wave.std()
    reference = numpy_log_spectrogram(standardized.astype(np.float64))
    assert spectrogram.shape == reference.shape == (256, 250)
    # float32 FFT vs float64: tight where there is energy, looser in the log of near-zeros.
    strong = reference > -2.0
    np.testing.assert_allclose(spectrogram[strong], reference[strong], atol=1e-3)
    np.testing.assert_allclose(spectrogram, reference, atol=5e-2)


def test_every_segment_matches_its_own_stft():
    # The shared-STFT computation must equal the per-segment definition, tails included.
    rng = np.random.default_rng(1)
    wave = (tone(300.0, 2.3) + 0.2 * rng.standard_normal(int(2.3 * RATE))).astype(np.float32)
    spectrograms = spectrogram_segments.waveform_to_segments(wave, AUDIO).numpy()
    standardized = (wave - wave.mean()) / wave.std()
    segments = spectrogram_segments.split_segments(tf.constant(standardized), AUDIO).numpy()
    assert spectrograms.shape == (8, 256, 250) and segments.shape == (8, 16000)
    for spectrogram, segment in zip(spectrograms, segments):
        np.testing.assert_allclose(spectrogram, numpy_log_spectrogram(segment), atol=2e-3)


def test_standardize_and_silence():
    wave = tf.constant(tone(300.0, 1.5) * 7.0 + 3.0)
    standardized = spectrogram_segments.standardize(wave).numpy()
    assert abs(standardized.mean()) < 1e-4 and abs(standardized.std() - 1.0) < 1e-4
    silent = spectrogram_segments.standardize(tf.zeros([8000])).numpy()
    np.testing.assert_array_equal(silent, 0.0)
    spectrogram = spectrogram_segments.waveform_to_segments(tf.zeros([8000]), AUDIO).numpy()
    assert np.all(np.isfinite(spectrogram))
    np.testing.assert_allclose(spectrogram, np.log(AUDIO.log_offset), rtol=1e-6)


def test_empty_waveform_gives_one_finite_segment():
    spectrogram = spectrogram_segments.waveform_to_segments(tf.zeros([0]), AUDIO).numpy()
    assert spectrogram.shape == (1, 256, 250) and np.all(np.isfinite(spectrogram))


@pytest.mark.parametrize("seconds", [0.3, 1.2])
def test_same_eagerly_and_in_dataset_map(seconds):
    wave = tone(523.0, seconds)
    map_equivalence.assert_same_eager_and_in_map(
        lambda w: spectrogram_segments.waveform_to_segments(w, AUDIO), wave, atol=1e-5
    )
    map_equivalence.assert_same_eager_and_in_map(
        lambda w: spectrogram_segments.segment_count(tf.size(w), AUDIO), wave
    )


MEL = config_lib.AudioConfig(
    frequency_scale="mel", freq_bins=64, hop_s=0.8, frame_step=128, frames_per_segment=125
)


def numpy_mel_matrix(bands: int, bins: int = 257) -> np.ndarray:
    """Independent HTK mel filterbank: triangles on 0 Hz .. Nyquist, peak 1, DC bin unused."""
    def mel(hz):
        return 1127.0 * np.log1p(np.asarray(hz) / 700.0)

    edges = np.linspace(mel(0.0), mel(RATE / 2), bands + 2)
    bin_mel = mel(np.linspace(0.0, RATE / 2, bins))[1:]
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mel[:, None] - lower) / (centre - lower)
    falling = (upper - bin_mel[:, None]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.concatenate([np.zeros((1, bands)), weights])  # [257, bands]


def test_mel_matrix_is_the_htk_filterbank():
    np.testing.assert_allclose(
        spectrogram_segments.mel_matrix(MEL).numpy(), numpy_mel_matrix(64), atol=1e-5
    )


def test_mel_segments_sum_the_stft_magnitudes_into_bands():
    # Each mel segment is log(|STFT of that segment| @ filterbank + offset), tails included.
    rng = np.random.default_rng(2)
    wave = (tone(440.0, 2.5) + 0.2 * rng.standard_normal(int(2.5 * RATE))).astype(np.float32)
    spectrograms = spectrogram_segments.waveform_to_segments(wave, MEL).numpy()
    standardized = (wave - wave.mean()) / wave.std()
    segments = spectrogram_segments.split_segments(tf.constant(standardized), MEL).numpy()
    assert spectrograms.shape == (3, 64, 125) and segments.shape == (3, 16000)
    bands = numpy_mel_matrix(64)
    for spectrogram, segment in zip(spectrograms, segments):
        reference = numpy_log_spectrogram(segment, hop=128, bands=bands)
        np.testing.assert_allclose(spectrogram, reference, atol=2e-3)


def test_mel_tone_peaks_in_the_band_around_its_frequency():
    weights = numpy_mel_matrix(64)
    for hz in (250.0, 1000.0, 4000.0):
        spectrogram = spectrogram_segments.waveform_to_segments(tone(hz, 1.0), MEL).numpy()[0]
        band = np.argmax(weights[int(round(hz / 31.25))])  # the band weighting its bin most
        peaks = np.argmax(spectrogram[:, 5:120], axis=0)
        assert np.all(np.abs(peaks - band) <= 1)


def test_mel_takes_more_bands_than_fft_bins_only_when_asked():
    from mrpn_tf.config import validation

    config = config_lib.Config()
    config.audio.freq_bins = 300
    with pytest.raises(config_lib.ConfigError, match="freq_bins=300"):
        validation.validate(config)
    config.audio.frequency_scale = "mel"
    validation.validate(config)
    config.audio.frequency_scale = "bark"
    with pytest.raises(config_lib.ConfigError, match="frequency_scale"):
        validation.validate(config)
