from django.apps import AppConfig


class PassportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "passports"
    verbose_name = "Battery passports"
