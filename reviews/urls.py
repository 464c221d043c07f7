from .views import actions, auditor, dashboard, supplier

# Each page module lists its own routes: the auditors' workspace and the suppliers' side.
urlpatterns = [
    *auditor.urlpatterns,
    *actions.urlpatterns,
    *supplier.urlpatterns,
    *dashboard.urlpatterns,
]
