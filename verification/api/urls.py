from django.urls import path

from .views import PackTestRecordListCreate, TestRecordDetail

urlpatterns = [
    path(
        "packs/<int:pk>/test-records/",
        PackTestRecordListCreate.as_view(),
        name="api-pack-test-records",
    ),
    path("test-records/<int:pk>/", TestRecordDetail.as_view(), name="api-test-record-detail"),
]
