"""Offline demo data set: synthetic audio-video emotion clips in RAVDESS naming.

`synthesize(out_dir)` writes the set; `default_demo_dir()` is where the offline demo caches it.
"""

from mrpn_tf.demo.demo_set import default_demo_dir, read_manifest, synthesize

__all__ = ["default_demo_dir", "read_manifest", "synthesize"]
