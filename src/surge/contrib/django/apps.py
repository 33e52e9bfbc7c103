"""The Django app of surge (label `surge`): it only brings the `surge` management command."""

from __future__ import annotations

from django.apps import AppConfig


class SurgeConfig(AppConfig):
    name = "surge.contrib.django"
    label = "surge"
    verbose_name = "surge load tests"
