"""Figures of one group (everything, an organisation, a topic or a category) and the rates derived from them.

A rate, median or percentile is given only when its sample reaches settings.STATS_MIN_SAMPLE: a 100 %
on-time share over two messages says nothing, so the page prints «мало данных» instead.
"""

import math
from collections import Counter

from directory.models import AnswerKind

from . import facts as f


class Figures:
    def __init__(self):
        self.counts = Counter()  # (metric, key) -> n
        self.overdue_registration = 0
        self.overdue_answer = 0

    def add(self, metric, key, n):
        self.counts[(metric, key)] += n

    def merge(self, other):
        self.counts.update(other.counts)
        self.overdue_registration += other.overdue_registration
        self.overdue_answer += other.overdue_answer

    def n(self, metric, key=None):
        if key is not None:
            return self.counts.get((metric, key), 0)
        return sum(n for (m, _), n in self.counts.items() if m == metric)

    def histogram(self, metric):
        return sorted((int(k), n) for (m, k), n in self.counts.items() if m == metric and n)

    @property
    def overdue_now(self):
        return self.overdue_registration + self.overdue_answer

    def is_empty(self):
        return not any(self.counts.values()) and not self.overdue_now


def share(numerator, sample, min_sample):
    """A percentage, or None below the minimum sample."""
    if sample < max(min_sample, 1):
        return None
    return 100.0 * numerator / sample


def median(histogram):
    """The median of integer values given as (value, count) pairs: the middle value, or the mean of the
    two middle values for an even count."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    if total % 2:
        return float(_nth(histogram, total // 2 + 1))
    return (_nth(histogram, total // 2) + _nth(histogram, total // 2 + 1)) / 2


def percentile(histogram, p):
    """The nearest-rank percentile: the smallest value with at least p % of the sample at or below it."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    return float(_nth(histogram, max(1, math.ceil(p * total / 100))))


def _nth(histogram, rank):
    seen = 0
    for value, n in histogram:
        seen += n
        if seen >= rank:
            return value
    raise ValueError(rank)


class Rates:
    """The derived figures of one Figures, with the minimum-sample rule applied."""

    def __init__(self, figures, min_sample):
        g = figures
        self.received = g.n(f.RECEIVED)
        self.registered = g.n(f.REGISTERED)
        self.rejected = g.n(f.REJECTED)
        self.decided = g.n(f.DECIDED)
        self.decided_late = g.n(f.DECIDED, f.LATE)
        self.decided_on_time_share = share(g.n(f.DECIDED, f.ON_TIME), self.decided, min_sample)
        decision_days = g.histogram(f.DECISION_DAYS)
        enough = sum(n for _, n in decision_days) >= max(min_sample, 1)
        self.decision_median = median(decision_days) if enough else None
        self.decision_p90 = percentile(decision_days, 90) if enough else None
        self.answered = g.n(f.ANSWERED)
        self.answered_kinds = {kind: g.n(f.ANSWERED, kind) for kind in AnswerKind.values}
        self.first_answers = g.n(f.FIRST_ANSWER)
        self.first_answer_late = g.n(f.FIRST_ANSWER, f.LATE)
        self.answer_on_time_share = share(g.n(f.FIRST_ANSWER, f.ON_TIME), self.first_answers, min_sample)
        answer_days = g.histogram(f.ANSWER_DAYS)
        enough = sum(n for _, n in answer_days) >= max(min_sample, 1)
        self.answer_median = median(answer_days) if enough else None
        self.answer_p90 = percentile(answer_days, 90) if enough else None
        self.rework_answers = g.n(f.REWORK_ANSWER)
        self.rework_answer_late = g.n(f.REWORK_ANSWER, f.LATE)
        self.rework_answer_on_time_share = share(
            g.n(f.REWORK_ANSWER, f.ON_TIME), self.rework_answers, min_sample
        )
        self.moderated = g.n(f.MODERATED)
        self.moderated_on_time = g.n(f.MODERATED, f.ON_TIME)
        self.moderated_late = g.n(f.MODERATED, f.LATE)
        self.moderated_on_time_share = share(self.moderated_on_time, self.moderated, min_sample)
        self.rework = g.n(f.REWORK)
        self.rework_share = share(self.rework, self.answered, min_sample)
        self.rated_positive = g.n(f.RATED, "positive")
        self.rated_negative = g.n(f.RATED, "negative")
        self.rated = self.rated_positive + self.rated_negative
        self.positive_share = share(self.rated_positive, self.rated, min_sample)
        self.closed_unrated = g.n(f.CLOSED_UNRATED)
        self.supports = g.n(f.SUPPORTS)
        self.overdue_registration = g.overdue_registration
        self.overdue_answer = g.overdue_answer
        self.overdue_now = g.overdue_now
