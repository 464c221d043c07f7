from rest_framework.routers import SimpleRouter

from .views import PackModelViewSet

router = SimpleRouter()
router.register("pack-models", PackModelViewSet, basename="api-pack-model")

urlpatterns = router.urls
