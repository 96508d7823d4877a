from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import PermissionDenied

from . import services
from .emails import canonical_email
from .models import User

CONSENT_LABEL = (
    "Я даю согласие на обработку моих персональных данных (адрес электронной почты, ФИО, если я его "
    "укажу, тексты и фотографии сообщений) Администрацией г. Заречного для работы платформы «Умный город» "
    "на условиях, изложенных в тексте согласия."
)


class LoginForm(AllauthLoginForm):
    """allauth's login with the address in its canonical form before anything looks at it, so that every
    spelling of one address ("ſam@…", "SAM@…", an IDNA domain) meets the same failed-login counter and
    finds the same account."""

    def clean_login(self):
        return canonical_email(super().clean_login())


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus the name, the public-name opt-in and the 152-ФЗ consent (its own box)."""

    full_name = forms.CharField(
        label="ФИО (необязательно)",
        max_length=200,
        required=False,
        help_text="Можно не указывать. Без вашего согласия ниже имя нигде не публикуется.",
    )
    show_name_publicly = forms.BooleanField(
        label="Показывать моё имя в опубликованных сообщениях",
        required=False,
        initial=False,
        help_text="По умолчанию сообщения публикуются без имени автора. Можно изменить для каждого сообщения.",
    )
    personal_data_consent = forms.BooleanField(
        label=CONSENT_LABEL,
        required=True,
        error_messages={
            "required": "Без согласия на обработку персональных данных зарегистрироваться нельзя (152-ФЗ)."
        },
    )

    field_order = [
        "email",
        "password1",
        "password2",
        "full_name",
        "show_name_publicly",
        "personal_data_consent",
    ]

    def save(self, request):
        user = super().save(request)
        services.profile_update(
            user=user,
            full_name=self.cleaned_data.get("full_name", ""),
            show_name_publicly=self.cleaned_data.get("show_name_publicly", False),
        )
        try:
            ip_address = get_adapter(request).get_client_ip(request)
        except PermissionDenied:
            ip_address = None
        services.consent_record(user=user, ip_address=ip_address)
        return user


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "show_name_publicly"]
        labels = {"full_name": "ФИО (необязательно)"}
        help_texts = {
            "show_name_publicly": (
                "Так будет отмечено по умолчанию в новых сообщениях. Имя видно только в сообщениях, "
                "где вы это разрешили, и только после их публикации."
            )
        }


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Ваш пароль",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Подтвердите, что это вы.",
    )
    confirm = forms.BooleanField(
        label="Я понимаю, что учётная запись будет удалена без возможности восстановления",
        error_messages={"required": "Отметьте, что вы понимаете последствия удаления."},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Неверный пароль.", code="wrong_password")
        return password
