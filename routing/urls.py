from django.urls import path

from . import views

urlpatterns = [
    path("routing/rule-sets/", views.rule_set_index, name="rule-set-list"),
    path("routing/rule-sets/edit/", views.rule_set_edit, name="rule-set-edit"),
    path("routing/jobs/<int:pk>/", views.reroute_job_detail, name="reroute-job"),
    path("lots/<int:pk>/split/", views.lot_split, name="lot-split"),
]
