from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # Imported here, as Django asks of code that loads models: apps.py is read before them.
        from suppliers.models import Lot, Organisation, PackModel

        from .listing_cache import listing_changed_receiver
        from .models import LotSummary

        # What the buyers' lot list shows; queryset updates bump it where they are made.
        for model in (Lot, LotSummary, PackModel, Organisation):
            for signal in (post_save, post_delete):
                signal.connect(
                    listing_changed_receiver, sender=model, dispatch_uid=f"listing.{model.__name__}"
                )
