"""Export for serving: writes the SavedModel (TF Serving layout) and the static-window TFLite files.

    python -m mrpn_tf.export --run RUN_DIR [--name NAME] [--version N] [--out DIR]

One concept per module: `run_export` (the folder layout and its assembly), `serving_module`
(the SavedModel's signatures) with `input_specs` (their input specs), `window_model` (the
static, unrolled model), `raw_window_model` (the same behind the preprocessing, for the
raw-input files), `tflite_export` (conversion) and `representative_data` (int8 calibration).
What reads the artifacts back and scores clips is `mrpn_tf.inference`.
"""
