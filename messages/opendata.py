"""The open-data sets (issue 16): what each daily file holds, registered by the face that knows it.

The open-data face (api/) writes the files and lists them on /opendata/; the public messages are its own
set, the §8.1 figures are the statistics face's (stats/opendata.py). Faces may not import each other, so
each registers its set here in its AppConfig.ready(), like the pages of messages/links.py.

A set is a name, a Russian title and description, its columns (name → Russian documentation) and
`rows(day)`, which yields one dict per row of that Moscow day. No set may hold personal data: the files
are public and kept for good.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Dataset:
    name: str  # a slug: the files are named <name>-<YYYY-MM-DD>.csv / .json
    title: str
    description: str
    columns: tuple[tuple[str, str], ...]  # (column, what it holds)
    rows: Callable[[date], Iterable[dict[str, Any]]]


_datasets: dict[str, Dataset] = {}


def register(dataset: Dataset) -> None:
    _datasets[dataset.name] = dataset


def datasets() -> list[Dataset]:
    return sorted(_datasets.values(), key=lambda d: d.title)
