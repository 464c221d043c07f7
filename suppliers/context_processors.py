from .selectors import is_auditor, is_supplier


def roles(request) -> dict:
    """What the navigation offers: suppliers manage lots, auditors reach the audit queue."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_is_supplier": False, "user_is_auditor": False}
    return {"user_is_supplier": is_supplier(user), "user_is_auditor": is_auditor(user)}
