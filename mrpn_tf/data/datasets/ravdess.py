"""RAVDESS (Livingstone & Russo 2018): labels from the file name `MM-VC-EE-II-SS-RR-AA.ext`.

Fields, each a two-digit code: modality (01 audio-video, 02 video-only, 03 audio-only),
vocal channel (01 speech, 02 song), emotion (01 neutral ... 08 surprised), intensity
(01 normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs are sitting by
the door"), repetition (01, 02) and actor (01-24; odd = male, even = female).

Files sit in `Actor_NN/` folders as distributed, e.g. `Actor_12/03-01-05-02-01-01-12.wav`.
The paper (4.1) uses speech only, so song files are reported as skipped. The offline demo
("demo") writes RAVDESS names too and is parsed here under its own dataset name.
"""

from __future__ import annotations

import dataclasses
import os
import re

from mrpn_tf.data.datasets import manifest

PATTERN = "MM-VC-EE-II-SS-RR-AA.ext (e.g. 03-01-05-02-01-01-12.wav)"
_NAME_RE = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.(mp4|wav)$")
_ACTOR_FOLDER_RE = re.compile(r"^Actor_(\d\d)$")

# Label = emotion code - 1, so labels follow the dataset's own code order.
EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
MODALITY_BY_CODE = {"01": manifest.AV, "02": manifest.VIDEO, "03": manifest.AUDIO}
EXTENSION_BY_MODALITY = {manifest.AV: "mp4", manifest.VIDEO: "mp4", manifest.AUDIO: "wav"}
INTENSITY_BY_CODE = {"01": "normal", "02": "strong"}
SPEECH = "01"
NUM_ACTORS = 24
MEDIA_EXTENSIONS = (".mp4", ".wav")


