from django.apps import AppConfig


class MessagesConfig(AppConfig):
    # `django.contrib.messages` (needed by the admin) owns the label "messages".
    name = "messages"
    label = "citizen_messages"
    verbose_name = "Сообщения граждан"
