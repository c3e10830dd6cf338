"""The README's REST request and Python client, answered by the exported SavedModel.

No Docker engine runs here, so TF Serving's REST front end is emulated: the JSON body is
decoded, each input becomes a tensor of the dtype the signature declares (as TF Serving does
from the SignatureDef), the named signature of `tf.saved_model.load` runs, and the outputs go
back as JSON. The client code is the README's, executed as written.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

from mrpn_tf.inference import signature_keys as keys
from tests.export import media_files

SERVING_DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "serving.md")
PREDICT_URL = re.compile(r"/v1/models/(?P<name>[^/:]+):predict$")


def readme_client() -> str:
    """The Python REST client of docs/serving.md (the README links it)."""
    with open(SERVING_DOC) as f:
        return re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)


def json_value(tensor: tf.Tensor):
    """A tensor as TF Serving writes it in JSON: nested lists, strings as text."""
    value = tensor.numpy()
    return np.char.decode(value.astype(bytes)).tolist() if tensor.dtype == tf.string else value.tolist()


def serve_rest(loaded, model_name: str):
    """An `urlopen` that answers `POST /v1/models/<name>:predict` like TF Serving's REST API."""

    def urlopen(request: urllib.request.Request):
        match = PREDICT_URL.search(request.full_url)
        assert match and match["name"] == model_name and request.get_method() == "POST"
        body = json.loads(request.data)
        signature = loaded.signatures[body.get("signature_name", keys.SERVING_DEFAULT)]
        specs = signature.structured_input_signature[1]
        inputs = {k: tf.constant(v, dtype=specs[k].dtype) for k, v in body["inputs"].items()}
        outputs = {key: json_value(value) for key, value in signature(**inputs).items()}
        return io.BytesIO(json.dumps({"outputs": outputs}).encode())

    return urlopen


def test_readme_client_gets_the_savedmodel_answer(loaded, tiny_run, shared_dir, tmp_path, monkeypatch, capsys, face_model_path):
    monkeypatch.setenv("MRPN_FACE_MODEL", face_model_path)
    video = media_files.write_variants(media_files.cremad_clips(shared_dir)[1], str(tmp_path))["mp4"]
    code = readme_client().replace("runs/demo/config.yaml", os.path.join(tiny_run.run_dir, "config.yaml"))
    code = code.replace('"clip.mp4"', repr(video))
    monkeypatch.setattr(urllib.request, "urlopen", serve_rest(loaded, "mrpn"))
    exec(compile(code, "docs/serving.md", "exec"), {})
    label, probabilities = capsys.readouterr().out.strip().split(" ", 1)
    assert label in tiny_run.labels
    scores = ast.literal_eval(probabilities)  # the client prints a dict class -> probability
    assert list(scores) == tiny_run.labels and sum(scores.values()) == pytest.approx(1.0, abs=1e-4)
    assert max(scores, key=scores.get) == label
