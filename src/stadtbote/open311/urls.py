from django.urls import re_path

from stadtbote.open311 import requests, views

FMT = r"\.(?P<fmt>xml|json)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/discovery" + FMT, views.discovery, name="discovery-v2"),
    re_path(r"^v2/services" + FMT, views.services, name="services"),
    re_path(r"^v2/services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, requests.dispatch, name="requests"),
    re_path(r"^v2/requests/(?P<number>[^/.]+)" + FMT, requests.one, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/.]+)" + FMT, requests.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, requests.updates, name="updates"),
]
