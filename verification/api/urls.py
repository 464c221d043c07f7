from django.urls import path

from .views import PackTestRecordListCreate, PackVerificationList, TestRecordDetail

urlpatterns = [
    path(
        "packs/<int:pk>/test-records/",
        PackTestRecordListCreate.as_view(),
        name="api-pack-test-records",
    ),
    path(
        "packs/<int:pk>/verifications/",
        PackVerificationList.as_view(),
        name="api-pack-verifications",
    ),
    path("test-records/<int:pk>/", TestRecordDetail.as_view(), name="api-test-record-detail"),
]
