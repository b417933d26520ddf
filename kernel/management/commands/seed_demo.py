"""`manage.py seed_demo`: what `make run` sets up, seeded by the project (settings.WEFT_DEMO_SEEDER,
portal/demo.py): the kernel knows no feature app, the project knows them all."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Create the admin user, the demo workspace, its apps and the handbook knowledge base."

    def handle(self, *args: Any, **options: Any) -> None:
        seed = import_string(settings.WEFT_DEMO_SEEDER)
        user, password = seed()
        if password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Admin login: {user.email} / {password}  (generated; set WEFT_ADMIN_PASSWORD "
                    "to choose your own)"
                )
            )
        else:
            self.stdout.write(
                f"Admin login: {user.email} (password from WEFT_ADMIN_PASSWORD "
                "or as you changed it)"
            )
