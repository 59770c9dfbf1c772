"""The ``comptoir`` command: Django's management commands plus the product's own.

``comptoir migrate``, ``comptoir createsuperuser`` ... are Django's; ``comptoir run``,
``comptoir demo`` and ``comptoir replay`` are comptoir's (``comptoir help`` lists all).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")  # `comptoir import-mail` runs `import_mail`
    execute_from_command_line(["comptoir", *args])


if __name__ == "__main__":
    main()
