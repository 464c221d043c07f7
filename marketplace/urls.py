from django.urls import path

from . import views

urlpatterns = [
    path("lots/", views.lot_browse, name="lot-browse"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("packs/<int:pk>/", views.pack_detail, name="pack-detail"),
]
