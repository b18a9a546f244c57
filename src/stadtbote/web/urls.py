from django.urls import path

from stadtbote.web.views import (
    app,
    assistant,
    calendar,
    case_page,
    knowledge,
    links,
    public,
    pwa,
    reporting,
    reports,
)

app_name = "web"
urlpatterns = [
    path("", public.home, name="home"),
    path("language", public.switch_language, name="language"),
    path("<slug:tenant>/", public.tenant_home, name="tenant"),
    path("<slug:tenant>/messages/<uuid:message_id>", public.message_page, name="message"),
    path(
        "<slug:tenant>/accessibility",
        public.legal,
        {"kind": "accessibility"},
        name="accessibility",
    ),
    path("<slug:tenant>/accessibility/feedback", public.feedback, name="feedback"),
    path("<slug:tenant>/privacy", public.legal, {"kind": "privacy"}, name="privacy"),
    path("<slug:tenant>/imprint", public.legal, {"kind": "imprint"}, name="imprint"),
    path("<slug:tenant>/info/<int:entry_id>", knowledge.entry_page, name="knowledge-entry"),
    path("<slug:tenant>/reports/numbers", reports.numbers, name="report-numbers"),
    path("<slug:tenant>/report", reporting.report, name="report"),
    path(
        "<slug:tenant>/topics/<slug:topic>/calendar.ics",
        calendar.topic_calendar,
        name="topic-calendar",
    ),
    path("<slug:tenant>/reports/mine", case_page.mine, name="my-reports"),
    path(
        "<slug:tenant>/reports/follow/<str:token>", case_page.confirm_follow, name="follow-confirm"
    ),
    path("<slug:tenant>/reports/unfollow/<str:token>", case_page.unfollow, name="unfollow"),
    path("<slug:tenant>/reports/<uuid:report_id>", case_page.case_page, name="case"),
    path("<slug:tenant>/reports/<uuid:report_id>/follow", case_page.follow, name="follow"),
    path("<slug:tenant>/assistant", assistant.chat, name="assistant"),
    path("<slug:tenant>/assistant/inquiry", assistant.ask_staff, name="inquiry"),
    path("<slug:tenant>/assistant/<str:question_id>/rate", assistant.rate, name="assistant-rate"),
    path("<slug:tenant>/start", app.onboarding, name="start"),
    path("<slug:tenant>/inbox", app.inbox, name="inbox"),
    path("<slug:tenant>/inbox/read", app.mark_read, name="read"),
    path("<slug:tenant>/settings", app.settings_page, name="settings"),
    path("<slug:tenant>/settings/pause", app.pause, name="pause"),
    path("<slug:tenant>/settings/delete", app.delete, name="delete"),
    path("<slug:tenant>/settings/export", app.export, name="export"),
    path("<slug:tenant>/manifest.webmanifest", pwa.manifest, name="manifest"),
    path("<slug:tenant>/sw.js", pwa.service_worker, name="sw"),
    path("<slug:tenant>/theme.css", pwa.theme, name="theme"),
    path("<slug:tenant>/offline", pwa.offline, name="offline"),
    path("<slug:tenant>/icon-<int:size>.png", pwa.icon, name="icon"),
    path(
        "<slug:tenant>/icon-<int:size>-maskable.png",
        pwa.icon,
        {"variant": "maskable"},
        name="icon-maskable",
    ),
    path("<slug:tenant>/confirm/<str:token>", links.confirm, name="confirm"),
    path("<slug:tenant>/unsubscribe/<str:token>", links.unsubscribe, name="unsubscribe"),
]
