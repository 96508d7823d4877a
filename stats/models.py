"""Pre-aggregated statistics (§8.1): daily counters, so a year of 1,000,000 messages sums in milliseconds.

The counters are derived data, rebuilt from messages and their events by `stats.services.refresh_rollups`;
nothing else writes them and nothing is lost when they are deleted.
"""

from django.db import models

from directory.models import Category, Organization


class DailyCount(models.Model):
    """How many times `metric` (with `key`) happened on `day` for one category and executing organisation.

    One generic table rather than a column per figure: rejection reasons, answer kinds and the
    working-day histograms behind medians and percentiles (key = number of days) all fit in it, and one
    GROUP BY over a date range gives every figure of the page.
    """

    day = models.DateField("день (Москва)")
    # Derived rows, rebuilt in bulk: no database FK constraints, whose deferred checks at commit would
    # cost more than the rebuild itself on millions of rows. Categories and organisations that messages
    # use cannot be deleted anyway (PROTECT on Message), and the ORM still cascades.
    category = models.ForeignKey(
        Category, models.CASCADE, related_name="+", verbose_name="категория", db_constraint=False
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="организация-исполнитель",
        help_text="Пусто для сообщений, ещё не направленных организации.",
    )
    metric = models.CharField("показатель", max_length=20)
    key = models.CharField("разрез", max_length=40, blank=True)
    count = models.PositiveIntegerField("количество")

    class Meta:
        verbose_name = "дневной счётчик статистики"
        verbose_name_plural = "дневные счётчики статистики"
        indexes = [models.Index(fields=["day", "metric"], name="stats_daily_day_metric")]

    def __str__(self):
        return f"{self.day} {self.metric}:{self.key} = {self.count}"


class MonthlyCount(models.Model):
    """The daily counters summed over a calendar month: a period reads its whole months here and only
    its partial months from DailyCount (a year is 12 months' rows instead of 365 days' rows).

    Rebuilt from DailyCount by the same refresh, in the same transaction, for every month the refresh
    touched; `month` is the first day of the month.
    """

    month = models.DateField("месяц (первое число)")
    category = models.ForeignKey(
        Category, models.CASCADE, related_name="+", verbose_name="категория", db_constraint=False
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="организация-исполнитель",
    )
    metric = models.CharField("показатель", max_length=20)
    key = models.CharField("разрез", max_length=40, blank=True)
    count = models.PositiveIntegerField("количество")

    class Meta:
        verbose_name = "месячный счётчик статистики"
        verbose_name_plural = "месячные счётчики статистики"
        indexes = [models.Index(fields=["month", "metric"], name="stats_monthly_month_metric")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.metric}:{self.key} = {self.count}"


class DayTotal(models.Model):
    """The daily counters of one day summed over categories, organisations and keys: the received and
    answered series of the pages (a point per day or week) reads a year as 730 rows of this table rather
    than the year's whole GROUP BY over DailyCount. Rebuilt with the monthly layer."""

    day = models.DateField("день (Москва)")
    metric = models.CharField("показатель", max_length=20)
    count = models.PositiveIntegerField("количество")

    class Meta:
        verbose_name = "итог дня статистики"
        verbose_name_plural = "итоги дней статистики"
        constraints = [models.UniqueConstraint(fields=["day", "metric"], name="stats_daytotal_once")]

    def __str__(self):
        return f"{self.day} {self.metric} = {self.count}"


class MessageFact(models.Model):
    """One fact of stats.facts.message_facts, stored: what one message contributed on one day.

    The daily counters are these rows grouped; the staff drill-down reads them (the messages behind a
    figure) instead of re-deriving the facts of every candidate message on each request. Written by the
    same refresh as the counters, so a figure and its list always come from the same computation.
    """

    # No FK constraint for the same reason as DailyCount; a message is never deleted (only anonymised).
    # No index of its own either: the reads go by metric and day, and the drill-down joins the messages.
    message = models.ForeignKey(
        "citizen_messages.Message",
        models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name="сообщение",
    )
    day = models.DateField("день (Москва)")
    metric = models.CharField("показатель", max_length=20)
    key = models.CharField("разрез", max_length=40, blank=True)
    # The message's category at the refresh, as in DailyCount: a drill-down groups by what its figure did.
    category = models.ForeignKey(
        Category,
        models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name="категория",
    )
    # the executing organisation, or the decider's for facts.ACTOR_ORGANIZATION_METRICS (facts.Fact)
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="организация",
    )

    class Meta:
        verbose_name = "факт статистики"
        verbose_name_plural = "факты статистики"
        # The drill-down's. The refresh's "from this day on" has a BRIN index on PostgreSQL (migration
        # 0003): a B-tree on the day alone looked cheaper to the planner than this one for a month of
        # one metric, and read ten times the rows.
        indexes = [models.Index(fields=["metric", "day"], name="stats_fact_metric_day")]

    def __str__(self):
        return f"{self.message_id} {self.day} {self.metric}:{self.key}"


class RollupState(models.Model):
    """The single row saying how fresh the counters are; locked while a refresh rewrites them."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    refreshed_at = models.DateTimeField("обновлено", null=True, blank=True)
    started_at = models.DateTimeField("начало последнего обновления", null=True, blank=True)
    rebuilt_from = models.DateField("пересчитано начиная с", null=True, blank=True)

    class Meta:
        verbose_name = "состояние статистики"
        verbose_name_plural = "состояние статистики"

    def __str__(self):
        return f"статистика на {self.refreshed_at}"
