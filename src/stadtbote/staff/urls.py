from django.urls import path

from stadtbote.staff.views import actions, audit, auth, cases, dashboard, events, messages

app_name = "staff"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login", auth.sign_in, name="login"),
    path("logout", auth.sign_out, name="logout"),
    path("verify", auth.verify, name="verify"),
    path("setup", auth.setup, name="setup"),
    path("numbers", dashboard.numbers, name="numbers"),
    path("audit", audit.audit_log, name="audit"),
    path("events/", events.events, name="events"),
    path("events/<uuid:uid>/cancel", events.cancel_event, name="cancel-event"),
    path("messages/", messages.message_list, name="messages"),
    path("messages/new", messages.compose, name="compose"),
    path("messages/reach", messages.reach, name="reach"),
    path("messages/<uuid:message_id>", messages.message_detail, name="message"),
    path("messages/<uuid:message_id>/approve", messages.approve, name="approve"),
    path("messages/<uuid:message_id>/cancel", messages.cancel, name="cancel"),
    path("audit.csv", audit.audit_csv, name="audit-csv"),
    path("cases/", cases.case_queue, name="cases"),
    path("cases/<int:number>", cases.case_detail, name="case"),
    path("cases/<int:number>/reply-text", cases.reply_text, name="reply-text"),
    path("cases/<int:number>/photos/<int:photo_id>", cases.case_photo, name="photo"),
    path("cases/<int:number>/status", actions.set_status, name="status"),
    path("cases/<int:number>/reply", actions.send_reply, name="reply"),
    path("cases/<int:number>/note", actions.add_note, name="note"),
    path("cases/<int:number>/assign", actions.assign, name="assign"),
    path("cases/<int:number>/route", actions.route, name="route"),
    path("cases/<int:number>/merge", actions.merge, name="merge"),
    path("cases/<int:number>/moderate", actions.moderate, name="moderate"),
    path(
        "cases/<int:number>/photos/<int:photo_id>/<slug:action>",
        actions.photo,
        name="photo-action",
    ),
]
