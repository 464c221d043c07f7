from django.urls import path

from . import views

urlpatterns = [
    path("packs/<int:pk>/passport.json", views.pack_passport, name="pack-passport"),
    path(
        "packs/<int:pk>/reuse-certificate.json",
        views.pack_reuse_certificate,
        name="pack-reuse-certificate",
    ),
    path("supplier/passports/import/", views.passport_import_view, name="passport-import"),
]
