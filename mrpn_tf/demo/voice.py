"""Synthetic "speech": a glottal source through vowel formants, syllable by syllable.

Source-filter synthesis in its simplest useful form. A band-limited sawtooth (polyBLEP)
follows a pitch track — the speaker's base pitch, the emotion's shift, a drift over the
utterance, an accent on stressed syllables, an optional tremor — with every other cycle
weakened for a rough voice, and aspiration noise mixed in for a breathy one. Each syllable
is a consonant noise burst followed by a vowel: the voiced part is filtered (in the frequency
domain, one FFT per syllable) by the vowel's formant resonances and by a spectral tilt that
sets how bright the voice is. The vowels follow RAVDESS's two statements, "Kids are talking by
the door" and "Dogs are sitting by the door", repeated as long as the speaker keeps talking.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from mrpn_tf.demo import emotion_cues

# Formants F1-F3 (Hz) of an adult male voice for the vowels used below.
VOWELS = {
    "I": (400.0, 1920.0, 2560.0),
    "a": (730.0, 1100.0, 2440.0),
    "o": (570.0, 840.0, 2410.0),
    "ai": (680.0, 1400.0, 2500.0),
    "schwa": (500.0, 1500.0, 2500.0),
}
STATEMENT_VOWELS = {
    "01": ("I", "a", "o", "I", "ai", "schwa", "o"),  # Kids are talking by the door
    "02": ("o", "a", "I", "I", "ai", "schwa", "o"),  # Dogs are sitting by the door
}
_F4 = 3500.0  # fourth formant (Hz, male): gives the upper spectrum its shape
_BANDWIDTHS = (80.0, 100.0, 140.0, 200.0)  # formant bandwidths, Hz
_LEVEL_DBFS = -22.0  # RMS of the voiced sound of a neutral voice
_TREMOR_HZ = 7.0
_FFT_PAD = 1024  # samples around a syllable for the filter's (zero-phase) ringing


@dataclasses.dataclass(frozen=True)
class VoiceTimbre:
    """An actor's voice (constant over that actor's clips).

    Attributes:
      base_f0: speaking pitch in Hz (male ~100-130, female ~180-240).
      tract: formant frequency multiplier (vocal tract length; ~1.15 for female voices).
      tilt_db: spectral tilt offset, dB per octave (a darker or brighter voice).
      breathiness: aspiration noise added to every emotion's.
      rate: speaking-rate multiplier.
    """

    base_f0: float
    tract: float
    tilt_db: float
    breathiness: float
    rate: float


@dataclasses.dataclass(frozen=True)
class Syllable:
    """One syllable: start and length in seconds, loudness 0..1, accent weight 0..1, vowel."""

    start: float
    length: float
    stress: float
    accent: float
    vowel: str

    @property
    def voiced(self) -> tuple[float, float]:
        """Start and end (s) of the vowel: after the consonant, before the pause."""
        return self.start + 0.18 * self.length, self.start + 0.9 * self.length


@dataclasses.dataclass
class Voice:
    """A synthesized utterance.

    Attributes:
      samples: float32 [N] mono in [-1, 1].
      sample_rate: Hz.
      envelope: float32 [N] loudness of the vowels, 0..1 (moves the lips of the face).
    """

    samples: np.ndarray
    sample_rate: int
    envelope: np.ndarray

    def envelope_at(self, times: np.ndarray) -> np.ndarray:
        """The vowel loudness at the given times (s), e.g. one per video frame."""
        index = np.clip((times * self.sample_rate).astype(int), 0, len(self.envelope) - 1)
        return self.envelope[index]


def synthesize_voice(
    timbre: VoiceTimbre,
    cue: emotion_cues.VoiceCue,
    statement: str,
    duration_s: float,
    sample_rate: int,
    rng: np.random.Generator,
) -> Voice:
    """Speaks the statement's vowels with the cue's pitch, rhythm, brightness and loudness.

    Args:
      timbre: the actor's voice.
      cue: the clip's emotional voice (already jittered for this clip).
      statement: "01" or "02" (RAVDESS statement code; picks the vowel sequence).
      duration_s: length of the clip; speech starts and ends with a short silence.
      sample_rate: output rate in Hz (44100 or 48000 like the real datasets).
      rng: the clip's random generator.

    Returns:
      The Voice.
    """
    n = int(round(duration_s * sample_rate))
    syllables = plan_syllables(timbre, cue, statement, duration_s, rng)
    f0 = pitch_track(timbre, cue, syllables, n, sample_rate, rng)
    phase = np.cumsum(f0 / sample_rate)
    source = sawtooth(phase, f0 / sample_rate) * subharmonic_gain(phase, cue.roughness)
    source += (timbre.breathiness + max(cue.breathiness, 0.0)) * rng.standard_normal(n)
    speech = np.zeros(n)
    envelope = np.zeros(n)
    for syllable in syllables:
        _add_syllable(speech, envelope, source, syllable, timbre, cue, sample_rate, rng)
    return Voice(_mix(speech, envelope, cue, rng), sample_rate, envelope.astype(np.float32))


def plan_syllables(
    timbre: VoiceTimbre,
    cue: emotion_cues.VoiceCue,
    statement: str,
    duration_s: float,
    rng: np.random.Generator,
) -> list[Syllable]:
    """Syllable timing from the speaking rate, with random lengths, stresses and accents.

    Args:
      timbre: the actor's voice (rate multiplier).
      cue: the emotional voice (syllable rate).
      statement: picks the vowel sequence.
      duration_s: clip length; syllables fill it after a lead-in, up to a short tail.
      rng: the clip's random generator.

    Returns:
      The syllables in time order (at least one).
    """
    vowels = STATEMENT_VOWELS[statement]
    mean_length = 1.0 / max(cue.syllable_rate * timbre.rate, 1.0)
    start = rng.uniform(0.1, 0.3)
    end = max(duration_s - rng.uniform(0.1, 0.25), start + 0.1)  # very short clips: one syllable
    syllables = []
    while True:
        length = mean_length * rng.uniform(0.75, 1.25)
        if syllables and start + length > end:
            return syllables
        stressed = rng.random() < 0.4
        syllables.append(Syllable(
            start=float(start),
            length=float(min(length, end - start)),
            stress=float(rng.uniform(0.75, 1.0) if stressed else rng.uniform(0.45, 0.75)),
            accent=float(rng.uniform(0.6, 1.0) if stressed else rng.uniform(0.0, 0.25)),
            vowel=vowels[len(syllables) % len(vowels)],
        ))
        start += length


def pitch_track(
    timbre: VoiceTimbre,
    cue: emotion_cues.VoiceCue,
    syllables: list[Syllable],
    n: int,
    sample_rate: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Fundamental frequency at every sample.

    Semitones above the base pitch = the cue's shift + a linear drift over the utterance +
    each syllable's accent (rising, falling or rise-fall as `accent_shape` says) + tremor +
    a slow random wander.

    Args:
      timbre: the actor's voice (base pitch).
      cue: the emotional voice.
      syllables: the utterance's syllables (accents).
      n: number of samples.
      sample_rate: Hz.
      rng: the clip's voice random generator.

    Returns:
      float [n] pitch in Hz.
    """
    t = np.arange(n) / sample_rate
    first, last = syllables[0].start, syllables[-1].start + syllables[-1].length
    progress = np.clip((t - first) / (last - first), 0.0, 1.0)
    semitones = cue.pitch_shift + cue.pitch_slope * (progress - 0.5)
    for syllable in syllables:
        end = syllable.start + syllable.length
        inside = slice(int(syllable.start * sample_rate), int(end * sample_rate))
        tau = (t[inside] - syllable.start) / syllable.length
        semitones[inside] += cue.pitch_range * syllable.accent * accent_shape(tau, cue.accent_shape)
    semitones += max(cue.tremor, 0.0) * np.sin(2 * np.pi * _TREMOR_HZ * t + rng.uniform(0, 6.3))
    for _ in range(2):  # no one holds a perfectly steady pitch
        semitones += 0.3 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6.3))
    return np.clip(timbre.base_f0 * 2.0 ** (semitones / 12.0), 60.0, 700.0)


