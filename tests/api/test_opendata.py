"""Open data (issue 16): the worker's daily files (CSV for Russian Excel, JSON), the page that lists them,
the schedule bootstrap installs."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api import opendata as writer
from api.datasets import COLUMNS
from api.models import OpenDataFile
from messages import services
from stats.opendata import FIGURES_DATASET
from stats.services import refresh_rollups
from tests.factories import registered, submit


@pytest.fixture
def day_of_messages(citizen, moderator, executor, category):
    answered = registered(citizen, category, moderator)
    services.message_answer(message=answered, actor=executor, kind="solved", text="Заделано; спасибо.")
    registered(citizen, category, moderator)
    submit(citizen, category, text="На модерации")
    refresh_rollups()
    return timezone.localdate()


def read(name):
    with writer.storage().open(name, "rb") as handle:
        return handle.read()


def test_messages_csv_opens_in_russian_excel(day_of_messages):
    writer.write_day(day_of_messages)
    row = OpenDataFile.objects.get(dataset="messages", format="csv")
    content = read(row.name)
    assert content.startswith("\ufeff".encode())  # the BOM Excel needs to take UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [name for name, _ in COLUMNS]
    assert len(rows) - 1 == row.rows == 2  # the two public messages, not the one on moderation
    answered = next(r for r in rows[1:] if r[rows[0].index("answer_kind")] == "solved")
    assert answered[rows[0].index("answer_text")] == "Заделано; спасибо."  # quoted: `;` inside survives
    assert row.size == len(content)


def test_messages_json(day_of_messages):
    writer.write_day(day_of_messages)
    row = OpenDataFile.objects.get(dataset="messages", format="json")
    document = json.loads(read(row.name))
    assert document["dataset"] == "messages" and document["date"] == day_of_messages.isoformat()
    assert [c["name"] for c in document["columns"]] == [name for name, _ in COLUMNS]
    assert len(document["rows"]) == row.rows == 2
    assert set(document["rows"][0]) == {name for name, _ in COLUMNS}


def test_figures_by_day_category_and_organisation(day_of_messages):
    writer.write_day(day_of_messages)
    row = OpenDataFile.objects.get(dataset="figures", format="json")
    document = json.loads(read(row.name))
    assert [c["name"] for c in document["columns"]] == [name for name, _ in FIGURES_DATASET.columns]
    by_org = {r["organization_code"]: r for r in document["rows"]}
    # Counted for the message's executing organisation, as on the statistics page; none while on moderation.
    assert by_org[""]["received"] == 1 and by_org[""]["registered"] == 0
    assert by_org["adm"]["received"] == by_org["adm"]["registered"] == 2
    assert by_org["adm"]["answered"] == by_org["adm"]["answered_solved"] == 1
    assert all(
        r["category_code"] == "potholes" and r["date"] == day_of_messages.isoformat()
        for r in document["rows"]
    )


def test_the_nightly_task_writes_missing_days_once(day_of_messages):
    tomorrow = timezone.now() + timedelta(days=1)
    assert writer.write_missing(now=tomorrow) == 2 * 2 * (writer.CATCH_UP_DAYS + 1)
    assert writer.write_missing(now=tomorrow) == 0  # nothing is written twice
    file = OpenDataFile.objects.get(dataset="messages", format="csv", day=day_of_messages)
    assert file.rows == 2


def test_the_page_lists_files_with_date_rows_and_columns(client, day_of_messages):
    writer.write_day(day_of_messages)
    response = client.get("/opendata/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Опубликованные сообщения" in html and "Показатели рассмотрения сообщений" in html
    csv_file = OpenDataFile.objects.get(dataset="messages", format="csv")
    assert f'href="/opendata/{csv_file.name}"' in html
    assert "<code>answer_kind</code>" in html and "<code>first_answer_on_time</code>" in html
    download = client.get(f"/opendata/{csv_file.name}")
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == read(csv_file.name)
    assert client.get("/opendata/messages/../../etc/passwd").status_code == 404


def test_bootstrap_installs_the_schedule(reference_data):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="api.tasks.write_open_data")
    assert schedule.schedule_type == Schedule.DAILY


def test_the_command_writes_a_range(day_of_messages):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "opendata_write",
        "--from",
        str(day_of_messages - timedelta(days=1)),
        "--to",
        str(day_of_messages),
        stdout=out,
    )
    assert OpenDataFile.objects.filter(day=day_of_messages - timedelta(days=1)).count() == 4
    assert OpenDataFile.objects.get(day=day_of_messages, dataset="messages", format="csv").rows == 2
    assert "строк" in out.getvalue()
