# Issue 13, item 1 (§4.1 «в текстовой или иной форме»): a message may carry photos instead of a text. The photo
# count is kept on the message (by the services, with the photo rows), so the database holds the rule «a text
# or at least one photo» and the §4.6 limit of four. The integrator renumbers if needed.

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_photos(apps, schema_editor):
    Message = apps.get_model("citizen_messages", "Message")
    Photo = apps.get_model("citizen_messages", "Photo")
    counts = (
        Photo.objects.filter(message=OuterRef("pk")).order_by().values("message").annotate(n=Count("pk")).values("n")
    )
    Message.objects.update(photo_count=Coalesce(Subquery(counts), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("citizen_messages", "0006_answer_documents_remarks_review"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="text",
            field=models.TextField(blank=True, verbose_name="текст сообщения"),
        ),
        migrations.AddField(
            model_name="message",
            name="photo_count",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="фотографий"),
        ),
        migrations.RunPython(count_photos, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("text", ""), _negated=True)
                | models.Q(("photo_count__gt", 0))
                | models.Q(("state", "withdrawn")),
                name="message_text_or_photo",
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("photo_count__lte", 4)), name="message_photo_limit"
            ),
        ),
    ]
