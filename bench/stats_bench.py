"""Statistics benchmark (§8.1): fill PostgreSQL with 1,000,000 messages and their events, then time the
public and staff statistics pages.

    createdb -h 127.0.0.1 -U postgres bench_stats
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_stats .venv/bin/python bench/stats_bench.py
    # again without refilling:       ... bench/stats_bench.py --skip-fill [--skip-refresh]
    # smaller:                        ... bench/stats_bench.py --messages 100000

What it does:
1. `migrate` and `bootstrap` (the real Appendix 2 categories and organisations).
2. Generates messages over `--years` years up to --now, each walked through a realistic life with
   the regulation's deadlines computed on the real working-day calendar: ~15 % refused (a third of them
   corrected and registered), decisions after 0–5 working days (most within 3), first answers after 1–15
   working days (most within 10), answer kinds 60/30/10 % solved/planned/impossible, 45 % rated
   positive, 10 % negative (rework, a second answer), the rest closed unrated after 30 days; recent
   messages stop where "now" cuts them, a few are left stuck (overdue). Public messages get 0–8 supports.
   Rows go in with COPY (psycopg 3), explicit ids, sequences reset afterwards. Authors are left empty
   (anonymised messages are valid) — the statistics never read them.
3. `stats.services.refresh_rollups()` (full rebuild), timed.
4. Times GET /stats/?period=year (and quarter, month, CSV) as a guest, GET /office/stats/ as a supervisor
   and two drill-downs, with Django's test Client in this process (the full middleware, template and
   database stack, no network): one warm-up request, then --runs timed requests; median and max.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zarechny.settings")
# Production-like request handling (no debug query log); plain static storage (no manifest needed).
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("TESTING", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory.models import AnswerKind, Category, Official, Organization, RejectionReason  # noqa: E402
from directory.workdays import local_date  # noqa: E402
from stats.facts import WorkdayIndex  # noqa: E402
from zarechny.progress import ProgressCallback, progress  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
BATCH = 50_000


def pick(weights):
    r = random.random()
    for value, w in weights:
        r -= w
        if r < 0:
            return value
    return weights[-1][0]


DECISION_DAYS = [(0, 0.25), (1, 0.35), (2, 0.2), (3, 0.12), (4, 0.05), (5, 0.03)]
ANSWER_DAYS = [
    (d, w) for d, w in zip(range(1, 16), (4, 6, 8, 9, 10, 10, 10, 9, 8, 8, 5, 4, 3, 3, 3), strict=True)
]
ANSWER_DAYS = [(d, w / sum(x for _, x in ANSWER_DAYS)) for d, w in ANSWER_DAYS]
KINDS = [(AnswerKind.SOLVED, 0.6), (AnswerKind.PLANNED, 0.3), (AnswerKind.IMPOSSIBLE, 0.1)]
SUPPORTS = [(0, 0.55), (1, 0.2), (2, 0.1), (3, 0.06), (5, 0.05), (8, 0.04)]


# The messages' texts (issue 14): varied like real ones, so the search, its ranking and the pages see
# realistic rows — several phrasings per category, streets, house numbers and sizes from the seeded RNG.
# "сообщение" stays a common word (about one message in five) and "зебра" a rare one (about 1 in 1,500):
# bench/pages.py searches for both.
STREETS = (
    "ул. Ленина",
    "ул. Зелёная",
    "ул. Комсомольская",
    "пр. Мира",
    "ул. Светлая",
    "ул. Ахунская",
    "ул. Фабричная",
    "ул. Лермонтова",
    "ул. Спортивная",
    "ул. Строителей",
    "ул. Заречная",
    "ул. Садовая",
    "ул. Первомайская",
    "ул. Октябрьская",
    "ул. Победы",
    "ул. Юности",
    "ул. Конституции",
    "ул. Лесная",
)
PROBLEMS = {
    "potholes": (
        "яма на проезжей части глубиной около {n} см",
        "выбоины в асфальте, машины объезжают по встречной",
        "разрушено покрытие тротуара на участке {n} метров",
        "после ремонта снова провал дорожного покрытия",
    ),
    "car_on_lawn": (
        "автомобиль стоит на газоне уже {n} дней",
        "машины паркуются на детской площадке",
        "газон разъезжен колёсами, весной там грязь",
    ),
    "mobility": (
        "нет пандуса у входа в аптеку",
        "высокий бордюр на переходе, коляска не проезжает",
        "сломан подъёмник в подъезде {n}",
    ),
    "housing_problems": (
        "течёт крыша над квартирой {n}",
        "в подъезде {n} не работает домофон",
        "холодные батареи, в квартире {n} градусов",
        "подвал затоплен, пахнет сыростью",
    ),
    "uncollected_garbage": (
        "мусор не вывозят {n} дней, контейнеры переполнены",
        "у контейнерной площадки свалка строительного мусора",
        "разбросан мусор вокруг баков",
    ),
    "snow_not_cleared": (
        "не убран снег во дворе, сугробы по колено",
        "тротуар не посыпан, очень скользко",
        "с крыши свисают сосульки над входом в подъезд {n}",
    ),
    "landscaping": (
        "сломаны качели на детской площадке",
        "аварийное дерево наклонилось над дорогой",
        "не покошена трава, высота около {n} см",
        "разбита скамейка у подъезда {n}",
    ),
    "lighting": (
        "не горят {n} фонарей вдоль дороги",
        "во дворе темно, фонарь мигает",
        "освещение не работает на остановке",
    ),
    "earthworks": (
        "после раскопки не восстановлен газон",
        "открытая траншея без ограждения",
    ),
    "stray_animals": (
        "стая из {n} бездомных собак у школы",
        "бездомные собаки кидаются на прохожих",
    ),
}
GENERIC = (
    "проблема повторяется уже {n} раз",
    "нарушение правил благоустройства",
    "требуется проверка и принятие мер",
)
OPENINGS = (
    "{street}, дом {house}: {problem}.",
    "Возле дома {house} по адресу {street} {problem}.",
    "Во дворе дома {house} ({street}) {problem}. Просим принять меры.",
    "Жители дома {house} на {street} жалуются: {problem}.",
    "{problem_cap} — {street}, {house}.",
)
ENDINGS = (
    "",
    " Прошу разобраться.",
    " Повторное сообщение, предыдущее осталось без ответа.",
    " Прошу считать это сообщение официальным обращением.",
    " Фото приложить не получилось.",
    " Ситуация опасная для детей.",
    " Спасибо.",
)
ENDING_WEIGHTS = (0.35, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05)


def message_text(category_key):
    """A message's text and address, drawn from the seeded RNG (random.seed in Generator)."""
    street = random.choice(STREETS)
    house = f"{random.randint(1, 120)}{random.choice(('', '', '', 'а', 'б', ' корп. 2'))}"
    problem = random.choice(PROBLEMS.get(category_key, GENERIC)).format(n=random.randint(2, 40))
    text = random.choice(OPENINGS).format(
        street=street, house=house, problem=problem, problem_cap=problem[0].upper() + problem[1:]
    )
    text += random.choices(ENDINGS, ENDING_WEIGHTS)[0]
    if random.random() < 0.0007:
        text += " Стёрлась разметка пешеходного перехода (зебра) рядом."
    return text, f"{street}, {house}"


