"""A buyer's saved searches, and the lots each has been matched with (and told about)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.choices import LotEvent


class SavedSearch(models.Model):
    """Browse filters a buyer keeps: `query` is the browse page's query string, normalised by
    `searches.services.search_query_normalise`, so it opens as /lots/?<query>."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=500, blank=True, help_text="Empty: every verified lot")
    email = models.BooleanField(default=True, help_text="Also send each notice by email")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "saved searches"
        constraints = [
            models.UniqueConstraint(fields=["owner", "query"], name="savedsearch_query_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SearchMatch(models.Model):
    """A lot a saved search matched on an event: unique per (search, lot, event), so the
    buyer is told once, however often the matching task runs."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    lot = models.ForeignKey("suppliers.Lot", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=LotEvent.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    notification = models.ForeignKey(
        "reviews.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The notice the buyer was sent",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "search matches"
        constraints = [
            models.UniqueConstraint(
                fields=["search", "lot", "event"], name="searchmatch_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(event__in=LotEvent.values), name="searchmatch_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.search_id}: lot {self.lot_id} {self.event}"
