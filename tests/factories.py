"""factory-boy factories for reference data, and helpers that drive messages through the real services.

Messages are never built by factory: they reach each state only through messages.services, so a test
can never hold a message in a state the platform could not produce.
"""

import io
import uuid
from datetime import timedelta

import factory
from django.utils import timezone
from PIL import Image

from accounts.models import User
from directory.models import Category, Official, Organization, RejectionReason, Topic
from messages import services
from messages.photos import process_batch


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.ru")
    full_name = factory.Faker("name", locale="ru_RU")
    password = factory.django.Password("secret-pass-123")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Организация {n}")
    short_name = factory.LazyAttribute(lambda o: o.name)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Тема {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Категория {n}")
    topic = factory.SubFactory(TopicFactory)
    responsible_organization = factory.SubFactory(OrganizationFactory)


class OfficialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Official
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    position = "специалист"
    role = Official.Role.EXECUTOR

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class RejectionReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RejectionReason
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"reason-{n}")
    title = factory.Sequence(lambda n: f"Причина {n}")
    citizen_text = "Сообщение не соответствует требованиям регламента. Исправьте его и отправьте снова."
    regulation_ref = "§4.3"


def image_bytes(fmt="JPEG", size=(64, 48), color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def processed_photos(count, fmt="JPEG"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ext = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif"}[fmt]
    uploads = [SimpleUploadedFile(f"photo{i}.{ext}", image_bytes(fmt)) for i in range(count)]
    return process_batch(uploads)


def pdf_bytes(pages=1, *, javascript=False, password=None):
    """A real PDF made by pypdf: blank A4 pages, optionally with a script or a password."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Action"),
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('x');"),
            }
        )
        writer.root_object[NameObject("/OpenAction")] = action
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def processed_documents(count):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from messages.documents import process_document

    return [process_document(SimpleUploadedFile(f"scan{i}.pdf", pdf_bytes())) for i in range(count)]


def submit(author, category, *, text="Яма на дороге у дома 5", photos=(), now=None, **extra):
    now = now or timezone.now()
    return services.message_submit(
        author=author,
        category=category,
        text=text,
        occurred_at=now - timedelta(hours=2),
        address="ул. Ленина, 5",
        photos=photos,
        now=now,
        **extra,
    )


def registered(author, category, moderator, *, organization=None, **extra):
    message = submit(author, category, **extra)
    return services.message_register(message=message, actor=moderator, executing_organization=organization)


def answered(author, category, moderator, executor, **extra):
    message = registered(author, category, moderator, **extra)
    services.message_answer(message=message, actor=executor, kind="solved", text="Яма заделана.")
    message.refresh_from_db()
    return message


def new_token():
    return uuid.uuid4()
