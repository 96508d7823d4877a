"""The staff access check of every staff page, whichever face serves it (the back-office, the staff
statistics): one decorator, so the rule cannot drift between faces."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers

from .selectors import acting_official

DENIED = "Рабочее место доступно только ответственным должностным лицам."


def official_required(view=None, *, denied=DENIED):
    """Anonymous people go to the login page; anyone without an acting Official row (citizens, retired
    officials, staff who still have to enrol a second factor) gets 403 with `denied`. The view finds the
    official in `request.official`. Staff pages carry citizens' personal data (152-ФЗ): no shared or
    browser cache may keep them."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            official = acting_official(request.user)
            if official is None:
                raise PermissionDenied(denied)
            request.official = official
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator(view) if view is not None else decorator
