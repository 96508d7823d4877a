"""Writing the daily open-data files (issue 16): every registered set (messages/opendata.py) as CSV and JSON.

CSV like the statistics' downloads (stats/exports.py): UTF-8 with a byte-order mark, `;` between fields,
a decimal comma — what Excel with Russian regional settings opens by double-click. JSON: the set's name,
day, columns and rows. Written by the worker every night for the day before (Moscow); a day is written
again only if asked (`manage.py opendata_write --day`), so a file, once listed, does not change under a
reader.
"""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from directory.workdays import local_date
from messages import opendata

from .models import OpenDataFile

CATCH_UP_DAYS = 7  # a worker that was down this long still writes every missed day


def storage():
    return storages["opendata"]


def _csv(dataset, rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([name for name, _ in dataset.columns])
    for row in rows:
        writer.writerow([_csv_value(row[name]) for name, _ in dataset.columns])
    return buffer.getvalue().encode("utf-8")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, (float, Decimal)):
        return str(value).replace(".", ",")
    return str(value)


def _json(dataset, day, rows):
    document = {
        "dataset": dataset.name,
        "title": dataset.title,
        "date": day.isoformat(),
        "columns": [{"name": name, "description": doc} for name, doc in dataset.columns],
        "rows": rows,
    }
    return json.dumps(document, ensure_ascii=False, default=_json_value, indent=None).encode()


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value)} is not JSON")


def write_day(day: date, *, now=None) -> list[OpenDataFile]:
    """Write (or write again) the files of every set for one Moscow day."""
    now = now or timezone.now()
    written = []
    for dataset in opendata.datasets():
        rows = list(dataset.rows(day))
        for fmt, content in (("csv", _csv(dataset, rows)), ("json", _json(dataset, day, rows))):
            name = f"{dataset.name}/{dataset.name}-{day.isoformat()}.{fmt}"
            if storage().exists(name):
                storage().delete(name)
            stored = storage().save(name, ContentFile(content))
            row, _ = OpenDataFile.objects.update_or_create(
                dataset=dataset.name,
                day=day,
                format=fmt,
                defaults={"name": stored, "rows": len(rows), "size": len(content), "created_at": now},
            )
            written.append(row)
    return written


def write_missing(*, now=None) -> int:
    """The nightly task: every day of the last CATCH_UP_DAYS (up to yesterday) that has no files yet."""
    now = now or timezone.now()
    yesterday = local_date(now) - timedelta(days=1)
    done = set(
        OpenDataFile.objects.filter(day__gte=yesterday - timedelta(days=CATCH_UP_DAYS)).values_list(
            "day", "dataset"
        )
    )
    names = {d.name for d in opendata.datasets()}
    count = 0
    for back in range(CATCH_UP_DAYS, -1, -1):
        day = yesterday - timedelta(days=back)
        if {(day, name) for name in names} - done:
            count += len(write_day(day, now=now))
    return count
