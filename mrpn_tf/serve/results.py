"""The server's one temp folder: each request's upload and its downloads, in a folder of its own.

Every file the server writes lies under one folder made by `tempfile.mkdtemp` at start-up and
removed at shutdown. A request gets a subfolder named by a random token (128 bits: no client
can guess another's); its upload is removed as soon as it is scored, and what it produced for
download (the JSON, the annotated video or picture) stays until it expires or newer results
push it out, so a server that runs for weeks holds a bounded number of files.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from typing import Optional

# The files a result folder may hold for download, by name.
DOWNLOADS = ("result.json", "annotated.mp4", "annotated.png")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)


class ResultStore:
    """The temp folder and its result subfolders (module docstring).

    Args:
      ttl_s: seconds a result stays downloadable.
      max_results: results kept at most; the oldest go first.
    """

    def __init__(self, ttl_s: float, max_results: int):
        self.root = tempfile.mkdtemp(prefix="mrpn_serve_")
        self.ttl_s = ttl_s
        self.max_results = max_results
        self._created: dict[str, float] = {}  # token -> time.monotonic() of its creation
        self._lock = threading.Lock()

    def new(self) -> tuple[str, str]:
        """A new result folder: (token, path). Expired and excess results are removed first."""
        token = secrets.token_urlsafe(16)
        folder = os.path.join(self.root, token)
        with self._lock:
            self._sweep(keep=self.max_results - 1)
            os.mkdir(folder, 0o700)
            self._created[token] = time.monotonic()
        return token, folder

    def path(self, token: str, name: str) -> Optional[str]:
        """The file `name` of result `token`, or None when there is no such download."""
        if name not in DOWNLOADS or not _TOKEN.match(token):
            return None
        with self._lock:
            self._sweep(keep=self.max_results)
            if token not in self._created:
                return None
        path = os.path.join(self.root, token, name)
        return path if os.path.isfile(path) else None

    def discard(self, token: str) -> None:
        """Removes a result at once (a request that failed leaves nothing behind)."""
        with self._lock:
            self._created.pop(token, None)
            shutil.rmtree(os.path.join(self.root, token), ignore_errors=True)

    def _sweep(self, keep: int) -> None:
        now = time.monotonic()
        by_age = sorted(self._created, key=self._created.get)
        excess = max(len(by_age) - keep, 0)
        for i, token in enumerate(by_age):
            if i < excess or now - self._created[token] > self.ttl_s:
                del self._created[token]
                shutil.rmtree(os.path.join(self.root, token), ignore_errors=True)

    def close(self) -> None:
        """Removes the whole folder."""
        with self._lock:
            self._created.clear()
            shutil.rmtree(self.root, ignore_errors=True)
