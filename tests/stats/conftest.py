"""A dataset whose statistics are known in advance, built through the real services at fixed moments.

It straddles the 2025/26 New Year holidays (31.12.2025 and 01–11.01.2026 are days off), so working-day
durations differ from calendar ones. All times are Moscow time. Expected figures are worked out by hand
in the comments and asserted in test_report.py.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from messages import services
from tests.factories import submit

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 2, 11, 12, 0, tzinfo=MSK)


def msk(y, m, d, h=10, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=MSK)


@pytest.fixture
def known(world, citizen, other_citizen, moderator, other_category_moderator, executor, other_org_executor):
    """Messages M1–M9 (potholes) and L1–L2 (lighting); see the comments for the figures each contributes."""
    from directory.models import RejectionReason

    obscene = RejectionReason.objects.get(code="obscene")
    duplicate = RejectionReason.objects.get(code="duplicate")
    potholes, lighting = world["potholes"], world["lighting"]
    kbu = world["kbu"]
    m = {}

    def new(name, when, category=potholes):
        m[name] = submit(citizen, category, now=when, text=f"Сообщение {name}")
        return m[name]

    # M1: Fri 26.12 → registered Mon 12.01: working days 29.12, 30.12, 12.01 = 3 → on time (due 12.01).
    # Answered 13.01: 1 working day. Supported 13.01 12:00 (user) and 18:00 (guest): a closed message takes
    # no support (issue 18.4). Rated positive 14.01.
    services.message_register(message=new("M1", msk(2025, 12, 26)), actor=moderator, now=msk(2026, 1, 12, 9))
    services.message_answer(
        message=m["M1"], actor=executor, kind="solved", text="Сделано.", now=msk(2026, 1, 13)
    )
    with time_machine.travel(msk(2026, 1, 13, 12), tick=False):
        services.message_support(message=m["M1"], user=other_citizen)
    with time_machine.travel(msk(2026, 1, 13, 18), tick=False):
        services.message_support(message=m["M1"], guest_token="guest-token-1")
    services.message_rate(message=m["M1"], actor=citizen, positive=True, now=msk(2026, 1, 14))
    # M2: Fri 26.12 18:00 → registered Tue 13.01: 4 working days → late.
    # Answered (planned) Mon 26.01: 14,15,16,19,20,21,22,23,26 = 9 working days → on time. Closed unrated 01.03.
    services.message_register(message=new("M2", msk(2025, 12, 26, 18)), actor=moderator, now=msk(2026, 1, 13))
    services.message_answer(
        message=m["M2"],
        actor=executor,
        kind="planned",
        text="Весной.",
        planned_date=date(2026, 5, 1),
        now=msk(2026, 1, 26),
    )
    services.message_close_unrated(message=m["M2"], now=msk(2026, 3, 1))
    # M3: Tue 30.12 → rejected (obscene) Mon 12.01: 1 working day → on time.
    services.message_reject(
        message=new("M3", msk(2025, 12, 30, 12)), actor=moderator, reasons=[obscene], now=msk(2026, 1, 12)
    )
    # M4: Mon 29.12 → registered to МКУ «КБУ» Tue 30.12: 1 working day → on time.
    # Answered (impossible) Tue 27.01: 12 working days (12.01–27.01) → late (due 23.01).
    services.message_register(
        message=new("M4", msk(2025, 12, 29)),
        actor=moderator,
        executing_organization=kbu,
        now=msk(2025, 12, 30),
    )
    services.message_answer(
        message=m["M4"],
        actor=other_org_executor,
        kind="impossible",
        text="Не наш участок.",
        now=msk(2026, 1, 27),
    )
    # M5: Mon 12.01 → registered the same day: 0 working days. Answered 14.01 (2 working days, on time),
    # rated negative 15.01 (rework), answered again 20.01 (not a first answer), rated positive 21.01.
    services.message_register(
        message=new("M5", msk(2026, 1, 12, 8)), actor=moderator, now=msk(2026, 1, 12, 15)
    )
    services.message_answer(
        message=m["M5"], actor=executor, kind="solved", text="Сделано.", now=msk(2026, 1, 14)
    )
    services.message_rate(
        message=m["M5"], actor=citizen, positive=False, remarks="Не сделано.", now=msk(2026, 1, 15)
    )
    services.message_answer(
        message=m["M5"], actor=executor, kind="solved", text="Доделано.", now=msk(2026, 1, 20)
    )
    services.message_rate(message=m["M5"], actor=citizen, positive=True, now=msk(2026, 1, 21))
    # M6: Wed 14.01 → rejected (obscene + duplicate of M1) Mon 19.01: 15, 16, 19 = 3 → on time.
    services.message_reject(
        message=new("M6", msk(2026, 1, 14)),
        actor=moderator,
        reasons=[obscene, duplicate],
        duplicate_of=m["M1"],
        now=msk(2026, 1, 19),
    )
    # M7: Wed 14.01 → rejected (obscene) Tue 20.01: 4 working days → late; corrected 21.01 and registered
    # 22.01: 1 working day → on time. One receipt, two decisions.
    services.message_reject(
        message=new("M7", msk(2026, 1, 14)), actor=moderator, reasons=[obscene], now=msk(2026, 1, 20)
    )
    services.message_resubmit(message=m["M7"], actor=citizen, text="Исправлено.", now=msk(2026, 1, 21))
    services.message_register(message=m["M7"], actor=moderator, now=msk(2026, 1, 22))
    # M8: Mon 26.01, never decided: due 29.01 → overdue now (registration).
    new("M8", msk(2026, 1, 26))
    # M9: Mon 26.01 → registered Tue 27.01 (1 working day); not answered, due 10.02 → overdue now (answer).
    services.message_register(message=new("M9", msk(2026, 1, 26)), actor=moderator, now=msk(2026, 1, 27))
    # L1, L2 (lighting): Mon 12.01 → registered Tue 13.01: 1 working day each; only two decisions.
    for name in ("L1", "L2"):
        services.message_register(
            message=new(name, msk(2026, 1, 12), lighting),
            actor=other_category_moderator,
            now=msk(2026, 1, 13),
        )
    for message in m.values():
        message.refresh_from_db()
    return m


@pytest.fixture
def february(world, citizen, moderator, executor, other_org_executor):
    """February 2026 (23.02 is a day off): answers after a rework (§7.3) and decisions by the moderators
    of two organisations (§5.4). All figures worked out by hand in the comments."""
    from directory.models import RejectionReason
    from tests.factories import OfficialFactory, UserFactory

    kbu_user = UserFactory(email="moderator@kbu.ru")
    OfficialFactory(
        user=kbu_user, organization=world["kbu"], role="moderator", categories=[world["potholes"]]
    )
    kbu_user.refresh_from_db()
    potholes = world["potholes"]
    m = {}
    # R: Mon 02.02 → registered Tue 03.02 by the Администрация moderator (1 working day, on time), answered
    # Wed 04.02 (first answer, 1 working day, on time), rated negative Thu 05.02: the rework is due in 10
    # working days from 05.02: 06, 09–13, 16–19 → Thu 19.02. Answered again Tue 24.02: 06, 09, 10, 11, 12,
    # 13, 16, 17, 18, 19, 20, 24 = 12 working days → late. Rated negative again Wed 25.02 and answered Thu
    # 26.02 (1 working day from that rework → on time, though 16 working days after the registration).
    m["R"] = submit(citizen, potholes, now=msk(2026, 2, 2), text="Сообщение R")
    services.message_register(message=m["R"], actor=moderator, now=msk(2026, 2, 3))
    services.message_answer(message=m["R"], actor=executor, kind="solved", text="Да.", now=msk(2026, 2, 4))
    services.message_rate(message=m["R"], actor=citizen, positive=False, remarks="Нет.", now=msk(2026, 2, 5))
    services.message_answer(message=m["R"], actor=executor, kind="solved", text="Да!", now=msk(2026, 2, 24))
    services.message_rate(message=m["R"], actor=citizen, positive=False, remarks="Нет.", now=msk(2026, 2, 25))
    services.message_answer(
        message=m["R"],
        actor=executor,
        kind="planned",
        text="Летом.",
        now=msk(2026, 2, 26),
        planned_date=date(2026, 7, 1),
    )
    # P1: Mon 02.02 → registered by the КБУ moderator Thu 05.02 (03, 04, 05: on time), executed by
    # Администрация (the category's responsible organisation).
    m["P1"] = submit(citizen, potholes, now=msk(2026, 2, 2), text="Сообщение P1")
    services.message_register(message=m["P1"], actor=kbu_user, now=msk(2026, 2, 5))
    # P2: Mon 02.02 → refused by the КБУ moderator Mon 09.02 (03, 04, 05, 06, 09 = 5 working days: late).
    m["P2"] = submit(citizen, potholes, now=msk(2026, 2, 2), text="Сообщение P2")
    services.message_reject(
        message=m["P2"],
        actor=kbu_user,
        reasons=[RejectionReason.objects.get(code="obscene")],
        now=msk(2026, 2, 9),
    )
    # P3: Mon 02.02 → registered to КБУ by the Администрация moderator Tue 03.02 (on time).
    m["P3"] = submit(citizen, potholes, now=msk(2026, 2, 2), text="Сообщение P3")
    services.message_register(
        message=m["P3"], actor=moderator, executing_organization=world["kbu"], now=msk(2026, 2, 3)
    )
    for message in m.values():
        message.refresh_from_db()
    return m