class Generator:
    # Zarechny's bounds (settings.MAP_BOUNDS); nine messages in ten carry a point (the map bench).
    BOUNDS = (53.17, 45.12, 53.24, 45.24)

    def point(self):
        if random.random() < 0.1:
            return None, None
        south, west, north, east = self.BOUNDS
        return (
            round(random.uniform(south, north), 6),
            round(random.uniform(west, east), 6),
        )

    def __init__(self, *, now, years, messages, seed):
        random.seed(seed)
        self.now = now
        self.first = now - timedelta(days=365 * years)
        self.total = messages
        self.workdays = WorkdayIndex(local_date(self.first), local_date(now) + timedelta(days=90))
        categories = list(Category.objects.filter(is_active=True).select_related("responsible_organization"))
        self.categories = []
        for c in categories:
            orgs = c.executing_organizations()
            weight = (
                3 if c.key in ("potholes", "housing_problems", "uncollected_garbage", "landscaping") else 1
            )
            self.categories.append((c.pk, [o.pk for o in orgs], weight))
        self.category_weights = [(c, w / sum(x[2] for x in self.categories)) for *c, w in self.categories]
        self.category_keys = {c.pk: c.key for c in categories}
        self.reasons = [r for r in RejectionReason.objects.values_list("code", flat=True) if r != "duplicate"]
        self.counters = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM citizen_messages_message")
            self.message_id = cursor.fetchone()[0]
            self.first_id = self.message_id
            cursor.execute("SELECT coalesce(max(id), 0) FROM citizen_messages_messageevent")
            self.event_id = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM citizen_messages_support")
            self.support_id = cursor.fetchone()[0]

    def after(self, moment, working_days):
        """A moment `working_days` working days after `moment`, during office hours (same day for 0)."""
        day = local_date(moment)
        if working_days:
            day = self.workdays.due(day, working_days)
            return datetime(
                day.year, day.month, day.day, random.randint(8, 17), random.randint(0, 59), tzinfo=MSK
            )
        return moment + timedelta(minutes=random.randint(20, 400))

    def due(self, moment, n):
        day = self.workdays.due(local_date(moment), n)
        return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=MSK)

    def number(self, moment):
        year = moment.year
        self.counters[year] = self.counters.get(year, 0) + 1
        return f"{year}-{self.counters[year]:07d}"

    def message(self):
        self.message_id += 1
        mid = self.message_id
        span = (self.now - self.first).total_seconds()
        # In time order, like real arrivals: the indexes then grow at their right edge and COPY stays fast.
        submitted = self.first + timedelta(
            seconds=span * (mid - self.first_id - random.random()) / self.total
        )
        (category_id, orgs) = pick(self.category_weights)
        organization = orgs[0] if len(orgs) == 1 or random.random() < 0.8 else random.choice(orgs[1:])
        m = {
            "state": "submitted",
            "registration_due": self.due(submitted, 3),
            "registered_at": None,
            "org": None,
            "answer_due": None,
            "answered_at": None,
            "closed_at": None,
            "rework": 0,
            "supports": 0,
        }
        events, supports = [], []
        stuck = submitted > self.now - timedelta(days=60) and random.random() < 0.02

        def event(kind, moment, to_state, data=None, public=False):
            if moment > self.now:
                raise StopIteration
            self.event_id += 1
            events.append(
                (
                    self.event_id,
                    mid,
                    kind,
                    m["state"] if kind != "submitted" else "",
                    to_state,
                    moment,
                    "",
                    json.dumps(data or {}),
                    public,
                )
            )
            m["state"] = to_state

        try:
            event("submitted", submitted, "submitted")
            if stuck and random.random() < 0.5:
                raise StopIteration
            decided = self.after(submitted, pick(DECISION_DAYS))
            if random.random() < 0.15:
                reasons = random.sample(self.reasons, 1 if random.random() < 0.8 else 2)
                event("rejected", decided, "rejected", {"reasons": reasons, "duplicate_of": None})
                if random.random() > 0.3:
                    raise StopIteration
                again = decided + timedelta(hours=random.randint(2, 72))
                event("resubmitted", again, "submitted")
                m["registration_due"] = self.due(again, 3)
                decided = self.after(again, pick(DECISION_DAYS))
            event(
                "registered",
                decided,
                "registered",
                {"organization": organization, "category": category_id},
                True,
            )
            m["registered_at"], m["org"] = decided, organization
            m["answer_due"] = self.due(decided, 10)
            n = pick(SUPPORTS)
            for _ in range(n):
                moment = decided + timedelta(seconds=random.random() * 60 * 86400)
                if moment <= self.now:
                    self.support_id += 1
                    supports.append((self.support_id, mid, f"bench-{self.support_id}", moment))
            m["supports"] = len(supports)
            if stuck:
                raise StopIteration
            answered = self.after(decided, pick(ANSWER_DAYS))
            event("answered", answered, "answered", {"kind": pick(KINDS)}, True)
            m["answered_at"] = answered
            outcome = random.random()
            rated = answered + timedelta(hours=random.randint(3, 120))
            if outcome < 0.10:
                event("rated_negative", rated, "rework", {"rework_count": 1}, True)
                m["rework"] = 1
                m["answer_due"] = self.due(rated, 10)
                answered = self.after(rated, pick(ANSWER_DAYS))
                event("answered", answered, "answered", {"kind": pick(KINDS)}, True)
                m["answered_at"] = answered
                outcome = random.random() * 0.9 + 0.1
            if outcome < 0.55:
                rated = answered + timedelta(hours=random.randint(3, 120))
                event("rated_positive", rated, "closed", {}, True)
                m["closed_at"] = rated
            else:
                closed = answered + timedelta(days=30, minutes=random.randint(5, 600))
                event("closed_unrated", closed, "closed", {}, True)
                m["closed_at"] = closed
        except StopIteration:
            pass
        text, address = message_text(self.category_keys[category_id])
        row = (
            mid,
            self.number(submitted),
            None,
            category_id,
            text,
            submitted - timedelta(hours=2),
            address,
            *self.point(),
            False,
            m["state"],
            submitted,
            m["registration_due"],
            m["registered_at"],
            m["org"],
            m["answer_due"],
            m["answered_at"],
            m["closed_at"],
            m["rework"],
            m["supports"],
            None,
            None,
            events[-1][5],
            0,  # photo_count: the bench messages have a text and no photos
        )
        return row, events, supports


