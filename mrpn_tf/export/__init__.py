"""Export for serving: SavedModel (TF Serving layout), static-window TFLite files, predict.

    python -m mrpn_tf.export --run RUN_DIR [--name NAME] [--version N] [--out DIR]

One concept per module: `run_export` (the folder layout and its assembly), `serving_module`
(the SavedModel's signatures) with `serving_preprocessing` (raw clip -> features in the graph)
and `input_specs` / `signature_keys` (names and specs), `windowing` (the TFLite window and
clip aggregation), `window_model` (the static, unrolled model), `raw_window_model` (the same
behind the preprocessing, for the raw-input files), `tflite_export` (conversion),
`representative_data` (int8 calibration), `metadata` (labels.txt, metadata.json), and
`predictor` (SavedModel and TFLite behind one interface, used by `python -m mrpn_tf.predict`).
"""
