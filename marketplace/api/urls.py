from django.urls import path
from rest_framework.routers import SimpleRouter

from .history import DocumentDetail, DocumentDownload, LotDocuments, LotHistory
from .pack_import import LotPackImport
from .packs import PackFigures
from .views import LotViewSet, PackModelApprove, PackTestRecordListCreate, SupplierScorecardDetail

router = SimpleRouter()
router.register("lots", LotViewSet, basename="api-lot")

urlpatterns = [
    *router.urls,
    path("lots/<int:pk>/packs/import/", LotPackImport.as_view(), name="api-lot-pack-import"),
    path(
        "pack-models/<int:pk>/approve/", PackModelApprove.as_view(), name="api-pack-model-approve"
    ),
    path(
        "packs/<int:pk>/test-records/",
        PackTestRecordListCreate.as_view(),
        name="api-pack-test-records",
    ),
    path("packs/<int:pk>/figures/", PackFigures.as_view(), name="api-pack-figures"),
    path("lots/<int:pk>/history/", LotHistory.as_view(), name="api-lot-history"),
    path("lots/<int:pk>/documents/", LotDocuments.as_view(), name="api-lot-documents"),
    path("documents/<int:pk>/", DocumentDetail.as_view(), name="api-document-detail"),
    path("documents/<int:pk>/download/", DocumentDownload.as_view(), name="api-document-download"),
    path(
        "suppliers/<int:pk>/scorecard/",
        SupplierScorecardDetail.as_view(),
        name="api-supplier-scorecard",
    ),
]
