from django.apps import AppConfig


class SearchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "searches"
    verbose_name = "Saved searches"

    def ready(self) -> None:
        # Imported here, as Django asks of code that loads models: apps.py is read before them.
        from marketplace.signals import lot_offer_changed

        from .receivers import lot_offer_changed_enqueue

        lot_offer_changed.connect(lot_offer_changed_enqueue, dispatch_uid="searches.match")
