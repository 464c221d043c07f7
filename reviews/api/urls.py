from django.urls import path

from . import views

urlpatterns = [
    path("audit/queue/", views.ReviewQueue.as_view(), name="api-audit-queue"),
    path("audit/lots/<int:pk>/decision/", views.LotDecision.as_view(), name="api-audit-decision"),
    path("audit/lots/<int:pk>/route/", views.LotRouteOverride.as_view(), name="api-audit-route"),
    path(
        "audit/lots/<int:pk>/requests/",
        views.LotRequestCreate.as_view(),
        name="api-audit-request-create",
    ),
    path("audit/requests/", views.RequestList.as_view(), name="api-audit-requests"),
    path(
        "audit/requests/<int:pk>/answers/",
        views.RequestAnswerCreate.as_view(),
        name="api-audit-answer",
    ),
    path("audit/requests/<int:pk>/close/", views.RequestClose.as_view(), name="api-audit-close"),
    path(
        "audit/test-records/<int:pk>/rerun/",
        views.TestRecordRerun.as_view(),
        name="api-audit-rerun",
    ),
]
