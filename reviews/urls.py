from .views import auditor, overrides, supplier

# Each page module lists its own routes: the auditors' workspace and the suppliers' side.
urlpatterns = [*auditor.urlpatterns, *overrides.urlpatterns, *supplier.urlpatterns]
