"""tf.data input pipeline: per-clip preprocessing (pure tf functions) and its assembly.

One concept per module: `time_slicing` (paper 3.3 items 2 and 4), `spectrogram_segments`
(item 3), `video_frames` and `video_augmentation` (item 1), `pairing` (1.4 point 2),
`clip_validation` (bad input), `clip_features` (one clip -> model features), `batching`,
the two record sources, and `dataset_builder.build_dataset`, the single entry point.
"""
