from .selectors import BUYER_KINDS, SUPPLIER_KINDS, is_auditor, organisations_of


def roles(request) -> dict:
    """What the navigation offers: suppliers manage lots, buyers keep their saved searches,
    auditors reach the audit queue. One query, for the kinds of the user's organisations."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_is_supplier": False, "user_is_buyer": False, "user_is_auditor": False}
    kinds = set(organisations_of(user=user).values_list("kind", flat=True))
    return {
        "user_is_supplier": bool(kinds & set(SUPPLIER_KINDS)),
        "user_is_buyer": bool(kinds & set(BUYER_KINDS)),
        "user_is_auditor": is_auditor(user),
    }
