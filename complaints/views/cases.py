"""Views: cases (see complaints/urls.py)."""
urlpatterns: list = []
