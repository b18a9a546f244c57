"""CAP 1.2 documents and their Atom index, mounted at ``cap/<tenant>/`` by the root URLconf."""

from django.urls import path

from stadtbote.web.views import cap

app_name = "cap"
urlpatterns = [
    path("alerts/<uuid:message_id>.xml", cap.alert, name="alert"),
    path("feed.atom", cap.feed, name="feed"),
]
