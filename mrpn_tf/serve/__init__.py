"""A local web app over an export: `python -m mrpn_tf.serve --model PATH` (docs/web.md).

  app.py             the routes: the page, the upload API, the live WebSocket
  upload.py          an uploaded file -> predict's answer (`Predictor.predict_file`)
  file_types.py      what an upload is, from its first bytes
  annotated_media.py the face track predict crops, and the annotated video or picture
  results.py         the one temp folder: uploads (removed once scored) and downloads
  live_protocol.py   the live WebSocket's messages
  live_source.py     a browser's camera and microphone as a stream source
  live_client.py     one live client through stream's own StreamSession
  shared_model.py    the loaded export every request shares, its model calls serialized
  limits.py          upload size and duration, concurrent work, how late live may run
  static/            the page: HTML, CSS and JavaScript, nothing from elsewhere

The server is an optional extra (`pip install ".[serve]"`: Starlette, uvicorn, websockets).
"""
