from django.db import models


class PassportKind(models.TextChoices):
    BATTERY_PASS = "battery_pass", "BatteryPass 6.1.0"
    REUSE_CERTIFICATE = "reuse_certificate", "ReuseCertificate 3.0.0"


class PassportDirection(models.TextChoices):
    EXPORT = "export", "Issued here"
    IMPORT = "import", "Imported"
