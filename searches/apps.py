from django.apps import AppConfig


class SearchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "searches"
    verbose_name = "Saved searches"

    def ready(self) -> None:
        from marketplace.signals import lot_offer_changed

        from .receivers import lot_offer_changed_enqueue

        lot_offer_changed.connect(lot_offer_changed_enqueue, dispatch_uid="searches.match")
