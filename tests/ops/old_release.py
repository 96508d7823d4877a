"""The database of the previous release, with data: `python -m tests.ops.old_release` migrates the database
of DATABASE_URL to the migrations of the last landed release (PREVIOUS_RELEASE) and writes a public message with a photo, an answer, a negative rating and a
support through the models *of that state* (historical models: today's would name columns that do not
exist yet). Prints JSON: the targets and what the smoke requests should find. Used by test_upgrade.py.
"""

import io
import json
import uuid
from datetime import timedelta

PROJECT_APPS = ("accounts", "directory", "citizen_messages", "stats", "zarechny")


# The newest migration of each project app in the last landed release (main at 81dd45c, issues 10–12).
# Bump it when a release lands; an app that did not exist then is simply created by the upgrade.
PREVIOUS_RELEASE = {
    "accounts": "0004_outbound_email",
    "directory": "0001_initial",
    "citizen_messages": "0005_digest_notices_skipped",
    "stats": "0002_rebuild_rollups",
    "zarechny": "0001_cache_table",
}


def previous_targets(loader):
    targets, newest = [], {}
    for app in PROJECT_APPS:
        (leaf,) = loader.graph.leaf_nodes(app)
        newest[app] = leaf[1]
        targets.append((app, PREVIOUS_RELEASE[app]))
    return targets, newest


def jpeg(color):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def write_data(apps):
    from django.conf import settings
    from django.utils import timezone

    now = timezone.now()
    Organization = apps.get_model("directory", "Organization")
    Topic = apps.get_model("directory", "Topic")
    Category = apps.get_model("directory", "Category")
    Official = apps.get_model("directory", "Official")
    User = apps.get_model("accounts", "User")
    Message = apps.get_model("citizen_messages", "Message")
    MessageEvent = apps.get_model("citizen_messages", "MessageEvent")
    Photo = apps.get_model("citizen_messages", "Photo")
    Answer = apps.get_model("citizen_messages", "Answer")
    Rating = apps.get_model("citizen_messages", "Rating")
    Support = apps.get_model("citizen_messages", "Support")

    org = Organization.objects.create(key="upgrade-org", name="МКУ «Проверка обновления»", short_name="МКУ")
    topic = Topic.objects.create(key="upgrade-topic", name="Дороги (обновление)")
    category = Category.objects.create(
        key="upgrade-potholes", topic=topic, name="Ямы (обновление)", responsible_organization=org
    )
    author = User.objects.create(email="author@upgrade.example", full_name="Автор Обновления")
    official_user = User.objects.create(email="executor@upgrade.example", full_name="Исполнитель")
    executor = Official.objects.create(
        user=official_user, organization=org, position="инженер", role="executor"
    )
    supporter = User.objects.create(email="supporter@upgrade.example")
    message = Message.objects.create(
        number=f"{now.year}-9000001",
        author=author,
        category=category,
        text="Яма у подъезда (данные до обновления)",
        occurred_at=now - timedelta(days=3),
        address="ул. Ленина, 1",
        state="rework",
        submitted_at=now - timedelta(days=3),
        registration_due=now,
        registered_at=now - timedelta(days=2),
        executing_organization=org,
        answer_due=now + timedelta(days=14),
        answered_at=now - timedelta(days=1),
        rework_count=1,
        support_count=1,
    )
    for kind, to_state, ago, data in (
        ("submitted", "submitted", 3, {}),
        ("registered", "registered", 2, {"organization": org.pk, "category": category.pk}),
        ("answered", "answered", 1, {"kind": "solved"}),
        ("rated_negative", "rework", 0, {"rework_count": 1}),
    ):
        MessageEvent.objects.create(
            message=message,
            kind=kind,
            to_state=to_state,
            created_at=now - timedelta(days=ago),
            data=data,
            is_public=kind != "submitted",
        )
    token = uuid.uuid4()
    private = settings.PRIVATE_MEDIA_ROOT
    private.mkdir(parents=True, exist_ok=True)
    thumbnail = jpeg((10, 120, 200))
    (private / f"{token.hex}.jpg").write_bytes(jpeg((10, 120, 200)))
    (private / f"{token.hex}_thumb.jpg").write_bytes(thumbnail)
    Photo.objects.create(
        message=message,
        token=token,
        image=f"{token.hex}.jpg",
        thumbnail=f"{token.hex}_thumb.jpg",
        source_format="JPEG",
        width=64,
        height=48,
    )
    answer = Answer.objects.create(
        message=message,
        kind="solved",
        text="Яма заделана.",
        author=executor,
        organization=org,
        created_at=now - timedelta(days=1),
    )
    Rating.objects.create(
        message=message, answer=answer, author=author, positive=False, remarks="Не заделана.", created_at=now
    )
    Support.objects.create(message=message, user=supporter, created_at=now)
    return {"number": message.number, "photo": str(token), "thumbnail_size": len(thumbnail)}


def main():
    import django

    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    targets, newest = previous_targets(executor.loader)
    state = executor.migrate(targets)
    data = write_data(state.apps)
    print(json.dumps({"targets": [list(t) for t in targets], "newest": newest, **data}))


if __name__ == "__main__":
    main()
