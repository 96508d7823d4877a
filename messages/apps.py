from django.apps import AppConfig


class MessagesConfig(AppConfig):
    # `django.contrib.messages` (needed by the admin) owns the label "messages".
    name = "messages"
    label = "citizen_messages"
    verbose_name = "Сообщения граждан"

    def ready(self):
        from accounts.outbox import outbound_email_queued

        from .tasks import enqueue_outbox_delivery

        def wake_worker(**kwargs):
            enqueue_outbox_delivery()

        # The account emails' outbox (accounts/outbox.py) is delivered by this app's worker.
        outbound_email_queued.connect(wake_worker, weak=False, dispatch_uid="outbox-wake-account-emails")
