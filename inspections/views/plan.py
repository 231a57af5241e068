"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class ProgressView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("ProgressView")


class FrequencyView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("FrequencyView")
