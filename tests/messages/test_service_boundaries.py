"""Issue 12.2: the services are the transactions, and the services never import the worker's tasks."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import transaction

from messages import services
from messages.models import Message, MessageEvent, State
from messages.services.transactions import services_in_one_transaction
from tests.factories import submit


def test_a_service_refuses_to_run_inside_a_callers_transaction(citizen, category, moderator):
    message = submit(citizen, category)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.message_register(message=message, actor=moderator)
    message.refresh_from_db()
    assert message.state == State.SUBMITTED


def test_a_service_step_inside_a_callers_transaction_is_refused_too(citizen, category):
    # message_submit writes its files before its transaction: the transaction itself is the entry point.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        submit(citizen, category)
    assert Message.objects.count() == 0


def test_services_run_in_one_transaction_only_when_the_caller_says_so(citizen, category, moderator):
    with services_in_one_transaction():
        message = submit(citizen, category)
        services.message_register(message=message, actor=moderator)
    message.refresh_from_db()
    assert message.state == State.REGISTERED
    assert MessageEvent.objects.filter(message=message).count() == 2


def test_nothing_at_start_up_or_in_the_services_imports_the_tasks():
    # The circle services → tasks → services is gone: the wake-up lives in messages.outbox.
    code = (
        "import sys, django; django.setup(); "
        "import messages.services, messages.notifications, messages.deadlines, messages.delivery; "
        "sys.exit(1 if 'messages.tasks' in sys.modules else 0)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "zarechny.settings", "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr or "messages.tasks was imported"
