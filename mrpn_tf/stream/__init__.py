"""Live emotion from a camera and a microphone, or any stream: `python -m mrpn_tf.stream`.

  source.py        a file or URL, or PyAV capture devices -> decoded frames with their times
  pacing.py        a file read at its recorded pace (`--realtime`)
  window_buffer.py the rolling window: the model's window of frames and samples, every hop
  window_crops.py  a window's face crops, made and decoded as prepare and predict make them
  scorer.py        a window -> its scores through the export's Predictor (predict's numbers)
  overlay.py       the emotion drawn over a frame; annotator.py: the annotated video
  report.py        per-hop latency distribution, real-time factor, kept up or not
  stop_signal.py   SIGTERM (docker stop, systemd) stops a run as Ctrl-C does
  session.py       wires them; __main__.py: the command line

The face is tracked frame by frame by data/media/live_face_track.py, with the detector, the
per-frame tracking steps and the crop `prepare` uses.
"""
