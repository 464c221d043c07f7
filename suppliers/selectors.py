from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, Q, QuerySet
from django.db.models.functions import Upper

from core.errors import ApplicationError

from .choices import BROWSABLE_LOT_STATUSES, MembershipRole, OrganisationKind
from .models import Document, Lot, Membership, Organisation, Pack, PackModel

SUPPLIER_KINDS = (OrganisationKind.SUPPLIER, OrganisationKind.BOTH)
BUYER_KINDS = (OrganisationKind.BUYER, OrganisationKind.BOTH)

User = AbstractBaseUser | AnonymousUser

# Set on the request's user by an API credential that acts for one organisation (a personal
# token, accounts.authentication): every question of membership below then answers for that
# organisation alone, so a token never reaches its user's other organisations.
ACTING_FOR = "acting_for_organisation_id"


def memberships_of(*, user: User) -> QuerySet[Membership]:
    """The memberships a user acts through: all of them on the web, one through a token."""
    if not user.is_authenticated:
        return Membership.objects.none()
    memberships = Membership.objects.filter(user=user)
    acting_for = getattr(user, ACTING_FOR, None)
    if acting_for is not None:
        memberships = memberships.filter(organisation_id=acting_for)
    return memberships


def organisations_of(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=memberships_of(user=user).values("organisation_id"))


def is_member(*, user: User, organisation_id: int) -> bool:
    return memberships_of(user=user).filter(organisation_id=organisation_id).exists()


def is_auditor(user: User) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def supplier_organisations(*, user: User) -> QuerySet[Organisation]:
    return organisations_of(user=user).filter(kind__in=SUPPLIER_KINDS)


def acting_supplier(*, user: User, supplier: Organisation | None, doing: str) -> Organisation:
    """The supplier organisation `user` acts for in `doing` ("list lots", ...): the one named,
    if theirs, or their only one. Refused with the reason otherwise."""
    own = supplier_organisations(user=user)
    acting_for = getattr(user, ACTING_FOR, None)
    if supplier is not None:
        if acting_for is not None and supplier.pk != acting_for:
            token_for = Organisation.objects.get(pk=acting_for)
            raise ApplicationError(
                f"This token acts for {token_for}, not for {supplier}.", field="supplier"
            )
        if not own.filter(pk=supplier.pk).exists():
            raise ApplicationError(
                f"You can only {doing} for your own supplier organisation.", field="supplier"
            )
        return supplier
    found = list(own[:2])
    if not found:
        raise ApplicationError(
            f"Only members of a supplier organisation {doing}.", field="supplier"
        )
    if len(found) > 1:
        raise ApplicationError(
            f"You belong to several supplier organisations: say which one you {doing} for.",
            field="supplier",
        )
    return found[0]


def is_supplier(user: User) -> bool:
    return supplier_organisations(user=user).exists()


def is_buyer(user: User) -> bool:
    return organisations_of(user=user).filter(kind__in=BUYER_KINDS).exists()


def _lots_with_relations() -> QuerySet[Lot]:
    return Lot.objects.select_related("supplier", "pack_model")


def lot_list_visible(*, user: User) -> QuerySet[Lot]:
    """Lots a user may open: browsable ones, their own organisations' lots, or all for auditors."""
    lots = _lots_with_relations()
    if is_auditor(user):
        return lots
    if not user.is_authenticated:
        return lots.none()
    return lots.filter(
        Q(status__in=BROWSABLE_LOT_STATUSES) | Q(supplier__in=organisations_of(user=user))
    )


def lot_list_owned(*, user: User) -> QuerySet[Lot]:
    return _lots_with_relations().filter(supplier__in=supplier_organisations(user=user))


def lot_can_manage(*, user: User, lot: Lot) -> bool:
    """Only the supplying organisation's members change a lot or see its raw test data."""
    return is_member(user=user, organisation_id=lot.supplier_id)


def lot_can_commit(*, user: User, lot: Lot) -> bool:
    """Submitting a lot to verification and withdrawing it commit the organisation: its
    administrators do that; members prepare drafts and upload data."""
    return (
        memberships_of(user=user)
        .filter(organisation_id=lot.supplier_id, role=MembershipRole.ADMIN)
        .exists()
    )


def pack_list_manageable(*, user: User) -> QuerySet[Pack]:
    return Pack.objects.select_related("lot", "lot__pack_model").filter(
        lot__supplier__in=supplier_organisations(user=user)
    )


def pack_model_list(*, user: User) -> QuerySet[PackModel]:
    """Approved models are everyone's catalogue; a proposal is its organisation's until an
    auditor approves it. Auditors see every model (they approve them)."""
    if is_auditor(user):
        return PackModel.objects.all()
    if not user.is_authenticated:
        return PackModel.objects.none()
    return PackModel.objects.filter(
        Q(approved_at__isnull=False) | Q(proposed_by__in=organisations_of(user=user))
    )


def pack_model_list_for_supplier(*, supplier: Organisation) -> QuerySet[PackModel]:
    """The models a supplier may list lots of: approved ones and its own proposals."""
    return PackModel.objects.filter(Q(approved_at__isnull=False) | Q(proposed_by=supplier))


def pack_serials_live(*, serials: Iterable[str]) -> QuerySet[Pack]:
    """The live packs on the platform holding any of `serials`, whatever their case: a serial
    (or passport id) names one live pack, whoever lists it."""
    wanted = {serial.upper() for serial in serials}
    return (
        Pack.objects.filter(live=True)
        .annotate(serial_upper=Upper("serial"))
        .filter(serial_upper__in=wanted)
    )


def document_list_visible(*, user: User) -> QuerySet[Document]:
    """Documents a user may see and download: all of their own organisations' and, for the
    auditors, everyone's; a buyer sees those the supplier published, on lots buyers browse.
    Anyone else sees none (and is told nothing of them)."""
    documents = Document.objects.select_related("pack", "history_event")
    if is_auditor(user):
        return documents
    if not user.is_authenticated:
        return documents.none()
    # One query: whether the user is a buyer is asked inside it.
    own = organisations_of(user=user)
    buyer = Exists(own.filter(kind__in=BUYER_KINDS))
    return documents.filter(
        Q(owner__in=own) | (Q(published=True, lot__status__in=BROWSABLE_LOT_STATUSES) & Q(buyer))
    )
