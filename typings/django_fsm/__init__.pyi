# The part of django-fsm-2 this project uses, for mypy (the package ships no types). Without it every
# model class deriving from ConcurrentTransitionMixin (Message) would be `Any` to mypy.
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import models

_F = TypeVar("_F", bound=Callable[..., Any])

class TransitionNotAllowed(Exception): ...
class ConcurrentTransition(Exception): ...
class ConcurrentTransitionMixin: ...

class FSMField(models.CharField[Any, Any]):
    def __init__(self, *args: Any, protected: bool = ..., **kwargs: Any) -> None: ...

def transition(
    field: Any,
    source: Any = ...,
    target: Any = ...,
    on_error: Any = ...,
    conditions: Sequence[Callable[..., bool]] = ...,
    permission: Any = ...,
    custom: dict[str, Any] = ...,
) -> Callable[[_F], _F]: ...
def can_proceed(bound_method: Callable[..., Any], check_conditions: bool = ...) -> bool: ...
