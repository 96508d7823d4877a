# Withdrawn messages (issue 11, item 8): a state and an event kind. Numbered 0005 by agreement; the integrator renumbers.

import django_fsm
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("citizen_messages", "0003_notification_sending_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="state",
            field=django_fsm.FSMField(
                choices=[
                    ("submitted", "на модерации"),
                    ("registered", "зарегистрировано"),
                    ("rejected", "отказано в регистрации"),
                    ("answered", "дан ответ"),
                    ("rework", "на доработке"),
                    ("closed", "закрыто"),
                    ("withdrawn", "отозвано автором"),
                ],
                default="submitted",
                max_length=50,
                protected=True,
                verbose_name="состояние",
            ),
        ),
        migrations.AlterField(
            model_name="messageevent",
            name="from_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("submitted", "на модерации"),
                    ("registered", "зарегистрировано"),
                    ("rejected", "отказано в регистрации"),
                    ("answered", "дан ответ"),
                    ("rework", "на доработке"),
                    ("closed", "закрыто"),
                    ("withdrawn", "отозвано автором"),
                ],
                max_length=20,
                verbose_name="было",
            ),
        ),
        migrations.AlterField(
            model_name="messageevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("submitted", "сообщение поступило"),
                    ("registered", "зарегистрировано и опубликовано"),
                    ("rejected", "отказано в регистрации"),
                    ("resubmitted", "исправлено и направлено повторно"),
                    ("reassigned", "передано другой организации"),
                    ("reassign_requested", "исполнитель просит передать другой организации"),
                    ("answered", "дан ответ"),
                    ("rated_positive", "ответ оценён положительно"),
                    ("rated_negative", "ответ оценён отрицательно, направлено на доработку"),
                    ("closed_unrated", "закрыто без оценки"),
                    ("reminder", "напоминание о сроке"),
                    ("escalated", "срок нарушен"),
                    ("withdrawn", "отозвано автором до публикации"),
                ],
                max_length=30,
                verbose_name="событие",
            ),
        ),
        migrations.AlterField(
            model_name="messageevent",
            name="to_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("submitted", "на модерации"),
                    ("registered", "зарегистрировано"),
                    ("rejected", "отказано в регистрации"),
                    ("answered", "дан ответ"),
                    ("rework", "на доработке"),
                    ("closed", "закрыто"),
                    ("withdrawn", "отозвано автором"),
                ],
                max_length=20,
                verbose_name="стало",
            ),
        ),
    ]
