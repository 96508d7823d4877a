# Issue 12, item 6: digest-only notices are now created as `skipped`; the rows an earlier version wrote as
# `pending` are settled once here instead of by every outbox run. The integrator renumbers if needed.

from django.db import migrations

DIGEST_KINDS = ["assigned"]  # messages.notifications.DIGEST_KINDS when this migration was written


def settle_digest_notices(apps, schema_editor):
    Notification = apps.get_model("citizen_messages", "Notification")
    Notification.objects.filter(email_status="pending", kind__in=DIGEST_KINDS).update(
        email_status="skipped", next_attempt_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("citizen_messages", "0004_message_withdrawn"),
    ]

    operations = [
        migrations.RunPython(settle_digest_notices, migrations.RunPython.noop),
    ]
