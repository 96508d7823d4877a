"""Demo messages for `bootstrap --demo`: a few dozen, in every state, with generated photos.

Everything goes through the real services, with past moments, so deadlines, events and notifications
look exactly like production data (some are overdue on purpose, to fill the dashboards).
"""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image, ImageDraw

from directory import routing
from directory.models import AnswerKind, Category, RejectionReason

from . import services
from .models import Message
from .photos import process_image

DEMO_TEXTS = {
    "potholes": (
        "Глубокая яма на проезжей части, машины объезжают по встречной полосе.",
        "ул. Ленина, напротив д. 12",
    ),
    "car_on_lawn": ("Автомобиль третий день стоит на газоне у подъезда.", "ул. Светлая, д. 4"),
    "mobility": ("Нет пандуса у входа в поликлинику, коляска не проходит.", "ул. Спортивная, д. 6"),
    "housing_problems": (
        "Протекает крыша над последним этажом, вода в подъезде.",
        "пр. 30-летия Победы, д. 21",
    ),
    "uncollected_garbage": (
        "Контейнерная площадка переполнена, мусор не вывозят неделю.",
        "ул. Комсомольская, д. 9",
    ),
    "snow_not_cleared": (
        "Тротуар к школе не очищен от снега, дети идут по дороге.",
        "ул. Заречная, у школы № 220",
    ),
    "landscaping": ("Сломаны качели на детской площадке.", "двор дома ул. Ахунская, д. 3"),
    "lighting": ("Не горят три фонаря подряд, вечером совсем темно.", "ул. Конституции, от д. 5 до д. 11"),
    "earthworks": ("После раскопок не восстановлен газон и асфальт.", "ул. Зелёная, д. 2"),
    "stray_animals": ("Стая собак у остановки бросается на прохожих.", "остановка «Рынок»"),
    "construction": ("Стройплощадка без ограждения, дети играют на плитах.", "ул. Индустриальная, д. 15"),
    "deputy_mandate": ("Просим установить лавочки вдоль аллеи в парке.", "парк Дружбы"),
    "coronavirus": ("В аптеке нет информации о режиме работы пункта вакцинации.", "ул. Ленина, д. 30"),
    "other_problem": ("Не работают часы на площади, показывают неверное время.", "площадь Ленина"),
}
PLAN = (
    ["submitted"] * 8
    + ["rejected"] * 4
    + ["registered"] * 8
    + ["answered"] * 6
    + ["rework"] * 4
    + ["closed"] * 8
)


def demo_photo(seed, label):
    rng = random.Random(seed)
    width, height = 800, 600
    image = Image.new(
        "RGB", (width, height), (rng.randint(90, 160), rng.randint(110, 170), rng.randint(120, 190))
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height * 0.6, width, height], fill=(90, 90, 95))
    for _ in range(6):
        x, y = rng.randint(50, width - 150), rng.randint(int(height * 0.62), height - 60)
        draw.ellipse([x, y, x + rng.randint(60, 140), y + rng.randint(25, 50)], fill=(45, 45, 50))
    draw.text((20, 20), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return process_image(buffer.getvalue(), name=f"demo-{seed}.jpg")


def create_demo_messages(now=None):
    if Message.objects.filter(author__email__endswith="@demo.zarechny.local").exists():
        return 0
    User = get_user_model()
    authors = list(User.objects.filter(email__endswith="@demo.zarechny.local").order_by("email"))
    supporters = authors[::-1]
    now = now or timezone.now()
    rng = random.Random(2286)
    reason = RejectionReason.objects.filter(code="several_issues").first() or RejectionReason.objects.first()
    categories = list(Category.objects.filter(key__in=DEMO_TEXTS).order_by("topic__order", "order"))
    created = 0
    for index, target in enumerate(PLAN):
        category = categories[index % len(categories)]
        author = authors[index % len(authors)]
        text, address = DEMO_TEXTS[category.key]
        moderator = (
            routing.category_moderators(category, include_supervisors=True)
            .select_related("user")
            .order_by("role")
            .first()
        )
        organization = category.responsible_organization
        answerer = routing.category_answerers(category, organization).select_related("user").first()
        days_ago = rng.randint(1, 40)
        start = now - timedelta(days=days_ago, hours=rng.randint(0, 10))
        photos = [demo_photo(index * 10 + n, f"№ {index + 1}") for n in range(rng.choice([0, 1, 2]))]
        message = services.message_submit(
            author=author,
            category=category,
            text=text,
            occurred_at=start - timedelta(hours=3),
            address=address,
            photos=photos,
            show_author_name=index % 3 == 0,
            now=start,
        )
        created += 1
        if target == "submitted":
            continue
        step = start + timedelta(days=1)
        if target == "rejected":
            services.message_reject(
                message=message,
                actor=moderator.user,
                reasons=[reason],
                now=step,
                comment="Опишите каждую проблему отдельным сообщением.",
            )
            continue
        services.message_register(message=message, actor=moderator.user, now=step)
        for supporter in supporters[: rng.randint(0, len(supporters))]:
            if supporter != author:
                services.message_support(message=message, user=supporter)
        if target == "registered" or answerer is None:
            continue
        step += timedelta(days=min(days_ago // 3, 9) or 1)
        services.message_answer(
            message=message,
            actor=answerer.user,
            kind=AnswerKind.SOLVED,
            now=min(step, now),
            text="Проблема устранена силами подрядной организации. Спасибо за сообщение.",
        )
        if target == "answered":
            continue
        step += timedelta(hours=5)
        if target == "rework":
            services.message_rate(
                message=message,
                actor=author,
                positive=False,
                remarks="Работы выполнены не полностью.",
                now=min(step, now),
            )
            continue
        services.message_rate(message=message, actor=author, positive=True, now=min(step, now))
    return created
