from django.urls import path

from .views import TokenDestroy, TokenListCreate

urlpatterns = [
    path("tokens/", TokenListCreate.as_view(), name="api-token-list"),
    path("tokens/<int:pk>/", TokenDestroy.as_view(), name="api-token-detail"),
]
