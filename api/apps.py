from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Open311 API и открытые данные"

    def ready(self):
        from messages import opendata

        from .datasets import MESSAGES

        # The daily file of public messages; the statistics face registers its §8.1 figures the same way.
        opendata.register(MESSAGES)
