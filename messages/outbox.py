"""Waking the worker for the outbox (the notices and the account emails): part of the notifications.

The services queue `Notification` rows in their transaction and call `enqueue_outbox_delivery_on_commit()`;
the worker's task (`messages.tasks.deliver_outbox`) then mails them through `messages.delivery`. This module
imports nothing of the task module, so the services never import the tasks.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_outbox_delivery() -> None:
    """Ask the worker for one delivery run (called after commit by the services). Cheap: one broker push,
    and runs that overlap split the rows between them (SKIP LOCKED) instead of sending anything twice."""
    from django_q.tasks import async_task

    from zarechny.logs import current_request_id

    # The request's id travels with the task, so the worker's lines for this run carry it (zarechny/logs.py).
    request_id = current_request_id()
    try:
        # save=False: a wake that succeeds leaves no result row behind (failures are still recorded).
        task_id = async_task(
            "messages.tasks.deliver_outbox",
            request_id=request_id,
            task_name="outbox-wake",
            group="outbox",
            save=False,
        )
    except Exception:  # the broker being down must not fail the citizen's request; the schedule catches up
        logger.exception("could not enqueue outbox delivery; the scheduled run will deliver")
    else:
        logger.debug("outbox wake %s enqueued", task_id, extra={"task_id": task_id})


def enqueue_outbox_delivery_on_commit() -> None:
    """One wake-up per transaction, however many rows it queued (the demo queues a hundred): one run sends
    every due row. A wake-up still registered is enough: Django drops a callback only with the rollback of
    a savepoint it was registered in, and every such savepoint still open encloses the caller too (the
    released ones merged into their parents), so that rollback would drop the caller's rows as well."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is enqueue_outbox_delivery for _savepoints, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(enqueue_outbox_delivery)
