"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class StreetListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("StreetListView")


class CommunityListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("CommunityListView")
