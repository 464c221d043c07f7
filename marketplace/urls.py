from django.urls import path

from .views import drafts, history, lots, pack_import, pack_models, rule_sets, scorecards, supply

urlpatterns = [
    path("", supply.home, name="home"),
    path("supplier/lots/", supply.lot_list_mine, name="lot-list-mine"),
    path("lots/", lots.lot_browse, name="lot-browse"),
    path("lots/<int:pk>/", lots.lot_detail, name="lot-detail"),
    path("lots/<int:pk>/audit.csv", lots.lot_audit_csv, name="lot-audit-csv"),
    path("packs/<int:pk>/", lots.pack_detail, name="pack-detail"),
    path("packs/<int:pk>/charts/", lots.pack_charts, name="pack-charts"),
    path("supplier/lots/new/", supply.lot_new, name="lot-new"),
    path("lots/<int:pk>/submit/", supply.lot_submit_view, name="lot-submit"),
    path("lots/<int:pk>/withdraw/", supply.lot_withdraw_view, name="lot-withdraw"),
    path("lots/<int:pk>/recall/", drafts.lot_recall_view, name="lot-recall"),
    path("lots/<int:pk>/edit/", drafts.lot_edit, name="lot-edit"),
    path("lots/<int:pk>/packs/<int:pack_pk>/remove/", drafts.pack_remove, name="lot-pack-remove"),
    path("supplier/pack-row/", drafts.pack_row, name="pack-row"),
    path("supplier/pack-models/", pack_models.pack_model_index, name="pack-model-list"),
    path("supplier/pack-models/new/", pack_models.pack_model_new, name="pack-model-new"),
    path("lots/<int:pk>/test-data/", supply.test_record_upload, name="test-record-upload"),
    path("lots/<int:pk>/split/", supply.lot_split, name="lot-split"),
    path("lots/<int:pk>/packs/import/", pack_import.pack_import_start, name="pack-import"),
    path(
        "lots/<int:pk>/packs/import/confirm/",
        pack_import.pack_import_confirm_view,
        name="pack-import-confirm",
    ),
    path(
        "supplier/packs/import-template.csv",
        pack_import.pack_import_template,
        name="pack-import-template",
    ),
    path("routing/rule-sets/", rule_sets.rule_set_index, name="rule-set-list"),
    path("routing/rule-sets/edit/", rule_sets.rule_set_edit, name="rule-set-edit"),
    path("routing/jobs/<int:pk>/", rule_sets.reroute_job_detail, name="reroute-job"),
    path("supplier/scorecard/", scorecards.scorecard_mine, name="scorecard-mine"),
    path("suppliers/scorecards/", scorecards.scorecard_index, name="scorecard-list"),
    path("suppliers/<slug:slug>/scorecard/", scorecards.scorecard_detail, name="scorecard-detail"),
    *history.urlpatterns,
]
