from typing import Any

from django.core.management.base import BaseCommand

from builder.demo import do_seed_demo


class Command(BaseCommand):
    help = "Create the admin user, the demo workspace and the published demo chat app."

    def handle(self, *args: Any, **options: Any) -> None:
        user, password = do_seed_demo()
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
