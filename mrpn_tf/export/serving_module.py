"""The SavedModel's tf.Module: the central branch and the side heads behind four signatures.

Paper 3.1, observations 2 and 4: at test time only the central branch is active, without
dropout; `testing_mode.inference_model` gives it, sharing the trained weights. For N1 / N2 the side
heads (eqs. 8-9) are kept as separate signatures, to score a clip missing a modality.

  serving_default  raw clip (frames, num_frames, waveform, num_samples) -> central branch,
                   the evaluation preprocessing inside the graph (serving_preprocessing.py)
  features         model features (video, video_mask, audio, audio_mask) -> central branch
  video_only       raw frames -> video side head (N1 / N2 only)
  audio_only       raw waveform -> audio side head (N1 / N2 only)

Every signature returns `probabilities` float32 [B, C], `classes` string [B, C] (the class
names, in output order, for each clip: TF Serving's classification convention) and `label`
string [B] (the most probable class).
"""

from __future__ import annotations

from typing import Callable, Sequence

import keras
import tensorflow as tf

from mrpn_tf.config import config as config_lib
from mrpn_tf.export import input_specs
from mrpn_tf.inference import serving_preprocessing
from mrpn_tf.inference import signature_keys
from mrpn_tf.model import testing_mode


class ServingModule(tf.Module):
    """The exported graph of a trained model (module docstring).

    Args:
      model: the trained full model (all heads), built by `mrpn_tf.model.build_model`.
      config: the run's resolved config (preprocessing constants).
      labels: class names in output order.
      assets: files to ship in the SavedModel's assets/ (labels.txt, metadata.json).
    """

    def __init__(
        self,
        model: keras.Model,
        config: config_lib.Config,
        labels: Sequence[str],
        assets: Sequence[str] = (),
    ):
        super().__init__(name="mrpn_serving")
        self.config = config
        self.labels = list(labels)
        self.heads = testing_mode.branch_heads(model)
        self.central = testing_mode.inference_model(model)
        self.side_heads = testing_mode.side_head_models(model)
        self.assets = [tf.saved_model.Asset(path) for path in assets]
        self.raw_specs = input_specs.raw_specs(self.heads, config)
        self.feature_specs = input_specs.feature_specs(self.heads, config)
        # Unknown-rank signatures, checked inside (serving_preprocessing.py says why).
        self.serving_default = tf.function(
            self._serve_raw, input_signature=[serving_preprocessing.relaxed(self.raw_specs)]
        )
        self.features = tf.function(
            self._serve_features,
            input_signature=[serving_preprocessing.relaxed(self.feature_specs)],
        )
        self.side_signatures = {
            signature_keys.SIDE_HEAD_SIGNATURES[head]: tf.function(
                self._side_head_fn(head),
                input_signature=[
                    serving_preprocessing.relaxed(input_specs.raw_specs([head], config))
                ],
            )
            for head in self.side_heads
        }

    def _outputs(self, probabilities: tf.Tensor) -> dict[str, tf.Tensor]:
        """Probabilities with the class names and the top-1 label of each clip."""
        classes = tf.constant(self.labels)
        batch = tf.shape(probabilities)[0]
        return {
            signature_keys.PROBABILITIES: probabilities,
            signature_keys.CLASSES: tf.tile(classes[None], [batch, 1]),
            signature_keys.LABEL: tf.gather(classes, tf.argmax(probabilities, axis=-1)),
        }

    def _central(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        (probabilities,) = self.central(inputs, training=False).values()
        return self._outputs(probabilities)

    def _serve_raw(self, raw: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        raw = serving_preprocessing.check_raw(raw, self.raw_specs, signature_keys.SERVING_DEFAULT)
        return self._central(serving_preprocessing.raw_to_features(raw, self.heads, self.config))

    def _serve_features(self, inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        inputs = serving_preprocessing.check_shapes(
            inputs, self.feature_specs, signature_keys.FEATURES
        )
        return self._central(inputs)

    def _side_head_fn(self, head: str) -> Callable[[dict], dict]:
        side_model = self.side_heads[head]
        name = signature_keys.SIDE_HEAD_SIGNATURES[head]
        specs = input_specs.raw_specs([head], self.config)

        def serve(raw: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
            raw = serving_preprocessing.check_raw(raw, specs, name)
            inputs = serving_preprocessing.raw_to_features(raw, [head], self.config)
            (probabilities,) = side_model(inputs, training=False).values()
            return self._outputs(probabilities)

        return serve

    def signatures(self) -> dict[str, tf.types.experimental.ConcreteFunction]:
        """Signature name -> concrete function, for `tf.saved_model.save(signatures=...)`."""
        functions = {
            signature_keys.SERVING_DEFAULT: self.serving_default,
            signature_keys.FEATURES: self.features,
            **self.side_signatures,
        }
        return {name: fn.get_concrete_function() for name, fn in functions.items()}


def save(module: ServingModule, path: str) -> str:
    """Writes `module` as a SavedModel with its signatures; returns `path`."""
    tf.saved_model.save(module, path, signatures=module.signatures())
    return path
