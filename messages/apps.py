from django.apps import AppConfig


class MessagesConfig(AppConfig):
    # `django.contrib.messages` (needed by the admin) owns the label "messages".
    name = "messages"
    label = "citizen_messages"
    verbose_name = "Сообщения граждан"

    def ready(self):
        from accounts.outbox import outbound_email_queued
        from accounts.signals import account_deleting

        from . import ratelimits
        from .outbox import enqueue_outbox_delivery
        from .receivers import forget_follows, withdraw_unpublished_messages

        # A mistyped RATE_LIMIT_* stops start-up with one line, not the first submission with a 500.
        ratelimits.check_settings()

        account_deleting.connect(withdraw_unpublished_messages, dispatch_uid="messages.withdraw_on_delete")
        account_deleting.connect(forget_follows, dispatch_uid="messages.forget_follows_on_delete")

        def wake_worker(**kwargs):
            enqueue_outbox_delivery()

        # The account emails' outbox (accounts/outbox.py) is delivered by this app's worker.
        outbound_email_queued.connect(wake_worker, weak=False, dispatch_uid="outbox-wake-account-emails")
