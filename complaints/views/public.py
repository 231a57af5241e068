"""Views: public (see complaints/urls.py)."""
urlpatterns: list = []
