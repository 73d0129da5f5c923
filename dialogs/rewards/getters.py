"""What the thank-you offer windows show a participant. Getters only read."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager

from bot.services import reciprocity
from dialogs.offers import words
from storage import reciprocity as store
from storage.models import ClaimState, OfferKind
from storage.types import utcnow

ASKED = "✓ "


async def get_offers(session, participant, locale: str, **_kw: Any) -> dict[str, Any]:
    found = await reciprocity.open_offers_for(session, participant, locale, now=utcnow())
    items = []
    for view in found:
        label = f"{words.kind_name(view.offer.kind)}: {view.title}"
        holding = view.claim is not None and view.claim.state in store.HOLDING_STATES
        items.append((view.offer.id, ASKED + label if holding else label))
    mine = await store.claims_of_participant(session, participant.id)
    return {"offers": items, "some": bool(items), "none": not items, "has_claims": bool(mine)}


async def get_offer(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    view = await reciprocity.offer_for(
        session, participant, dialog_manager.dialog_data.get("offer_id", 0), locale
    )
    if view is None:
        return {"missing": True, "found": False, **dict.fromkeys(_OFFER_FLAGS, False)}
    offer, claim = view.offer, view.claim
    is_open = reciprocity.is_open(offer, utcnow())
    holding = claim is not None and claim.state in store.HOLDING_STATES
    lines = [
        _("{kind} from {project}").format(
            kind=words.kind_name(offer.kind), project=view.project_name
        )
    ]
    if view.description:
        lines.append(view.description)
    if not holding:
        lines.append(words.places_line(offer))
        if offer.closes_at and is_open:
            lines.append(
                _("You can ask until {day}.").format(
                    day=words.closing_day(offer, view.project_timezone, locale)
                )
            )
        lines.append(words.eligibility_line(offer.min_meetings))
    status = ""
    if claim is not None and claim.state != ClaimState.WITHDRAWN:
        status = _("Your request: {state}").format(state=words.state_name(claim.state))
        if claim.amount_pence:
            status += "\n" + _("Amount: {amount}").format(
                amount=words.money(claim.amount_pence, locale)
            )
        if claim.state == ClaimState.DECLINED and claim.reason:
            status += "\n" + _("The team said: {reason}").format(reason=claim.reason)
    can_ask = is_open and not holding and view.eligible and view.places_left != 0
    return {
        "missing": False,
        "found": True,
        "title": view.title,
        "details": "\n".join(lines),
        "status": status,
        "has_status": bool(status),
        "money": reciprocity.pays_money(offer),
        "benefits": words.benefits_note(),
        "can_ask": can_ask,
        "not_eligible": is_open and not holding and not view.eligible,
        "closed": not is_open and not holding,
        "can_cancel": holding and claim.state == ClaimState.REQUESTED,
    }


_OFFER_FLAGS = (
    "title",
    "details",
    "status",
    "has_status",
    "money",
    "benefits",
    "can_ask",
    "not_eligible",
    "closed",
    "can_cancel",
)


async def get_amount(locale: str, **_kw: Any) -> dict[str, Any]:
    return {"example": words.money(1250, locale)}


async def get_confirm(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    view = await reciprocity.offer_for(session, participant, data.get("offer_id", 0), locale)
    title = view.title if view else ""
    travel = view is not None and view.offer.kind == OfferKind.TRAVEL
    amount = data.get("amount_pence")
    return {
        "title": title,
        "travel": travel,
        "other": not travel,
        "amount": words.money(amount, locale) if amount else "",
        "receipt": bool(data.get("receipt_file_id")),
    }


async def get_mine(session, participant, locale: str, **_kw: Any) -> dict[str, Any]:
    claims = await store.claims_of_participant(session, participant.id)
    texts = await store.texts_of_many(session, [offer.id for _claim, offer in claims])
    lines = []
    for claim, offer in claims:
        title = reciprocity.title_in(texts[offer.id], locale, offer.source_locale)
        line = _("• {title}: {state}").format(title=title, state=words.state_name(claim.state))
        if claim.state == ClaimState.DECLINED and claim.reason:
            line += "\n  " + _("The team said: {reason}").format(reason=claim.reason)
        lines.append(line)
    return {
        "lines": "\n".join(lines),
        "some": bool(lines),
        "none": not lines,
    }
