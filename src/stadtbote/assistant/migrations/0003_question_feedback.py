import uuid

import django.db.models.deletion
from django.db import migrations, models


def give_public_ids(apps, schema_editor):
    Question = apps.get_model("assistant", "Question")
    for question in Question.objects.filter(public_id__isnull=True).only("pk").iterator():
        Question.objects.filter(pk=question.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("assistant", "0002_questions_and_disclosures"),
        ("reports", "0005_inquiries_and_contacts"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="question",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="question",
            name="reviewed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="question",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="reports.case",
            ),
        ),
    ]
