"""Placeholder: replaced by the page implementation."""
from django.http import HttpResponse
from django.views import View



class OrderListView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("OrderListView")


class OrderCreateView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("OrderCreateView")


class OrderDetailView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("OrderDetailView")


class OrderActionView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("OrderActionView")