MESSAGE_COLUMNS = (
    "id, number, author_id, category_id, text, occurred_at, address, latitude, longitude, show_author_name, "
    "state, submitted_at, registration_due, registered_at, executing_organization_id, answer_due, "
    "answered_at, closed_at, rework_count, support_count, duplicate_of_id, client_token, updated_at, photo_count"
)
EVENT_COLUMNS = "id, message_id, kind, from_state, to_state, created_at, comment, data, is_public"
SUPPORT_COLUMNS = "id, message_id, guest_token, created_at"


def copy_rows(cursor, table, columns, rows):
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def fill(args):
    gen = Generator(now=args.now, years=args.years, messages=args.messages, seed=args.seed)
    started = time.perf_counter()
    counts = {"messages": 0, "events": 0, "supports": 0}
    raw = connection.connection
    # A bar on a terminal, a plain line per tenth otherwise (zarechny/progress.py).
    with (
        raw.cursor() as cursor,
        progress(args.messages, "messages loaded", stream=sys.stdout, unit="msg") as bar,
    ):
        done = 0
        while done < args.messages:
            size = min(BATCH, args.messages - done)
            messages, events, supports = [], [], []
            for _ in range(size):
                m, e, s = gen.message()
                messages.append(m)
                events.extend(e)
                supports.extend(s)
            copy_rows(cursor, "citizen_messages_message", MESSAGE_COLUMNS, messages)
            copy_rows(cursor, "citizen_messages_messageevent", EVENT_COLUMNS, events)
            copy_rows(cursor, "citizen_messages_support", SUPPORT_COLUMNS, supports)
            raw.commit()
            done += size
            counts["messages"] += len(messages)
            counts["events"] += len(events)
            counts["supports"] += len(supports)
            bar.update(size)
        for table in (
            "citizen_messages_message",
            "citizen_messages_messageevent",
            "citizen_messages_support",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        year = max(gen.counters)
        cursor.execute(
            "INSERT INTO citizen_messages_yearcounter (year, last) VALUES (%s, %s) "
            "ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
            (year, gen.counters[year]),
        )
        raw.commit()
        cursor.execute("ANALYZE")
    return counts, time.perf_counter() - started


def timed(client, url, params, runs):
    client.get(url, params)  # warm-up: connection, template loading, calendar cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def supervisor_client():
    from accounts.models import User

    user, _ = User.objects.get_or_create(
        email="bench-supervisor@zarechny.local", defaults={"full_name": "Бенчмарк"}
    )
    Official.objects.get_or_create(
        user=user,
        defaults={
            "organization": Organization.objects.first(),
            "position": "мониторинг",
            "role": "supervisor",
        },
    )
    client = Client()
    client.force_login(user)
    return client


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2286)
    parser.add_argument(
        "--now",
        type=lambda s: datetime.fromisoformat(s).replace(tzinfo=MSK),
        default=datetime(2026, 11, 28, 18, 0, tzinfo=MSK),
    )
    parser.add_argument("--skip-fill", action="store_true", help="reuse the messages already in the database")
    parser.add_argument("--skip-refresh", action="store_true", help="reuse the counters already computed")
    parser.add_argument("--fill-only", action="store_true", help="stop after the fill (bench/map_bench.py)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…/bench_stats")

    print(f"database: {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    if not args.skip_fill:
        print(f"filling {args.messages:,} messages over {args.years} years …")
        counts, seconds = fill(args)
        print(f"filled {counts} in {seconds:.0f} s")
    if args.fill_only:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE citizen_messages_message")
        return

    from messages.models import Message, MessageEvent, Support
    from stats.services import refresh_rollups

    print(
        f"rows: {Message.objects.count():,} messages, {MessageEvent.objects.count():,} events, "
        f"{Support.objects.count():,} supports"
    )
    if not args.skip_refresh:
        started = time.perf_counter()
        with ProgressCallback("refresh_rollups() full", stream=sys.stdout, unit="msg") as bar:
            written = refresh_rollups(progress=bar)
        print(f"refresh_rollups() full: {written:,} counter rows in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stats_dailycount")
    started = time.perf_counter()
    refresh_rollups(
        since=datetime.combine(local_date(args.now) - timedelta(days=1), datetime.min.time(), tzinfo=MSK)
    )
    print(f"refresh_rollups(since=yesterday): {time.perf_counter() - started:.1f} s")

    year = str(date(args.now.year - 1, 6, 1))
    guest, staff = Client(), supervisor_client()
    category = Category.objects.get(key="potholes").pk
    cases = [
        ("public, year", guest, reverse("stats:public"), {"period": "year", "on": year}),
        ("public, quarter", guest, reverse("stats:public"), {"period": "quarter", "on": year}),
        ("public, month", guest, reverse("stats:public"), {"period": "month", "on": year}),
        (
            "public CSV categories, year",
            guest,
            reverse("stats:public_csv", args=["categories"]),
            {"period": "year", "on": year},
        ),
        ("staff (supervisor), year", staff, reverse("stats:staff"), {"period": "year", "on": year}),
        (
            "drill-down received, month, category",
            staff,
            reverse("stats:staff_drilldown"),
            {"period": "month", "on": year, "metric": "received", "group": f"category:{category}"},
        ),
        (
            "drill-down late first answers, month, all",
            staff,
            reverse("stats:staff_drilldown"),
            {"period": "month", "on": year, "metric": "first_answer", "key": "late"},
        ),
    ]
    print(f"\n{'page':45} {'median':>8} {'max':>8}   ({args.runs} runs after 1 warm-up)")
    for label, client, url, params in cases:
        times = timed(client, url, params, args.runs)
        print(f"{label:45} {statistics.median(times) * 1000:7.0f}ms {max(times) * 1000:7.0f}ms")


if __name__ == "__main__":
    main()
