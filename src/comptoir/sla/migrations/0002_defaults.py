"""The field's defaults: plan tiers (channels per plan) and the Standard, Premium and
Enterprise SLA policies (see comptoir.sla.defaults)."""

from django.db import migrations


def install(apps, schema_editor):
    from comptoir.sla import defaults

    defaults.install(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
