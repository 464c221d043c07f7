from django.urls import path

from .views import SavedSearchDetail, SavedSearchListCreate

urlpatterns = [
    path("saved-searches/", SavedSearchListCreate.as_view(), name="api-saved-search-list"),
    path("saved-searches/<int:pk>/", SavedSearchDetail.as_view(), name="api-saved-search-detail"),
]
