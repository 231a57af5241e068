"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class CommitteeListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("CommitteeListView")


class CommitteeDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("CommitteeDetailView")


class CommitteeUpdateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("CommitteeUpdateView")


class CommitteeCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("CommitteeCreateView")
