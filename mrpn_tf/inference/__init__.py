"""The inference layer: how a clip is cut, preprocessed and scored, by every backend.

`predict`, `stream`, evaluation and `export` all import it; it imports none of them.

  clip_loader            a file -> face crops and a 16-kHz waveform, as `prepare` decodes it
  windowing              the static windows a clip is cut into, and how their scores combine
  serving_preprocessing  raw windows -> model features (the SavedModel graph runs it)
  window_scoring         the one scoring path of evaluation, calibration and predict
  signature_keys         the exported signatures' names and inputs
  metadata               labels.txt / metadata.json of an export, and the config inside it
  predictor              a SavedModel or a .tflite behind one interface (`predict`, `stream`)
"""
