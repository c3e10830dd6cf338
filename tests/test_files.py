"""mrpn_tf.files: atomic writes leave the old file or the new one; claimed folders refuse a diff."""

import json
import os

import pytest

from mrpn_tf import files


class _Refused(ValueError):
    pass


def _refuse(detail):
    return _Refused(f"other job ({detail})")


def test_write_atomic_text_bytes_and_json(tmp_path):
    text, raw, doc = tmp_path / "a.txt", tmp_path / "b.bin", tmp_path / "c.json"
    assert files.write_atomic(text, "x\r\ny\n") == str(text)
    files.write_atomic(raw, b"\x00\xff")
    files.write_json(doc, {"k": [1, 2]})
    assert text.read_bytes() == b"x\r\ny\n"  # written as given, no newline translation
    assert raw.read_bytes() == b"\x00\xff"
    assert json.loads(doc.read_text()) == {"k": [1, 2]}
    files.write_json(doc, {"k": 3})  # replaces
    assert json.loads(doc.read_text()) == {"k": 3}
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.bin", "c.json"]


def test_a_writer_that_raises_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "state.json"
    files.write_json(path, {"epoch": 1})
    with pytest.raises(RuntimeError):
        with files.atomic_path(path) as tmp:
            with open(tmp, "w") as f:
                f.write('{"epoch": 2, "half')
            raise RuntimeError("killed mid-write")
    with pytest.raises(TypeError):
        files.write_json(path, {"epoch": object()})  # not JSON: nothing written
    assert json.loads(path.read_text()) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["state.json"]


def test_atomic_path_suffix_and_a_block_that_writes_nothing(tmp_path):
    path = tmp_path / "clip.mp4"
    with files.atomic_path(path, suffix=".tmp.mp4") as tmp:
        assert tmp == str(path) + ".tmp.mp4"
    assert not path.exists()  # no temp file: nothing to rename
    with files.atomic_path(path, suffix=".tmp.mp4") as tmp:
        with open(tmp, "wb") as f:
            f.write(b"data")
    assert path.read_bytes() == b"data" and os.listdir(tmp_path) == ["clip.mp4"]


def test_differences_names_nested_keys():
    old = {"a": 1, "b": {"c": 2, "d": 3}}
    new = {"a": 1, "b": {"c": 5, "e": 4}}
    assert files.differences(old, new) == [
        "b.c: folder has 2, now 5", "b.d: folder has 3, now None", "b.e: folder has None, now 4"]
    assert files.differences(old, old) == []


def test_claim_folder_records_continues_and_refuses(tmp_path):
    folder = str(tmp_path / "job")
    assert files.claim_folder(folder, "settings.json", {"fps": 25}, _refuse) is False
    assert json.loads((tmp_path / "job" / "settings.json").read_text()) == {"fps": 25}
    assert files.claim_folder(folder, "settings.json", {"fps": 25}, _refuse) is True
    with pytest.raises(_Refused, match=r"other job \(fps: folder has 25, now 30\)"):
        files.claim_folder(folder, "settings.json", {"fps": 30}, _refuse)
    assert json.loads((tmp_path / "job" / "settings.json").read_text()) == {"fps": 25}


def test_claim_folder_without_writing_with_own_diff_and_reader(tmp_path):
    folder = str(tmp_path / "run")
    assert files.claim_folder(folder, "config.txt", {"n": 1}, _refuse, write=False) is False
    assert not os.path.exists(folder)
    os.makedirs(folder)
    (tmp_path / "run" / "config.txt").write_text("n=1 epochs=3")

    def read(path):
        with open(path) as f:
            return dict(item.split("=") for item in f.read().split())

    def diff(saved, wanted):  # epochs may change
        return [f"{k} differs" for k in wanted if k != "epochs" and saved.get(k) != wanted[k]]

    assert files.claim_folder(folder, "config.txt", {"n": "1", "epochs": "9"}, _refuse,
                              diff=diff, read=read, write=False) is True
    with pytest.raises(_Refused, match="n differs"):
        files.claim_folder(folder, "config.txt", {"n": "2"}, _refuse, diff=diff, read=read)


def test_claim_folder_lists_at_most_listed_differences(tmp_path):
    folder = str(tmp_path)
    files.claim_folder(folder, "r.json", {k: 0 for k in "abcdefg"}, _refuse)
    with pytest.raises(_Refused) as info:
        files.claim_folder(folder, "r.json", {k: 1 for k in "abcdefg"}, _refuse, listed=2)
    assert str(info.value) == "other job (a: folder has 0, now 1; b: folder has 0, now 1; ...)"
