"""CREMA-D (Cao et al. 2014): labels from the file name `AAAA_SSS_EEE_II.ext`.

Fields: actor (1001-1091), sentence (one of twelve three-letter codes, e.g. DFA "Don't forget
a jacket"), emotion (ANG DIS FEA HAP NEU SAD) and intensity (LO MD HI, XX unspecified).

Layout as distributed: `VideoFlash/*.flv` (video with its own MP3 track), `AudioWAV/*.wav`,
`AudioMP3/*.mp3` and `VideoDemographics.csv` in the root. An audio-video clip is a .flv whose
audio comes, by preference, from `AudioWAV/<stem>.wav` (lossless), else `AudioMP3/<stem>.mp3`,
else the .flv's own track (`ClipInfo.audio_path` None).

Labels follow the emotion codes in alphabetical order, which is also the order in which the
dataset's README lists them: angry, disgust, fearful, happy, neutral, sad. Like RAVDESS's
code order, that is the dataset's own order, not one this project invented, and it is what
sorting the codes found in the file names reproduces. Emotion names are RAVDESS's words for
the same emotions, so the two datasets' manifests read alike.

Gender comes from `VideoDemographics.csv` (columns ActorID, Age, Sex, Race, Ethnicity) when
the root has it. Without it, the table committed in the fold file (`folds/cremad.json`,
copied from the dataset's own CSV) is used; an actor in neither gets "U".
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
from typing import Mapping, Optional

from mrpn_tf.data.datasets import manifest
from mrpn_tf.data.folds import folds as folds_lib

PATTERN = "AAAA_SSS_EEE_II.ext (e.g. 1001_DFA_ANG_XX.flv)"
_NAME_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.(flv|wav|mp3)$")

EMOTION_CODES = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
EMOTIONS = ("angry", "disgust", "fearful", "happy", "neutral", "sad")
INTENSITY_BY_CODE = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
FIRST_ACTOR, LAST_ACTOR = 1001, 1091

VIDEO_DIR = "VideoFlash"
WAV_DIR = "AudioWAV"
MP3_DIR = "AudioMP3"
# Audio sources of a clip, best first: 16-kHz PCM WAV loses nothing; the MP3s are lossy.
AUDIO_DIRS = (WAV_DIR, MP3_DIR)
EXTENSION_BY_DIR = {VIDEO_DIR: ".flv", WAV_DIR: ".wav", MP3_DIR: ".mp3"}
DEMOGRAPHICS_FILE = "VideoDemographics.csv"
ACTOR_COLUMN, SEX_COLUMN = "ActorID", "Sex"
GENDER_BY_SEX = {"Male": manifest.MALE, "Female": manifest.FEMALE}


@dataclasses.dataclass(frozen=True)
class CremadName:
    """The fields of a CREMA-D file name."""

    actor: int
    sentence: str
    emotion: str  # three-letter code, e.g. "ANG"
    intensity: str  # two-letter code, e.g. "XX"
    extension: str  # "flv", "wav" or "mp3"


def parse_codes(path: str) -> CremadName:
    """Reads and checks the fields of a CREMA-D file name.

    Args:
      path: a file path; only its base name is read.

    Returns:
      The name's fields.

    Raises:
      ClipNameError: the name does not fit `PATTERN` or a field has an unknown value.
    """
    match = _NAME_RE.match(os.path.basename(path))
    if match is None:
        detail = "not actor_sentence_emotion_intensity.flv/wav/mp3"
        raise manifest.ClipNameError(path, PATTERN, detail)
    actor, sentence, emotion, intensity, extension = match.groups()
    checks = (
        (FIRST_ACTOR <= int(actor) <= LAST_ACTOR, f"actor {actor} is not in 1001-1091"),
        (sentence in SENTENCES, f"sentence {sentence} is not one of {' '.join(SENTENCES)}"),
        (emotion in EMOTION_CODES, f"emotion {emotion} is not one of {' '.join(EMOTION_CODES)}"),
        (intensity in INTENSITY_BY_CODE, f"intensity {intensity} is not one of LO MD HI XX"),
    )
    for ok, detail in checks:
        if not ok:
            raise manifest.ClipNameError(path, PATTERN, detail)
    return CremadName(int(actor), sentence, emotion, intensity, extension)


def read_demographics(csv_path: str) -> dict[int, str]:
    """Actor genders from a VideoDemographics.csv ("Male" -> "M", "Female" -> "F", else "U").

    Args:
      csv_path: the CSV file (columns ActorID, Age, Sex, Race, Ethnicity).

    Returns:
      actor id -> gender for every row.

    Raises:
      ValueError: the file lacks the ActorID or Sex column (the message names the file).
    """
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {ACTOR_COLUMN, SEX_COLUMN} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{csv_path}: expected columns ActorID, Age, Sex, Race, Ethnicity; "
                f"missing {sorted(missing)} (found {reader.fieldnames})"
            )
        # Anything but "Male"/"Female" (blank, "Unknown") is kept as unknown, not guessed.
        unknown = manifest.UNKNOWN_GENDER
        return {
            int(row[ACTOR_COLUMN]): GENDER_BY_SEX.get(row[SEX_COLUMN].strip(), unknown)
            for row in reader
        }


def load_genders(root: Optional[str] = None) -> dict[int, str]:
    """Actor genders: `<root>/VideoDemographics.csv` where present, else the committed table.

    The committed table (`folds/cremad.json`, "genders") is the Sex column of the dataset's own
    VideoDemographics.csv, so parsing gives the same genders with or without the CSV.

    Args:
      root: the dataset folder, or None to use only the committed table.

    Returns:
      actor id -> "M"/"F"/"U"; the CSV's rows override the committed table's.
    """
    genders = folds_lib.actor_genders(manifest.CREMAD)
    csv_path = os.path.join(root, DEMOGRAPHICS_FILE) if root else None
    if csv_path and os.path.isfile(csv_path):
        genders.update(read_demographics(csv_path))
    return genders


def to_clip(
    path: str,
    name: CremadName,
    modality: str,
    audio_path: Optional[str],
    genders: Mapping[int, str],
) -> manifest.ClipInfo:
    """Builds the manifest entry of a parsed CREMA-D name."""
    label = EMOTION_CODES.index(name.emotion)
    return manifest.ClipInfo(
        path=path,
        dataset=manifest.CREMAD,
        actor=name.actor,
        gender=genders.get(name.actor, manifest.UNKNOWN_GENDER),
        emotion=EMOTIONS[label],
        label=label,
        intensity=INTENSITY_BY_CODE[name.intensity],
        statement=name.sentence,
        modality=modality,
        audio_path=audio_path,
        clip_id=manifest.clip_id_of(path),
    )


def parse_name(
    path: str,
    modality: Optional[str] = None,
    audio_path: Optional[str] = None,
    genders: Optional[Mapping[int, str]] = None,
) -> manifest.ClipInfo:
    """Parses a CREMA-D file name into a manifest entry.

    Args:
      path: the clip's media file.
      modality: "av", "video" or "audio"; None = "av" for .flv, "audio" for .wav/.mp3.
      audio_path: a separate audio file for the clip (None = the track inside `path`).
      genders: actor id -> gender; None = the committed table (see `load_genders`).

    Returns:
      The clip's ClipInfo, e.g. `1001_DFA_ANG_XX.flv` -> actor 1001, "M", "angry", label 0.

    Raises:
      ClipNameError: the name does not fit the pattern.
      ValueError: a video modality asked of an audio file.
    """
    name = parse_codes(path)
    default = manifest.AV if name.extension == "flv" else manifest.AUDIO
    modality = modality or default
    manifest.check_modality(modality)
    if modality != manifest.AUDIO and name.extension != "flv":
        raise ValueError(f"{path}: an audio file cannot be a {modality} clip")
    genders = load_genders() if genders is None else genders
    return to_clip(path, name, modality, audio_path, genders)


def _index_folder(
    root: str, folder: str
) -> tuple[dict[str, tuple[str, CremadName]], list[manifest.Skipped]]:
    """clip id -> (path, name) of the well-named files of one dataset folder, plus the others."""
    directory = os.path.join(root, folder)
    extension = EXTENSION_BY_DIR[folder]
    found, skipped = {}, []
    names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    for file_name in (n for n in names if not n.startswith(".")):
        path = os.path.join(directory, file_name)
        if not file_name.endswith(extension):
            skipped.append((path, f"not a {extension} file ({folder} holds {extension} files)"))
            continue
        try:
            found[manifest.clip_id_of(path)] = (path, parse_codes(path))
        except manifest.ClipNameError as e:
            skipped.append((path, f"name does not fit {PATTERN}: {e.detail}"))
    return found, skipped


def _orphan_audio(
    audio_by_dir: Mapping[str, Mapping[str, tuple[str, CremadName]]], videos: Mapping[str, object]
) -> list[manifest.Skipped]:
    """Audio files that no .flv shares a stem with: reported, since an "av" scan cannot use them."""
    return [
        (path, f"audio-only file: no {VIDEO_DIR}/{clip_id}.flv to pair it with")
        for found in audio_by_dir.values()
        for clip_id, (path, _) in found.items()
        if clip_id not in videos
    ]


def _scan_video(
    root: str, modality: str, genders: Mapping[int, str]
) -> tuple[list[manifest.ClipInfo], list[manifest.Skipped]]:
    """Clips of the .flv files; for "av", each paired with its best separate audio file."""
    video_dir = os.path.join(root, VIDEO_DIR)
    if not os.path.isdir(video_dir):
        raise FileNotFoundError(f"{video_dir} is missing: {modality} clips are its .flv files")
    videos, skipped = _index_folder(root, VIDEO_DIR)
    audio_by_dir = {}
    if modality == manifest.AV:
        for folder in AUDIO_DIRS:
            audio_by_dir[folder], folder_skipped = _index_folder(root, folder)
            skipped += folder_skipped
        skipped += _orphan_audio(audio_by_dir, videos)
    clips = []
    for clip_id, (path, name) in videos.items():
        # AUDIO_DIRS order is preference order; dicts keep insertion order.
        sources = [found[clip_id][0] for found in audio_by_dir.values() if clip_id in found]
        audio = sources[0] if sources else None
        clips.append(to_clip(path, name, modality, audio, genders))
    return clips, skipped


def _scan_audio(
    root: str, genders: Mapping[int, str]
) -> tuple[list[manifest.ClipInfo], list[manifest.Skipped]]:
    """One audio clip per clip id: its WAV, else its MP3, else the .flv's own track."""
    folders = AUDIO_DIRS + (VIDEO_DIR,)
    if not any(os.path.isdir(os.path.join(root, folder)) for folder in folders):
        raise FileNotFoundError(f"{root} has none of {', '.join(folders)}: no CREMA-D audio")
    indexed, skipped = [], []
    for folder in folders:
        found, folder_skipped = _index_folder(root, folder)
        indexed.append(found)
        skipped += folder_skipped
    clips = []
    for clip_id in sorted(set().union(*indexed)):
        path, name = next(found[clip_id] for found in indexed if clip_id in found)
        clips.append(to_clip(path, name, manifest.AUDIO, None, genders))
    return clips, skipped


def scan(
    root: str, modality: str = manifest.AV
) -> tuple[list[manifest.ClipInfo], list[manifest.Skipped]]:
    """Finds every clip of one modality in a CREMA-D folder.

    Args:
      root: the dataset folder (with VideoFlash/, AudioWAV/, AudioMP3/ as distributed).
      modality: "av" (.flv video + best audio), "video" (.flv, video only) or "audio"
        (WAV, else MP3, else the .flv's track).

    Returns:
      (clips sorted by actor then clip id, skipped (path, reason) sorted by path). Bad names,
      files of the wrong type and, for "av", audio files without a video are skipped.

    Raises:
      FileNotFoundError: the root, or the folder the modality needs, is missing.
      EmptyDatasetError: no clip was found.
    """
    manifest.check_modality(modality)
    root = manifest.require_folder(root)
    genders = load_genders(root)
    if modality == manifest.AUDIO:
        clips, skipped = _scan_audio(root, genders)
    else:
        clips, skipped = _scan_video(root, modality, genders)
    return manifest.finish_scan(root, modality, clips, skipped)
