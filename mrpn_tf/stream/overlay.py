"""Draws the current emotion over a video frame: the label and a small bar chart.

A dark translucent panel in the top-left corner holds the top label and its probability, a
line saying which branch answered (or why none could), and one bar per class, the top one
highlighted. Sizes follow the frame's height, so a 360-p and a 1080-p video look alike. OpenCV
(already used for the crops) draws; nothing here depends on the model.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from mrpn_tf.stream.scorer import HopResult

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_WHITE = (255, 255, 255)
_GREY = (170, 170, 170)
_BAR = (90, 150, 230)  # RGB: blue bars
_TOP_BAR = (250, 190, 60)  # the top class in amber
_WARN = (255, 120, 100)
_PANEL_ALPHA = 0.6  # how dark the panel is: the face behind stays visible
_REFERENCE_HEIGHT = 360.0  # sizes below are for a 360-p frame, scaled with the height


def _text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float, color, thickness: int = 1) -> None:
    cv2.putText(image, text, origin, _FONT, scale, color, thickness, cv2.LINE_AA)


def _fit(text: str, scale: float, width: int) -> str:
    """`text`, cut short with "..." to fit `width` pixels at `scale`."""
    fitted = text
    while fitted and cv2.getTextSize(fitted, _FONT, scale, 1)[0][0] > width:
        fitted = fitted[:-1]
    return text if fitted == text else fitted[:-3] + "..."


def _status(result: Optional[HopResult], first_answer_s: float) -> tuple[str, str, tuple]:
    """(headline, detail line, detail colour) of the panel."""
    if result is None:
        return "listening...", f"first answer at {first_answer_s:.1f} s", _GREY
    if result.label is None:
        return "no answer", result.error, _WARN
    headline = f"{result.label} {result.probabilities[result.label]:.2f}"
    if result.fallback:
        return headline, f"{result.note.split(':')[0]}: {result.branch}", _WARN
    detail = f"face {result.face_ratio:.0%}, {result.branch}" if result.face else result.branch
    return headline, detail, _GREY


def draw(image: np.ndarray, result: Optional[HopResult], labels: list[str], first_answer_s: float) -> np.ndarray:
    """Draws the panel over an RGB frame, in place.

    Args:
      image: uint8 [H, W, 3] RGB, contiguous.
      result: the latest hop's answer, or None before the first one.
      labels: the model's classes, in its order.
      first_answer_s: when the first answer comes (shown before it).

    Returns:
      `image`.
    """
    height, width = image.shape[:2]
    unit = height / _REFERENCE_HEIGHT
    row = max(int(round(13 * unit)), 8)
    panel_w = min(width, max(int(round(190 * unit)), 120))
    panel_h = int(round(46 * unit)) + row * len(labels) + int(round(6 * unit))
    panel = image[:panel_h, :panel_w]
    panel[:] = (panel * (1 - _PANEL_ALPHA)).astype(np.uint8)
    headline, detail, detail_color = _status(result, first_answer_s)
    pad = int(round(6 * unit))
    bold = max(1, int(round(1.5 * unit)))
    _text(image, headline, (pad, int(round(22 * unit))), 0.65 * unit, _WHITE, bold)
    detail = _fit(detail, 0.36 * unit, panel_w - 2 * pad)
    _text(image, detail, (pad, int(round(38 * unit))), 0.36 * unit, detail_color)
    name_w = int(round(62 * unit))
    bar_max = panel_w - name_w - 2 * pad
    top = None if result is None or result.label is None else result.label
    for i, label in enumerate(labels):
        y = int(round(46 * unit)) + i * row
        p = 0.0 if top is None else result.probabilities[label]
        _text(image, label[:9], (pad, y + row - max(2, row // 4)), 0.34 * unit, _WHITE)
        x0 = pad + name_w
        cv2.rectangle(image, (x0, y + 2), (x0 + bar_max, y + row - 2), (60, 60, 60), -1)
        if p > 0:
            color = _TOP_BAR if label == top else _BAR
            cv2.rectangle(image, (x0, y + 2), (x0 + max(1, int(round(bar_max * p))), y + row - 2), color, -1)
    return image


def draw_face_box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Draws the face's crop box over an RGB frame, in place, in the top class's amber.

    Args:
      image: uint8 [H, W, 3] RGB, contiguous.
      box: [4] x0, y0, x1, y1 in the frame's pixels.

    Returns:
      `image`.
    """
    thickness = max(2, int(round(2 * image.shape[0] / _REFERENCE_HEIGHT)))
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    cv2.rectangle(image, (x0, y0), (x1, y1), _TOP_BAR, thickness, cv2.LINE_AA)
    return image
