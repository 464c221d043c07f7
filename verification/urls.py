from django.urls import path

from . import views

urlpatterns = [
    path("lots/<int:pk>/test-data/", views.test_record_upload, name="test-record-upload"),
    path("lots/<int:pk>/test-data/status/", views.test_record_status, name="test-record-status"),
]
