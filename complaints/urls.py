"""Pages of the complaints app, one module of views per area (cases, imports, public form)."""
from django.urls import include, path

app_name = "complaints"

urlpatterns = [
    path("", include("complaints.views.cases")),
    path("import/", include("complaints.views.imports")),
    path("public/", include("complaints.views.public")),
]
