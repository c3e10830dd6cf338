"""predict on still images: a real face in every format users send, the files it must refuse,
batches equal to one-by-one, and the models that cannot see."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from mrpn_tf import predict as predict_cli
from mrpn_tf.data import clip_preparation
from mrpn_tf.data.media import decode
from mrpn_tf.inference import clip_loader
from mrpn_tf.inference import predictor as predictor_lib
from mrpn_tf.inference import signature_keys as keys
from mrpn_tf.inference import windowing
from tests.export import media_files

FACES = ("face.jpg", "face.png", "cmyk.jpg", "deep.png", "big.jpg", "anim.gif")
BAD = {"truncated.jpg": "not a readable image", "corrupt.jpg": "not a readable image",
       "noise.png": "no face detected in the image"}


@pytest.fixture(scope="module")
def photos(shared_dir, tmp_path_factory) -> dict[str, str]:
    """A real face (a CREMA-D frame) saved as every kind of still, and stills to refuse."""
    out = tmp_path_factory.mktemp("photos")
    clip = decode.decode_clip(media_files.cremad_clips(shared_dir)[0], 5.0, 16000, max_frame_side=480)
    frame = clip.frames[3]
    image = Image.fromarray(frame)
    image.save(out / "face.jpg", quality=92)
    image.save(out / "face.png")
    image.convert("CMYK").save(out / "cmyk.jpg", quality=92)
    Image.fromarray((frame[..., 1].astype(np.uint16) * 257)).save(out / "deep.png")  # 16-bit grey
    image.resize((5160, 3870), Image.Resampling.BILINEAR).save(out / "big.jpg", quality=85)  # 20 MP, 4:3
    frames = [Image.fromarray(f) for f in clip.frames[3:6]]
    frames[0].save(out / "anim.gif", save_all=True, append_images=frames[1:], duration=200)
    data = (out / "face.jpg").read_bytes()
    (out / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (out / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"garbage" * 300)
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (240, 320, 3), np.uint8)).save(out / "noise.png")
    small = np.random.default_rng(1).integers(0, 256, (48, 48), np.uint8)  # FER-sized, no face found
    Image.fromarray(small).save(out / "small.png")
    return {name: str(out / name) for name in (*FACES, *BAD, "small.png")}


@pytest.fixture(scope="module")
def n2(exported, face_model_path):
    return predictor_lib.Predictor.load(exported["savedmodel"], face_model_path)


def test_every_still_kind_is_scored_by_the_video_side_head(photos, exported, face_model_path, capsys):
    names = [*FACES, *BAD]
    code = predict_cli.main([photos[n] for n in names] + ["--model", exported["savedmodel"], "--json",
                                                          "--face-model", face_model_path])
    assert code == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["path"] for line in lines] == [photos[n] for n in names]  # the batch goes on
    for line in lines[: len(FACES)]:
        assert line["branch"] == "v side head" and line["note"].startswith("a still image (no audio)")
        assert len(line["windows"]) == 1
    for line, (name, problem) in zip(lines[len(FACES):], BAD.items()):
        assert line["error"].startswith(f"{photos[name]}: {problem}")
        assert f"{photos[name]}: {problem}" in captured.err


def test_formats_of_one_face_agree(photos, n2):
    """One face as JPEG, PNG, CMYK JPEG and a 20-MP JPEG: about the same crop."""
    crops = {n: clip_loader.load_image(photos[n], n2.config.video).frames for n in ("face.jpg", "face.png", "cmyk.jpg", "big.jpg")}
    for name, frames in crops.items():
        assert frames.shape == (1, n2.config.video.crop_size, n2.config.video.crop_size, 3)
        assert np.abs(frames.astype(int) - crops["face.png"]).mean() < 12, name


def test_a_batch_of_stills_equals_one_by_one_and_the_signature(photos, n2, loaded):
    paths = [photos[n] for n in FACES] + [photos["noise.png"]]
    batched = n2.predict_stills(paths)
    assert isinstance(batched[-1], clip_preparation.ClipError)
    for path, result in zip(paths, batched[:-1]):
        alone = n2.predict_file(path)
        np.testing.assert_allclose(list(result.probabilities.values()),
                                   list(alone.probabilities.values()), atol=1e-5)
    clip = clip_loader.load_image(paths[0], n2.config.video)
    batch, _ = windowing.raw_windows(clip.frames, None, n2.spec)
    direct = loaded.signatures[keys.VIDEO_ONLY](**batch)[keys.PROBABILITIES].numpy()[0]
    np.testing.assert_allclose(list(batched[0].probabilities.values()), direct, atol=1e-6)


def test_a_face_crop_sized_image_without_a_face_is_scored_whole(photos, n2):
    result = n2.predict_file(photos["small.png"])
    assert result.branch == "v side head" and clip_loader.WHOLE_IMAGE_NOTE in result.note
    clip = clip_loader.load_image(photos["small.png"], n2.config.video)
    grey = np.asarray(Image.open(photos["small.png"]).resize((clip.frames.shape[1],) * 2, Image.Resampling.BILINEAR))
    assert np.abs(clip.frames[0, ..., 0].astype(int) - grey).mean() < 40  # the whole picture, resized


def test_a_folder_is_read_in_name_order(photos, exported, face_model_path, capsys):
    folder = os.path.dirname(photos["face.jpg"])
    predict_cli.main([folder, "--model", exported["savedmodel"], "--json", "--face-model", face_model_path])
    paths = [json.loads(line)["path"] for line in capsys.readouterr().out.splitlines()]
    assert paths == sorted(os.path.join(folder, n) for n in os.listdir(folder))


class _Backend:
    def __init__(self, metadata, network, heads, signatures):
        self.metadata = {**metadata, "network": network, "heads": heads}
        self._signatures = signatures

    def signatures(self):
        return self._signatures

    def window_probabilities(self, signature, windows):
        raise AssertionError("a refused still must not be scored")


@pytest.mark.parametrize("network, heads, reason", [
    ("AM", ["a"], "a still image \\(no audio\\), and this AM model only hears; refused"),
    ("N0", ["v", "a"], "a still image \\(no audio\\), and this N0 model has no side head"),
])
def test_models_that_cannot_answer_from_a_face_refuse(photos, n2, face_model_path, network, heads, reason):
    backend = _Backend(n2.metadata, network, heads, {keys.SERVING_DEFAULT})
    refusing = predictor_lib.Predictor(backend, face_model_path)
    with pytest.raises(predictor_lib.PredictError, match=reason):
        refusing.predict_file(photos["face.jpg"])
    assert isinstance(refusing.predict_stills([photos["face.jpg"]])[0], predictor_lib.PredictError)
