"""The staff's work lists: cases ordered by the next promise that falls due, and the load per
department. Read-only; every change goes through ``service``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case as When_
from django.db.models import Count, F, Q, QuerySet
from django.db.models import When as W
from django.utils import timezone

from stadtbote.reports.models import Case, Department
from stadtbote.reports.states import OPEN, CaseStatus

OPEN_VALUES = [s.value for s in OPEN]
CLOSED_VALUES = [s.value for s in CaseStatus if s not in OPEN]
SOON = timedelta(hours=4)


@dataclass(frozen=True)
class Filters:
    department: str = ""  # slug; "" = all departments
    state: str = "open"  # open | closed | all
    assignee: str = ""  # "" any | "me" | "none"
    overdue: bool = False
    category: str = ""
    search: str = ""


def with_next_due(cases: QuerySet[Case]) -> QuerySet[Case]:
    """``next_due``: the first-answer deadline until the citizen has had an answer, then the
    deadline to resolve; closed cases have none."""
    return cases.annotate(
        next_due=When_(
            W(~Q(status__in=OPEN_VALUES), then=None),
            W(first_response_at__isnull=True, then=F("first_response_due")),
            default=F("resolve_due"),
        )
    )


def queue(tenant_id: int, filters: Filters, user_id: int | None, now: datetime) -> QuerySet[Case]:
    cases = Case.objects.filter(tenant_id=tenant_id).select_related(
        "category", "department", "assignee"
    )
    if filters.department:
        cases = cases.filter(department__slug=filters.department)
    if filters.state == "open":
        cases = cases.filter(status__in=OPEN_VALUES)
    elif filters.state == "closed":
        cases = cases.filter(status__in=CLOSED_VALUES)
    if filters.assignee == "me" and user_id is not None:
        cases = cases.filter(assignee_id=user_id)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    if filters.category:
        cases = cases.filter(category__slug=filters.category)
    search = filters.search.strip().lstrip("#")
    if search.isascii() and search.isdigit():
        cases = cases.filter(number=int(search))
    elif search:
        cases = cases.filter(Q(address__icontains=search) | Q(description__icontains=search))
    cases = with_next_due(cases)
    if filters.overdue:
        cases = cases.filter(Q(next_due__lt=now))
    if filters.state == "closed":
        return cases.order_by("-updated_at", "-number")
    return cases.order_by(F("next_due").asc(nulls_last=True), "number")


@dataclass(frozen=True)
class Load:
    department: Department
    open: int
    unanswered: int
    answer_overdue: int
    resolve_overdue: int
    due_soon: int


def workload(tenant_id: int, now: datetime | None = None) -> list[Load]:
    """Per department: what is open, what still waits for a first answer, what is late.

    One pass over the town's open cases (the case_queue index), grouped by department."""
    now = now or timezone.now()
    unanswered = Q(first_response_at__isnull=True)
    counts = {
        row["department_id"]: row
        for row in Case.objects.filter(tenant_id=tenant_id, status__in=OPEN_VALUES)
        .values("department_id")
        .annotate(
            n_open=Count("id"),
            n_unanswered=Count("id", filter=unanswered),
            n_answer_overdue=Count("id", filter=unanswered & Q(first_response_due__lt=now)),
            n_resolve_overdue=Count("id", filter=~unanswered & Q(resolve_due__lt=now)),
            n_due_soon=Count(
                "id", filter=unanswered & Q(first_response_due__range=(now, now + SOON))
            ),
        )
        .order_by()
    }
    empty = {"n_open": 0, "n_unanswered": 0, "n_answer_overdue": 0, "n_resolve_overdue": 0,
             "n_due_soon": 0}  # fmt: skip
    loads = []
    for d in Department.objects.filter(tenant_id=tenant_id).order_by("slug"):
        c = counts.get(d.pk, empty)
        loads.append(
            Load(
                department=d,
                open=c["n_open"],
                unanswered=c["n_unanswered"],
                answer_overdue=c["n_answer_overdue"],
                resolve_overdue=c["n_resolve_overdue"],
                due_soon=c["n_due_soon"],
            )
        )
    return loads
