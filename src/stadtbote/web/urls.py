from django.urls import path

from stadtbote.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:tenant>/", views.tenant_home, name="tenant"),
    path("<slug:tenant>/messages/<uuid:message_id>", views.message_page, name="message"),
    path("<slug:tenant>/confirm/<str:token>", views.confirm, name="confirm"),
    path("<slug:tenant>/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
