from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "Статистика"

    def ready(self):
        from messages import opendata

        from .opendata import FIGURES_DATASET

        # The §8.1 figures as a daily open-data file (written and listed by the open-data face).
        opendata.register(FIGURES_DATASET)
