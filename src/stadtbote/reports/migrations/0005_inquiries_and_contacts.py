from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_reply_templates"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="kind",
            field=models.CharField(
                choices=[
                    ("report", "A problem at a place (Open311 service)"),
                    ("inquiry", "A question for staff"),
                ],
                default="report",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="language",
            field=models.CharField(blank=True, max_length=8),
        ),
        migrations.AddField(
            model_name="department",
            name="phone",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="department",
            name="address",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="department",
            name="public_email",
            field=models.EmailField(blank=True, help_text="Shown to citizens", max_length=254),
        ),
        migrations.AddField(
            model_name="department",
            name="opening_hours",
            field=models.JSONField(
                blank=True, default=dict, help_text='Per language, e.g. {"de": "Mo–Fr 8–12 Uhr"}'
            ),
        ),
        migrations.AddField(
            model_name="department",
            name="public",
            field=models.BooleanField(default=False, help_text="Listed on the contacts page"),
        ),
    ]
