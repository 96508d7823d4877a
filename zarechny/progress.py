"""Progress of long commands (`stats_refresh --full`, `backup`, the benchmark loaders).

On a terminal: a tqdm bar with rate and time left. Anywhere else (a pipe, a log file, journald, cron):
plain lines, one at the start, one per tenth of the work and one at the end, with the elapsed time and an
estimate — no carriage returns, no escape sequences, so logs stay readable.

    with progress(total, "сообщения", stream=self.stdout) as bar:
        for chunk in chunks:
            ...
            bar.update(len(chunk))
"""

from __future__ import annotations

import time
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Progress: ...

    def __exit__(self, *exc: object) -> None: ...


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or no such method (Django's OutputWrapper has one)
        return False


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class PlainProgress:
    """Line-by-line progress for non-terminals: start, every `step` of the total, and the end."""

    def __init__(self, total: int | None, desc: str, stream: TextIO, unit: str, steps: int = 10):
        self.total = total
        self.desc = desc
        self.stream = stream
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self._steps = steps
        self._next_step = 1
        self._closed = False
        self._line(f"{desc}: start" + (f", {self._amount(total)}" if total is not None else ""))

    def _amount(self, n: int | None) -> str:
        if n is None:
            return "?"
        if self.unit == "B":
            return _bytes(n)
        return f"{n:,}".replace(",", " ") + f" {self.unit}"

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        flush = getattr(self.stream, "flush", None)
        if flush:
            flush()

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.total:
            return
        reached = self.done * self._steps // self.total
        if reached >= self._next_step and self.done < self.total:
            self._next_step = reached + 1
            elapsed = time.monotonic() - self.started
            left = elapsed * (self.total - self.done) / self.done
            self._line(
                f"{self.desc}: {self._amount(self.done)} of {self._amount(self.total)} "
                f"({100 * self.done // self.total} %), {_duration(elapsed)} elapsed, "
                f"about {_duration(left)} left"
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        elapsed = time.monotonic() - self.started
        self._line(f"{self.desc}: done, {self._amount(self.done)} in {_duration(elapsed)}")

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover


def progress(total: int | None, desc: str, *, stream: Any, unit: str = "it") -> Progress:
    """A bar on a terminal, plain lines elsewhere. `unit="B"` shows bytes (KB, MB …)."""
    # Django's OutputWrapper adds a newline to every write, which would break the bar's carriage returns.
    stream = getattr(stream, "_out", stream)
    if _is_terminal(stream):
        from tqdm import tqdm

        return tqdm(  # type: ignore[no-any-return]
            total=total,
            desc=desc,
            file=stream,
            unit=unit,
            unit_scale=unit == "B",
            unit_divisor=1024 if unit == "B" else 1000,
            dynamic_ncols=True,
            mininterval=0.5,
        )
    return PlainProgress(total, desc, stream, unit)


class ProgressCallback:
    """A `progress(done, total)` callback (what services take, keeping them free of any display) shown as
    `progress()` shows it; the bar starts at the first call, when the total is known."""

    def __init__(self, desc: str, *, stream: Any, unit: str = "it"):
        self.desc = desc
        self.stream = stream
        self.unit = unit
        self.bar: Progress | None = None
        self.done = 0

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = progress(total, self.desc, stream=self.stream, unit=self.unit)
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> ProgressCallback:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
