from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Учётные записи"

    def ready(self):
        from . import verification  # noqa: F401  (connects the password-reset receiver)
