"""Where the faces show a message. The core's notices and `Message.get_absolute_url` link to pages that the
faces own (the citizen's page in portal/, the official's in moderation/); the core names the page it means,
the face that serves it registers how to reach it (its AppConfig.ready()). So the core never spells a face's
URL name or path, and a face can move its pages without the core noticing.

Page names: "message" (the public page of a message, by number), "document" (the download of an answer's
PDF, by number and token), "unfollow" (the one-click unfollow of a follow e-mail, by signed token),
"staff_home", "staff_review" and "staff_answer" (the back-office home, the review page and the answer page,
by number)."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_pages: dict[str, Callable[..., str]] = {}


def register(name: str, path: Callable[..., str]) -> None:
    """`path(**kwargs)` returns the site-relative path of page `name`; called once per name at start-up."""
    _pages[name] = path


def page_path(name: str, **kwargs) -> str:
    try:
        path = _pages[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"No installed face serves the page {name!r} (messages/links.py)."
        ) from None
    return path(**kwargs)
