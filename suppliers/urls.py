from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("supplier/lots/", views.lot_list_mine, name="lot-list-mine"),
    path("supplier/lots/new/", views.lot_new, name="lot-new"),
    path("lots/<int:pk>/submit/", views.lot_submit_view, name="lot-submit"),
]
