"""Extractor pretraining (paper 4.2): FER-2013 expressions for F_v, speaker ID for F_a.

"The CNN in visual modality is initialized from a facial image expression recognition task,
the challenge FER2013. As for vocal modality, the CNN is pretrained on the voice recognition
task from VoxCeleb dataset." Each task trains the very ResNet-18 the MRPN branch builds (same
input shape and width) under a linear classifier, then saves the extractor's weights as a
`.weights.h5` file that `model.video_extractor_weights` / `model.audio_extractor_weights` name.

  pretrain_tasks.py      the two tasks, from their data to a saved extractor
  extractor_training.py  the shared part: extractor + classifier, fit, save the extractor
  fer2013.py             the FER-2013 CSV (emotion, pixels, Usage) as face-crop batches
  speakers.py            a VoxCeleb-layout folder (id/video/utterance.wav) as 1-s segments
"""
