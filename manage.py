#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["verify_file"]:
        # Measuring a file touches no database, app or setting: skip django.setup().
        from verification.management.commands.verify_file import run_without_django

        sys.exit(run_without_django(sys.argv[2:]))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
