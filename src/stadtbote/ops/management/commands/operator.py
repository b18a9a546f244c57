from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from stadtbote.tenants.models import Operator


class Command(BaseCommand):
    help = (
        "Manage operators (the hosting provider's staff: admin in every town and the only "
        "ones allowed into /admin/, always with a second factor)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="make an account an operator (created if new)")
        add.add_argument("email")
        remove = sub.add_parser("remove", help="take the operator role away")
        remove.add_argument("email")
        sub.add_parser("list", help="list operators")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        User = get_user_model()
        if action == "list":
            for op in Operator.objects.select_related("user").order_by("user__username"):
                self.stdout.write(op.user.get_username())
            return
        email = options["email"].strip().lower()
        if action == "remove":
            user = User.objects.filter(username__iexact=email).first()
            if user is None or not Operator.objects.filter(user=user).exists():
                raise CommandError(f"{email} is not an operator")
            with transaction.atomic():
                Operator.objects.filter(user=user).delete()
                User.objects.filter(pk=user.pk).update(is_staff=False, is_superuser=False)
            self.stdout.write(f"{email} is no longer an operator")
            return
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"not an e-mail address: {email!r}") from exc
        with transaction.atomic():
            user = User.objects.filter(username__iexact=email).first()
            if user is None:
                user = User(username=email, email=email)
                user.set_unusable_password()
            user.is_staff = user.is_superuser = True
            user.save()
            Operator.objects.get_or_create(user=user)
        self.stdout.write(
            f"{email} is an operator. Next: `stadtbote changepassword {email}`, then sign in "
            "to any town's console (/<town>/staff/login) to set up the second factor; "
            "/admin/ asks for the code from then on."
        )
