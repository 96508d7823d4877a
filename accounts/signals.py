"""Signals of the accounts app, for apps above it (accounts imports nothing from them).

`account_deleting` is sent by accounts.services.account_delete inside its transaction, with the user row
locked and still holding its data, before anything is erased. Receivers do their part of the deletion
in the same transaction and may raise to abort it: the messages app withdraws the person's unpublished
messages there (152-ФЗ: no processing after the consent is withdrawn).
"""

from django.dispatch import Signal

account_deleting = Signal()  # kwargs: user, now
