"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class FirmListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("FirmListView")


class FirmCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("FirmCreateView")


class FirmDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("FirmDetailView")


class FirmUpdateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("FirmUpdateView")
