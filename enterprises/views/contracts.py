"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class ContractListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("ContractListView")


class ContractDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("ContractDetailView")


class ContractEndView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("ContractEndView")


class ContractCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("ContractCreateView")
