"""Views: imports (see complaints/urls.py)."""
urlpatterns: list = []