def accent_shape(tau: np.ndarray, shape: float) -> np.ndarray:
    """Accent contour over a syllable (tau 0..1): -1 falling, 0 rise-fall, +1 rising."""
    shape = float(np.clip(shape, -1.0, 1.0))
    hat = np.sin(np.pi * tau)
    return (1 - abs(shape)) * hat + max(shape, 0.0) * tau + max(-shape, 0.0) * (1 - tau)


def subharmonic_gain(phase: np.ndarray, roughness: float) -> np.ndarray:
    """Gain that weakens every other glottal cycle (period doubling, as in a creaky voice).

    Modulating at half the pitch puts energy at f0/2 and its odd multiples, between the
    harmonics, where a spectrogram shows it as a second, denser comb.

    Args:
      phase: running glottal phase in cycles.
      roughness: 0 (smooth) .. 1 (every other cycle at 40 %).

    Returns:
      Gains in (0, 1], one per sample.
    """
    depth = 0.6 * float(np.clip(roughness, 0.0, 1.0))
    return 1.0 - depth * 0.5 * (1.0 + np.cos(np.pi * phase))


def sawtooth(phase: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Band-limited sawtooth (polyBLEP) from a running phase in cycles and its step per sample.

    PolyBLEP rounds off each jump over one sample on either side, which removes most of the
    aliasing a naive sawtooth would fold back into the speech band.
    """
    frac = phase % 1.0
    wave = 2.0 * frac - 1.0
    before = frac > 1.0 - step
    after = frac < step
    x = np.where(after, frac / step, (frac - 1.0) / step)
    wave -= np.where(after, 2 * x - x * x - 1, 0.0) + np.where(before, x * x + 2 * x + 1, 0.0)
    return wave


def _add_syllable(
    speech: np.ndarray,
    envelope: np.ndarray,
    source: np.ndarray,
    syllable: Syllable,
    timbre: VoiceTimbre,
    cue: emotion_cues.VoiceCue,
    sample_rate: int,
    rng: np.random.Generator,
) -> None:
    """Adds one syllable (consonant burst, then the filtered vowel) into `speech` in place."""
    start = int(syllable.start * sample_rate)
    burst = int(0.2 * syllable.length * sample_rate)
    decay = np.exp(-np.arange(burst) / (0.015 * sample_rate))
    noise = 0.25 * syllable.stress * decay * rng.standard_normal(burst)
    _add_filtered(speech, start, noise, lambda f: fricative_response(f, timbre), sample_rate)
    a, b = (int(s * sample_rate) for s in syllable.voiced)
    shape = syllable.stress * fade_window(b - a, int(0.025 * sample_rate), int(0.05 * sample_rate))
    response = lambda f: vowel_response(f, syllable.vowel, timbre, cue)  # noqa: E731
    _add_filtered(speech, a, source[a:b] * shape, response, sample_rate)
    np.maximum(envelope[a:b], shape, out=envelope[a:b])


def _add_filtered(
    out: np.ndarray,
    start: int,
    segment: np.ndarray,
    response: Callable[[np.ndarray], np.ndarray],
    sample_rate: int,
) -> None:
    """Filters `segment` by the magnitude `response(freqs)` and adds it at sample `start`.

    The filter is zero-phase (a real spectrum), so the segment is padded on both sides to
    hold its ringing before and after; the padding lands around `start` in `out`.
    """
    size = 1 << int(np.ceil(np.log2(len(segment) + 2 * _FFT_PAD)))
    padded = np.zeros(size)
    padded[_FFT_PAD : _FFT_PAD + len(segment)] = segment
    gain = response(np.fft.rfftfreq(size, 1.0 / sample_rate))
    filtered = np.fft.irfft(np.fft.rfft(padded) * gain, size)
    lo, hi = start - _FFT_PAD, start - _FFT_PAD + size
    clip_lo, clip_hi = max(lo, 0), min(hi, len(out))
    out[clip_lo:clip_hi] += filtered[clip_lo - lo : clip_hi - lo]


def vowel_response(
    freqs: np.ndarray, vowel: str, timbre: VoiceTimbre, cue: emotion_cues.VoiceCue
) -> np.ndarray:
    """Magnitude response of the vocal tract for a vowel: four resonances and a tilt.

    Args:
      freqs: frequencies in Hz.
      vowel: a key of `VOWELS`.
      timbre: the actor's voice (formant scale, tilt offset).
      cue: the emotional voice (tilt: brightness).

    Returns:
      Gains at `freqs` (1 at 0 Hz before the tilt).
    """
    formants = np.array(VOWELS[vowel] + (_F4,)) * timbre.tract
    gain = np.ones_like(freqs)
    for formant, bandwidth in zip(formants, _BANDWIDTHS):
        gain *= formant**2 / np.sqrt((formant**2 - freqs**2) ** 2 + (bandwidth * freqs) ** 2)
    octaves = np.log2(np.maximum(freqs, 100.0) / 500.0)
    gain *= 10.0 ** ((cue.tilt_db + timbre.tilt_db) * octaves / 20.0)
    gain[freqs < 60.0] = 0.0  # no DC or rumble
    return gain


def fricative_response(freqs: np.ndarray, timbre: VoiceTimbre) -> np.ndarray:
    """Magnitude response of a hiss ("s", "t", "k"): a broad band around 5 kHz."""
    octaves = np.log2(np.maximum(freqs, 1.0) / (5000.0 * timbre.tract))
    return np.exp(-0.5 * (octaves / 0.7) ** 2)


def fade_window(length: int, attack: int, release: int) -> np.ndarray:
    """[length] ones with raised-cosine fade-in and fade-out of the given sample counts."""
    window = np.ones(length)
    attack, release = min(attack, length // 2), min(release, length // 2)
    window[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / max(attack, 1))
    window[length - release :] = 0.5 + 0.5 * np.cos(np.pi * np.arange(release) / max(release, 1))
    return window


def _mix(speech: np.ndarray, envelope: np.ndarray, cue: emotion_cues.VoiceCue,
         rng: np.random.Generator) -> np.ndarray:
    """Sets the level from the cue's loudness, adds a room noise floor, keeps peaks below 1."""
    voiced = envelope > 0.3
    rms = np.sqrt(np.mean(speech[voiced] ** 2)) if voiced.any() else 1.0
    level = 10.0 ** ((_LEVEL_DBFS + cue.loudness_db) / 20.0)
    noise_floor = 10.0 ** (rng.uniform(-62.0, -48.0) / 20.0)
    out = speech * (level / max(rms, 1e-9)) + noise_floor * rng.standard_normal(len(speech))
    peak = np.abs(out).max()
    if peak > 0.99:
        out *= 0.99 / peak
    return out.astype(np.float32)
