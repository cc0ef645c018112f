"""Where the station's captures come from when a trigger brings no image.

- :class:`FolderSource`: the captures of a folder, replayed in name order and looping (line trials,
  demos, replaying a shift's captures against a new recipe).
- :class:`CameraSource`: a camera through OpenCV's ``VideoCapture``: a USB index or an RTSP/HTTP URL,
  with the frame size and exposure requested where the driver supports them.
- :class:`IntervalTrigger`: a timer that triggers the station every N seconds from its source.

Uploaded captures (the HTTP API) need no source: they arrive as :class:`Capture` objects directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from openinspect.errors import ImageError
from openinspect.imaging import IMAGE_SUFFIXES, image_suffix
from openinspect.store.files import encode_png


class TriggerSource(StrEnum):
    """What started an inspection."""

    UPLOAD = "upload"
    """An image sent with the trigger (HTTP API)."""
    SOURCE = "source"
    """A capture taken from the station's capture source on an external trigger (HTTP, Modbus)."""
    TIMER = "timer"
    """The interval timer."""
    BATCH = "batch"
    """A batch job over files (``openinspect inspect --store``), on this machine or a Ray cluster."""


@dataclass(frozen=True)
class Capture:
    """One capture to judge: encoded bytes (an upload, a file) or decoded pixels (a camera frame)."""

    name: str
    data: bytes | None = None
    pixels: np.ndarray | None = None
    """``(H, W, 3)`` uint8 RGB."""

    def encoded(self) -> tuple[bytes, str]:
        """The capture as stored in the archive: the original bytes, or camera pixels as PNG."""
        if self.data is not None:
            return self.data, image_suffix(self.data) or ".img"
        assert self.pixels is not None, "a capture holds bytes or pixels"
        return encode_png(self.pixels), ".png"


class CaptureSource(Protocol):
    """Takes a capture on demand; called from one thread at a time."""

    def capture(self) -> Capture:
        """Take one capture.

        Raises:
            ImageError: no capture could be taken (camera gone, empty folder).
        """

    def close(self) -> None:
        """Release the device."""


class FolderSource:
    """The image files of a folder (and its sub-folders), in name order, starting over after the last."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        self._next = 0
        self._lock = threading.Lock()

    def capture(self) -> Capture:
        """The next file's bytes; its name is the path relative to the folder."""
        if not self._files:
            raise ImageError(f"capture folder {self.folder} holds no images "
                             f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        with self._lock:
            path = self._files[self._next % len(self._files)]
            self._next += 1
        try:
            return Capture(str(path.relative_to(self.folder)), data=path.read_bytes())
        except OSError as err:
            raise ImageError(f"cannot read capture {path}: {err.strerror}") from err

    def close(self) -> None:
        """Nothing to release."""


class CameraSource:
    """A camera read through OpenCV: a USB index (``0``) or a stream URL (``rtsp://``, ``http://``).

    Args:
        device: USB index or URL (a video file works too, which is how tests exercise this path).
        width: frame width to request, where supported.
        height: frame height to request, where supported.
        exposure: exposure to request in driver units, where supported.

    Raises:
        ImageError: the camera cannot be opened.
    """

    def __init__(self, device: int | str, width: int | None = None, height: int | None = None,
                 exposure: float | None = None) -> None:
        self.device = device
        self._camera = cv2.VideoCapture(device)
        if not self._camera.isOpened():
            raise ImageError(f"cannot open camera {device!r}: check the index or URL and that no other program "
                             f"holds it")
        # A one-frame buffer: a trigger gets the current frame, not one queued seconds ago (where supported).
        self._camera.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height),
                            (cv2.CAP_PROP_EXPOSURE, exposure)):
            if value is not None:
                self._camera.set(prop, float(value))
        self._frames = 0
        self._lock = threading.Lock()

    def capture(self) -> Capture:
        """Grab the current frame as ``(H, W, 3)`` uint8 RGB."""
        with self._lock:
            ok, frame = self._camera.read()
            self._frames += 1
            count = self._frames
        if not ok or frame is None:
            raise ImageError(f"camera {self.device!r} gave no frame (disconnected, or the stream ended)")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        return Capture(f"camera-{count:06d}", pixels=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))

    def close(self) -> None:
        """Release the camera."""
        with self._lock:
            self._camera.release()


def open_source(spec: str, width: int | None = None, height: int | None = None,
                exposure: float | None = None) -> CaptureSource:
    """The capture source a setting names: a folder, a camera index or a stream URL (or video file).

    Raises:
        ImageError: the camera cannot be opened.
    """
    if spec.isdigit():
        return CameraSource(int(spec), width, height, exposure)
    if "://" not in spec and Path(spec).is_dir():
        return FolderSource(Path(spec))
    return CameraSource(spec, width, height, exposure)


class IntervalTrigger:
    """Calls ``fire`` every ``interval_s`` seconds on its own thread until :meth:`stop`.

    A slow ``fire`` delays the next call rather than piling calls up; what ``fire`` raises is handed
    to ``on_error`` and the timer goes on.
    """

    def __init__(self, fire: Callable[[], object], interval_s: float,
                 on_error: Callable[[Exception], None]) -> None:
        self._fire = fire
        self._interval = interval_s
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openinspect-timer", daemon=True)

    def start(self) -> None:
        """Start firing."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._fire()
            except Exception as err:  # a failed trigger must not stop the timer
                self._on_error(err)

    def stop(self) -> None:
        """Stop firing and wait for the timer's thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
