"""The demo's cached prepared folder: keyed by everything that changes its shards."""

from mrpn_tf.config import config as config_lib
from mrpn_tf.demo import demo_set
from mrpn_tf.demo import demo_run


def test_prepared_folder_follows_the_cache_and_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MRPN_CACHE", str(tmp_path))
    config = config_lib.tiny()
    first = demo_run.prepared_dir_for(config)
    assert first.startswith(str(tmp_path / "prepared" / "demo-"))
    assert demo_run.prepared_dir_for(config_lib.tiny()) == first
    config.video.crop_size += 16
    assert demo_run.prepared_dir_for(config) != first


def test_a_new_generator_version_gets_new_shards(monkeypatch, tmp_path):
    # The generator rewrites the clips of an older version in place; shards prepared from the
    # old clips must not be read for the new ones.
    monkeypatch.setenv("MRPN_CACHE", str(tmp_path))
    before = demo_run.prepared_dir_for(config_lib.tiny())
    monkeypatch.setattr(demo_set, "GENERATOR_VERSION", demo_set.GENERATOR_VERSION + 1)
    assert demo_run.prepared_dir_for(config_lib.tiny()) != before