def _codes(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{i:02d}" for i in range(first, last + 1))


# Valid codes per name field, in the order the fields appear in the name.
_VALID_CODES = (
    ("modality", tuple(MODALITY_BY_CODE)),
    ("vocal channel", ("01", "02")),
    ("emotion", _codes(1, len(EMOTIONS))),
    ("intensity", tuple(INTENSITY_BY_CODE)),
    ("statement", ("01", "02")),
    ("repetition", ("01", "02")),
    ("actor", _codes(1, NUM_ACTORS)),
)


@dataclasses.dataclass(frozen=True)
class RavdessName:
    """The seven fields of a RAVDESS file name, as their two-digit codes."""

    modality: str
    vocal_channel: str
    emotion: str
    intensity: str
    statement: str
    repetition: str
    actor: str


def actor_gender(actor: int) -> str:
    """RAVDESS convention: odd actor ids are male, even ones female."""
    return manifest.MALE if actor % 2 == 1 else manifest.FEMALE


def parse_codes(path: str) -> RavdessName:
    """Reads the seven codes of a RAVDESS file name, checking each against its valid values.

    Args:
      path: a file path; only its base name is read.

    Returns:
      The codes, song files included (`parse_name` is the speech-only view).

    Raises:
      ClipNameError: the name does not fit `PATTERN`, a code is out of range, or the
        extension does not match the modality (.wav for 03, .mp4 for 01 and 02).
    """
    match = _NAME_RE.match(os.path.basename(path))
    if match is None:
        raise manifest.ClipNameError(path, PATTERN, "not seven two-digit codes and .mp4/.wav")
    *codes, extension = match.groups()
    for (field, valid), code in zip(_VALID_CODES, codes):
        if code not in valid:
            raise manifest.ClipNameError(
                path, PATTERN, f"{field} code {code} is not one of {valid[0]}..{valid[-1]}"
            )
    name = RavdessName(*codes)
    expected = EXTENSION_BY_MODALITY[MODALITY_BY_CODE[name.modality]]
    if extension != expected:
        raise manifest.ClipNameError(
            path, PATTERN, f"modality {name.modality} files are .{expected}, not .{extension}"
        )
    return name


def to_clip(path: str, name: RavdessName, dataset: str = manifest.RAVDESS) -> manifest.ClipInfo:
    """Builds the manifest entry of a parsed RAVDESS name (the media file carries its audio)."""
    actor, emotion_code = int(name.actor), int(name.emotion)
    return manifest.ClipInfo(
        path=path,
        dataset=dataset,
        actor=actor,
        gender=actor_gender(actor),
        emotion=EMOTIONS[emotion_code - 1],
        label=emotion_code - 1,
        intensity=INTENSITY_BY_CODE[name.intensity],
        statement=name.statement,
        modality=MODALITY_BY_CODE[name.modality],
        audio_path=None,
        clip_id=manifest.clip_id_of(path),
    )


def parse_name(path: str, dataset: str = manifest.RAVDESS) -> manifest.ClipInfo:
    """Parses a RAVDESS speech file name into a manifest entry.

    Args:
      path: the clip's file path (kept as given in the entry).
      dataset: "ravdess", or "demo" for the offline set that shares the naming.

    Returns:
      The clip's ClipInfo, e.g. `03-01-05-02-01-01-12.wav` -> actor 12, "F", "angry",
      label 4, "strong", modality "audio".

    Raises:
      ClipNameError: the name does not fit the pattern, or it names a song (the paper uses
        speech only).
    """
    name = parse_codes(path)
    if name.vocal_channel != SPEECH:
        raise manifest.ClipNameError(path, PATTERN, "vocal channel 02 is song; only speech is used")
    return to_clip(path, name, dataset)


def _skip_reason(path: str, name: RavdessName, modality: str) -> str | None:
    """Why a well-named file is not a clip of this scan (None when it is one)."""
    if name.vocal_channel != SPEECH:
        return "song (vocal channel 02); only speech clips are used (paper 4.1)"
    file_modality = MODALITY_BY_CODE[name.modality]
    if file_modality != modality:
        return f"{file_modality} file (modality {name.modality}); this scan reads {modality} clips"
    folder = _ACTOR_FOLDER_RE.match(os.path.basename(os.path.dirname(path)))
    if folder is not None and folder.group(1) != name.actor:
        return f"in folder Actor_{folder.group(1)} but the name says actor {name.actor}"
    return None


def _classify(path: str, modality: str) -> tuple[RavdessName | None, str | None]:
    """(codes, None) for a clip of this scan, (None, reason) for a file to skip."""
    if not path.endswith(MEDIA_EXTENSIONS):
        return None, "not a RAVDESS media file (.mp4 or .wav)"
    try:
        name = parse_codes(path)
    except manifest.ClipNameError as e:
        return None, f"name does not fit {PATTERN}: {e.detail}"
    reason = _skip_reason(path, name, modality)
    return (None, reason) if reason else (name, None)


def scan(
    root: str, modality: str = manifest.AV, dataset: str = manifest.RAVDESS
) -> tuple[list[manifest.ClipInfo], list[manifest.Skipped]]:
    """Finds every speech clip of one modality under a RAVDESS-style folder.

    Args:
      root: the dataset folder (its `Actor_NN/` folders may sit at any depth below it).
      modality: "av" (01-01-*.mp4), "video" (02-01-*.mp4) or "audio" (03-01-*.wav).
      dataset: "ravdess", or "demo" for the offline set.

    Returns:
      (clips sorted by actor then clip id, skipped (path, reason) sorted by path). Bad names,
      song files, other modalities, files in the wrong actor folder and second copies of a
      clip id are skipped, not fatal.

    Raises:
      FileNotFoundError: `root` is missing.
      EmptyDatasetError: no clip of this modality was found.
    """
    manifest.check_modality(modality)
    root = manifest.require_folder(root)
    clips, skipped, first_path = [], [], {}
    for path in manifest.walk_files(root):
        if dataset == manifest.DEMO and os.path.dirname(path) == root and (
            os.path.basename(path) == manifest.DEMO_MANIFEST_NAME
        ):
            continue  # the generator's own manifest, not a clip that was left out
        name, reason = _classify(path, modality)
        clip_id = manifest.clip_id_of(path)
        if name is not None and clip_id in first_path:
            name, reason = None, f"duplicate of {first_path[clip_id]}"
        if name is None:
            skipped.append((path, reason))
            continue
        first_path[clip_id] = path
        clips.append(to_clip(path, name, dataset))
    return manifest.finish_scan(root, modality, clips, skipped)
