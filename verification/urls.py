from django.urls import path

from . import views

urlpatterns = [
    path("lots/<int:pk>/test-data/status/", views.test_record_status, name="test-record-status"),
]
