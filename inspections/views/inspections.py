"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class InspectionListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionListView")


class InspectionCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionCreateView")


class InspectionDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionDetailView")


class InspectionEditView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionEditView")


class InspectionSubmitView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionSubmitView")


class InspectionCorrectView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionCorrectView")


class InspectionPhotoView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("InspectionPhotoView")
