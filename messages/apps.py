from django.apps import AppConfig


class MessagesConfig(AppConfig):
    # `django.contrib.messages` (needed by the admin) owns the label "messages".
    name = "messages"
    label = "citizen_messages"
    verbose_name = "Сообщения граждан"

    def ready(self):
        from accounts.signals import account_deleting

        from .receivers import withdraw_unpublished_messages

        account_deleting.connect(withdraw_unpublished_messages, dispatch_uid="messages.withdraw_on_delete")
