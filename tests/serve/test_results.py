"""The server's temp folder: results by unguessable token, only the known downloads, expired
and excess results removed, nothing left at shutdown."""

from __future__ import annotations

import os
import time

from mrpn_tf.serve import results


def test_a_result_is_found_by_its_token_and_name_only():
    store = results.ResultStore(ttl_s=60, max_results=4)
    token, folder = store.new()
    assert os.path.dirname(folder) == store.root and len(token) == 22
    with open(os.path.join(folder, "result.json"), "w") as f:
        f.write("{}")
    assert store.path(token, "result.json") == os.path.join(folder, "result.json")
    assert store.path(token, "annotated.mp4") is None  # not written
    assert store.path(token, "../" + token + "/result.json") is None
    assert store.path("x" * 22, "result.json") is None
    assert store.path("../../etc", "result.json") is None
    store.close()
    assert not os.path.exists(store.root)


def test_old_and_excess_results_are_removed():
    store = results.ResultStore(ttl_s=0.2, max_results=2)
    first, first_folder = store.new()
    second, _ = store.new()
    third, _ = store.new()  # the oldest goes to keep two
    assert not os.path.exists(first_folder)
    time.sleep(0.3)
    fourth, _ = store.new()
    assert sorted(os.listdir(store.root)) == [fourth]
    store.discard(fourth)
    assert os.listdir(store.root) == []
    store.close()
