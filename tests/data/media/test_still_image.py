"""Still images as predict gets them from users: each odd kind decodes right or fails with the
file's name and the problem."""

import io

import numpy as np
import pytest
from PIL import Image

from mrpn_tf.data.media import still_image


def _gradient(height=60, width=80) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 3 % 256, y * 4 % 256, (x + y) % 256], axis=-1).astype(np.uint8)


def test_jpeg_and_png_decode_to_rgb(tmp_path):
    rgb = _gradient()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(rgb).save(tmp_path / "a.jpg", quality=95)
    np.testing.assert_array_equal(still_image.read_image(str(tmp_path / "a.png"), 640).rgb, rgb)
    jpeg = still_image.read_image(str(tmp_path / "a.jpg"), 640).rgb
    assert jpeg.shape == rgb.shape and jpeg.dtype == np.uint8
    assert np.abs(jpeg.astype(int) - rgb).mean() < 4


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    grey16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    Image.fromarray(grey16).save(tmp_path / "deep.png")
    rgb = still_image.read_image(str(tmp_path / "deep.png"), 640).rgb
    assert rgb.shape == (64, 64, 3)
    np.testing.assert_allclose(rgb[..., 0], np.round(grey16 * 255.0 / 65535.0), atol=1)
    assert (rgb == 255).mean() < 0.01  # a clipping conversion gives 255 above level 255: 94 %


def test_cmyk_jpeg_decodes_to_the_same_colours(tmp_path):
    rgb = _gradient()
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "print.jpg", quality=95)
    with Image.open(tmp_path / "print.jpg") as check:
        assert check.mode == "CMYK"
    decoded = still_image.read_image(str(tmp_path / "print.jpg"), 640).rgb
    assert decoded.shape == rgb.shape
    assert np.abs(decoded.astype(int) - rgb).mean() < 6


def test_a_twenty_megapixel_photo_is_decoded_small(tmp_path):
    big = np.kron(_gradient(64, 96), np.ones((57, 57, 1), np.uint8))  # 3648 x 5472 = 20 MP
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=80)
    image = still_image.read_image(str(tmp_path / "big.jpg"), 640)
    assert max(image.rgb.shape[:2]) <= 640
    assert image.rgb.shape[1] / image.rgb.shape[0] == pytest.approx(5472 / 3648, rel=0.01)


def test_animated_gif_gives_its_first_frame_and_frame_count(tmp_path):
    frames = [Image.fromarray(np.full((40, 40, 3), value, np.uint8)) for value in (30, 200, 120)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    image = still_image.read_image(str(tmp_path / "anim.gif"), 640)
    assert image.frames == 3
    assert abs(int(image.rgb.mean()) - 30) <= 2


def test_exif_orientation_is_applied(tmp_path):
    rgb = _gradient(30, 50)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    Image.fromarray(rgb).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    assert still_image.read_image(str(tmp_path / "phone.jpg"), 640).rgb.shape == (50, 30, 3)


@pytest.mark.parametrize("name, content, problem", [
    ("garbage.jpg", b"not an image at all" * 20, "not a readable image"),
    ("empty.png", b"", "not a readable image"),
])
def test_unreadable_files_are_named(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(still_image.ImageError, match=f"{name}: {problem}"):
        still_image.read_image(str(path), 640)


def test_truncated_jpeg_is_an_error_not_a_grey_half(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(_gradient(200, 200)).save(buffer, format="JPEG", quality=90)
    (tmp_path / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(still_image.ImageError, match="cut.jpg: not a readable image"):
        still_image.read_image(str(tmp_path / "cut.jpg"), 640)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(still_image.ImageError, match="nowhere.png: no such file"):
        still_image.read_image(str(tmp_path / "nowhere.png"), 640)


def test_is_image_goes_by_extension():
    assert still_image.is_image("a/B.JPG") and still_image.is_image("x.png")
    assert not still_image.is_image("clip.mp4") and not still_image.is_image("voice.wav")
