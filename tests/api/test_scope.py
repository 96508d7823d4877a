"""Nothing private leaks through the API or the open-data files (issue 16), in the permission matrix's
spirit: one scene with every kind of secret, every endpoint and file read, and a proof that the check
would catch an unscoped read."""

import pytest
from django.test import Client
from django.utils import timezone

from api import opendata as writer
from api import selectors as api_selectors
from messages import services
from messages.models import Message
from tests.factories import UserFactory, registered, submit

SECRET_TEXTS = {
    "submitted": "СЕКРЕТ-на-модерации",
    "rejected": "СЕКРЕТ-отклонено",
    "withdrawn": "СЕКРЕТ-отозвано",
}


@pytest.fixture
def secrets_scene(world, moderator, executor, category):
    from directory.models import RejectionReason

    author = UserFactory(email="secret.author@example.ru", full_name="Тайнова Тайна Тайновна")
    author.show_name_publicly = True
    author.save()
    # Public messages whose author chose to show the name: the portal page shows it, the API never does.
    public = registered(author, category, moderator, show_author_name=True)
    services.message_answer(message=public, actor=executor, kind="solved", text="Сделано.")
    services.message_rate(message=public, actor=author, positive=False, remarks="ЗАМЕЧАНИЕ-не-проверено")
    hidden_remarks = registered(author, category, moderator, show_author_name=True)
    services.message_answer(message=hidden_remarks, actor=executor, kind="solved", text="Сделано.")
    services.message_rate(
        message=hidden_remarks, actor=author, positive=False, remarks="ЗАМЕЧАНИЕ-скрыто-модератором"
    )
    rating = hidden_remarks.ratings.get()
    services.rating_remarks_review(rating=rating, actor=moderator, decision=services.RemarksDecision.HIDE)
    submitted = submit(author, category, text=SECRET_TEXTS["submitted"])
    rejected = submit(author, category, text=SECRET_TEXTS["rejected"])
    services.message_reject(
        message=rejected, actor=moderator, reasons=list(RejectionReason.objects.filter(code="obscene"))
    )
    withdrawn = submit(author, category, text=SECRET_TEXTS["withdrawn"])
    services.message_withdraw(message=withdrawn, actor=author)
    return {
        "author": author,
        "public": [public, hidden_remarks],
        "private": [submitted, rejected, withdrawn],
        "secrets": [
            author.email,
            author.full_name,
            "moderator@adm.ru",
            "executor@adm.ru",
            "ЗАМЕЧАНИЕ-не-проверено",
            "ЗАМЕЧАНИЕ-скрыто-модератором",
            *SECRET_TEXTS.values(),
        ],
    }


def everything_published(scene):
    """Every API answer (both formats, every endpoint, every number asked for) and every open-data file."""
    client = Client()
    numbers = [m.number for m in scene["public"] + scene["private"]]
    bodies = []
    for fmt in ("json", "xml"):
        for path in ("discovery", "services", "services/potholes", "requests"):
            bodies.append(client.get(f"/open311/v2/{path}.{fmt}").content)
        for status in ("open", "closed", "open,closed"):
            bodies.append(client.get(f"/open311/v2/requests.{fmt}", {"status": status}).content)
        bodies.append(
            client.get(f"/open311/v2/requests.{fmt}", {"service_request_id": ",".join(numbers)}).content
        )
        for number in numbers:
            bodies.append(client.get(f"/open311/v2/requests/{number}.{fmt}").content)
    writer.write_day(timezone.localdate())
    page = client.get("/opendata/")
    bodies.append(page.content)
    for row in page.context["sets"]:
        for _, formats in row["days"]:
            for file in formats.values():
                response = client.get(f"/opendata/{file.name}")
                assert response.status_code == 200
                bodies.append(b"".join(response.streaming_content))
    return b"\n".join(bodies).decode()


def leaks(scene, text):
    found = [secret for secret in scene["secrets"] if secret in text]
    for message in scene["private"]:
        if f'"{message.number}"' in text or f">{message.number}<" in text or f"{message.number};" in text:
            found.append(message.number)
    return found


def test_nothing_private_leaks_through_any_endpoint_or_file(secrets_scene):
    text = everything_published(secrets_scene)
    for message in secrets_scene["public"]:
        assert message.number in text  # the public ones are there
    assert leaks(secrets_scene, text) == []


def test_the_check_catches_an_unscoped_read(secrets_scene, monkeypatch):
    """The same walk with the public selector swapped for every message finds the private ones."""
    original = api_selectors.public_requests

    def unscoped():
        return (
            original()
            .model.objects.select_related("category__topic", "executing_organization")
            .prefetch_related("answers", "photos")
        )

    monkeypatch.setattr(api_selectors, "public_requests", unscoped)
    found = leaks(secrets_scene, everything_published(secrets_scene))
    assert SECRET_TEXTS["submitted"] in found and SECRET_TEXTS["rejected"] in found
    assert Message.objects.count() == 5
