from django.urls import path

from .views import PackPassport, PackReuseCertificate, PassportImport

urlpatterns = [
    path("packs/<int:pk>/passport/", PackPassport.as_view(), name="api-pack-passport"),
    path(
        "packs/<int:pk>/reuse-certificate/",
        PackReuseCertificate.as_view(),
        name="api-pack-reuse-certificate",
    ),
    path("passports/import/", PassportImport.as_view(), name="api-passport-import"),
]
