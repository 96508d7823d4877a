"""The transactions of the services: every entry point is durable, so nothing nests one by accident.

A service (`message_register`, …) is one unit of work: its row lock, event and outbox rows commit
together when it returns. `transaction.atomic(durable=True)` makes Django refuse to run it inside
another transaction, where a caller's later failure would roll back what the service already reported
as done (and keep its locks for longer). The few callers that mean to run several services as one unit
say so with `services_in_one_transaction()`: the demo data of `bootstrap --demo` and the withdrawal of an
account's messages inside `accounts.services.account_delete`. Django's TestCase (and pytest-django's
`db` fixture) lets durable blocks run inside its own test transaction.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_in_one_transaction: ContextVar[bool] = ContextVar("services_in_one_transaction", default=False)


def service_atomic() -> transaction.Atomic:
    """The transaction of a service entry point: durable unless the caller opted in to nesting."""
    return transaction.atomic(durable=not _in_one_transaction.get())


def entry_point(func: Callable[P, R]) -> Callable[P, R]:
    """Run the whole service in `service_atomic()` (decided at call time, not at import)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with service_atomic():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def services_in_one_transaction() -> Iterator[None]:
    """One transaction around several services on purpose: they nest inside it (as savepoints)."""
    token = _in_one_transaction.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _in_one_transaction.reset(token)
