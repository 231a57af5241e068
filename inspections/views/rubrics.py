"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class RubricListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricListView")


class RubricCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricCreateView")


class RubricImportView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricImportView")


class RubricDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricDetailView")


class RubricEditView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricEditView")


class RubricNewVersionView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricNewVersionView")


class RubricActivateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricActivateView")


class RubricExportView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("RubricExportView")
