from django.urls import path

from .views import token_list, token_revoke_view

urlpatterns = [
    path("account/tokens/", token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", token_revoke_view, name="token-revoke"),
]
