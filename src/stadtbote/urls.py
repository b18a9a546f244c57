from django.contrib import admin
from django.urls import include, path

from stadtbote.api.app import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the web app: its patterns start with a tenant slug.
    path("open311/", include("stadtbote.open311.urls")),
    path("<slug:tenant>/staff/", include("stadtbote.staff.urls")),
    # The town's messages as CAP 1.2, with an Atom index for aggregators.
    path("cap/<slug:tenant>/", include("stadtbote.web.cap_urls")),
    path("", include("stadtbote.web.urls")),
]
