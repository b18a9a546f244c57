"""Town staff no longer enter Django's admin (it shows every town): only operators keep
``is_staff``. Earlier demo loads made town admins superusers; that ends here too."""

from django.db import migrations


def town_staff_leave_the_admin(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Operator = apps.get_model("tenants", "Operator")
    StaffMembership = apps.get_model("tenants", "StaffMembership")
    operators = Operator.objects.values("user_id")
    members = StaffMembership.objects.values("user_id")
    User.objects.filter(pk__in=members).exclude(pk__in=operators).update(
        is_staff=False, is_superuser=False
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_municipality_approval_from"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(town_staff_leave_the_admin, migrations.RunPython.noop)]
