from rest_framework.routers import SimpleRouter

from .views import LotViewSet, PackModelViewSet

router = SimpleRouter()
router.register("lots", LotViewSet, basename="api-lot")
router.register("pack-models", PackModelViewSet, basename="api-pack-model")

urlpatterns = router.urls
