# Issue 15, item 5: people follow a public message and get an e-mail at each public step (MessageFollow, the
# four follow_* notices). The integrator renumbers if needed.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('citizen_messages', '0007_message_text_or_photo'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('received', 'сообщение получено'), ('registered', 'сообщение зарегистрировано и опубликовано'), ('rejected', 'отказано в регистрации'), ('answered', 'получен ответ'), ('rework', 'ответ направлен на доработку'), ('rework_assigned', 'сообщение возвращено на доработку'), ('closed', 'сообщение закрыто'), ('assigned', 'новое сообщение для ответа'), ('reassign_requested', 'просьба передать сообщение'), ('reminder', 'срок истекает'), ('escalation', 'срок нарушен'), ('follow_registered', 'вы следите: сообщение зарегистрировано и опубликовано'), ('follow_answered', 'вы следите: дан ответ'), ('follow_rework', 'вы следите: ответ направлен на доработку'), ('follow_closed', 'вы следите: сообщение закрыто')], max_length=30, verbose_name='вид'),
        ),
        migrations.CreateModel(
            name='MessageFollow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(verbose_name='с')),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='follows', to='citizen_messages.message', verbose_name='сообщение')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='message_follows', to=settings.AUTH_USER_MODEL, verbose_name='пользователь')),
            ],
            options={
                'verbose_name': 'подписка на сообщение',
                'verbose_name_plural': 'подписки на сообщения',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['user', '-created_at'], name='follow_user_created')],
                'constraints': [models.UniqueConstraint(fields=('message', 'user'), name='follow_once_per_user')],
            },
        ),
    ]
