#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["verify_file"]:
        # Measuring a file touches no database, app or setting: no django.setup(), no Django.
        from verification.verify_cli import main

        status = main(sys.argv[2:])
        if status is not None:
            sys.exit(status)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
