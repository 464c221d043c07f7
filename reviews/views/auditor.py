"""The auditors' workspace: the queue, a lot's review page and its decisions."""

urlpatterns: list = []
