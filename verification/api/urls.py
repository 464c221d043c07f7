from django.urls import path

from .views import PackVerificationList, TestRecordDetail

urlpatterns = [
    path(
        "packs/<int:pk>/verifications/",
        PackVerificationList.as_view(),
        name="api-pack-verifications",
    ),
    path("test-records/<int:pk>/", TestRecordDetail.as_view(), name="api-test-record-detail"),
]
