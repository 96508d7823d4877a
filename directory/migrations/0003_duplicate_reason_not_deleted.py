# Issue 13, item 3 (§4.4): the author of a repeated message was told it was «удалено как повторяющееся», but it
# is refused, not deleted (it stays in the author's cabinet). The text of the `duplicate` reason changes here
# only where it is still the one the fixtures seeded: a text an administrator wrote is left as it is.
# The change is kept in the reason's history. The integrator renumbers if needed.

from django.db import migrations
from django.utils import timezone

CODE = "duplicate"
OLD = (
    "Об этой проблеме уже сообщили ранее, поэтому Ваше сообщение удалено как повторяющееся. Номер исходного "
    "сообщения указан в этом уведомлении: Вы можете следить за его рассмотрением и поддержать его на Платформе."
)
NEW = (
    "Об этой проблеме уже сообщили ранее, и то сообщение уже рассматривается, поэтому Ваше сообщение не "
    "зарегистрировано как повторное. Номер исходного сообщения указан в этом уведомлении: Вы можете следить за "
    "его рассмотрением и поддержать его на Платформе."
)


def _replace(apps, old, new, why):
    RejectionReason = apps.get_model("directory", "RejectionReason")
    History = apps.get_model("directory", "HistoricalRejectionReason")
    for reason in RejectionReason.objects.filter(code=CODE, citizen_text=old):
        reason.citizen_text = new
        reason.save(update_fields=["citizen_text"])
        History.objects.create(
            id=reason.pk,
            code=reason.code,
            title=reason.title,
            citizen_text=new,
            regulation_ref=reason.regulation_ref,
            order=reason.order,
            is_active=reason.is_active,
            history_date=timezone.now(),
            history_change_reason=why,
            history_type="~",
        )


def forwards(apps, schema_editor):
    _replace(apps, OLD, NEW, "§4.4: сообщение не удаляется, а не регистрируется")


def backwards(apps, schema_editor):
    _replace(apps, NEW, OLD, "откат миграции 0002")


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_topicproposal_category_description"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
