from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .health import healthz, readyz

api_patterns = [
    path("", include("suppliers.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("verification.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("passports.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("searches.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from its own URL: no inline script,
    # so the page works under the Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include(api_patterns)),
    path("", include("verification.urls")),
    path("", include("marketplace.urls")),
    path("", include("reviews.urls")),
    path("", include("passports.urls")),
    path("", include("accounts.urls")),
    path("", include("searches.urls")),
]
