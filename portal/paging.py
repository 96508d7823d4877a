"""Bounded paging of the public list (issue 14).

The list never counts every public message: at 1,000,000 messages an exact COUNT(*) costs more than
the rest of the page. It counts at most `max_pages` pages plus one row, so it knows whether there is
more, and pages past `max_pages` do not exist (Paginator.get_page shows the last one): OFFSET stays
below max_pages × per_page, so the deepest page costs what the first one costs. The filters and the
search narrow the list; a message is also found by its number (portal:lookup).
"""

from math import ceil

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class BoundedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, max_pages):
        self.max_pages = max_pages
        super().__init__(object_list, per_page)

    @cached_property
    def limit(self):
        """How many rows the pages can show at most."""
        return self.max_pages * self.per_page

    @cached_property
    def count(self):
        """The number of rows, counted up to `limit + 1`: no ordering and no annotations to compute."""
        return self.object_list.values("pk").order_by()[: self.limit + 1].count()

    @property
    def truncated(self):
        """True when there are more rows than the pages show."""
        return self.count > self.limit

    @cached_property
    def num_pages(self):
        shown = min(self.count, self.limit)
        if shown == 0:
            return 1 if self.allow_empty_first_page else 0
        return min(ceil(max(1, shown - self.orphans) / self.per_page), self.max_pages)
