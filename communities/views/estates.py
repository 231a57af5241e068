"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class EstateListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateListView")


class EstateCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateCreateView")


class EstateImportView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateImportView")


class EstateImportTemplateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateImportTemplateView")


class EstateDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateDetailView")


class EstateUpdateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("EstateUpdateView")
