"""Photos are served through the scope check, never as bare MEDIA URLs.

File names are random, but a link forwarded outside the handling chain must
still not open: each request looks the photo up inside visible_to(user).
"""
import mimetypes

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.views import View

from ..models import Inspection, InspectionPhoto, OrderPhoto, RectificationOrder


class _PhotoView(LoginRequiredMixin, View):
    def get_photo(self, request, pk):  # pragma: no cover - overridden
        raise NotImplementedError

    def get(self, request, pk):
        photo = self.get_photo(request, pk)
        if photo is None:
            raise Http404
        try:
            handle = photo.image.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404
        content_type = mimetypes.guess_type(photo.image.name)[0] or "application/octet-stream"
        response = FileResponse(handle, content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response


class InspectionPhotoFileView(_PhotoView):
    def get_photo(self, request, pk):
        return InspectionPhoto.objects.filter(
            pk=pk, inspection__in=Inspection.objects.visible_to(request.user)).first()


class OrderPhotoFileView(_PhotoView):
    def get_photo(self, request, pk):
        return OrderPhoto.objects.filter(
            pk=pk, order__in=RectificationOrder.objects.visible_to(request.user)).first()
