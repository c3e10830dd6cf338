# Training, prepare and predict on CPU:
#   docker build -t mrpn_tf .
#   docker run --rm -v $PWD/runs:/app/runs mrpn_tf                      # the offline demo
#   docker run --rm -v /data:/data mrpn_tf python -m mrpn_tf.prepare --dataset ravdess ...
# GPU: build with --build-arg REQUIREMENTS=requirements-gpu.txt and run with --gpus all.
FROM python:3.11-slim

# OpenCV (pulled in by MediaPipe) needs libGL and glib at import time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ARG REQUIREMENTS=requirements.txt
COPY requirements.txt requirements-base.txt requirements-gpu.txt ./
RUN pip install --no-cache-dir -r ${REQUIREMENTS}

COPY pyproject.toml README.md ./
COPY mrpn_tf ./mrpn_tf
COPY pipelines ./pipelines
RUN pip install --no-cache-dir --no-deps -e .

# Models and the demo data are cached here; mount it to keep them between runs.
ENV MRPN_CACHE=/cache
VOLUME ["/cache"]

CMD ["python", "-m", "mrpn_tf.train"]
