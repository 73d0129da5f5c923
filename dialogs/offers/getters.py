"""What the staff offer windows show. Getters only read; every read checks, in the service,
that the reader is staff in the offer's project."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram_dialog import DialogManager
from babel.dates import format_date

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LANGUAGE_NAMES, babel_locale
from bot.services import delivery, people, reciprocity
from bot.services.reciprocity import OfferDraft
from dialogs.offers import words
from dialogs.states import Offers
from storage import projects
from storage import reciprocity as store
from storage.models import ClaimState, OfferKind
from storage.types import utcnow

CLOSES_IN_DAYS = (14, 30)
PLACES_CHOICES = (1, 5, 10, 20)
MEETINGS_CHOICES = (1, 3)
NO_LIMIT = 0


def draft_of(manager: DialogManager) -> OfferDraft | None:
    return OfferDraft.from_data(manager.dialog_data.get("draft"))


def person_label(person) -> str:
    """How staff see who asked: the name they gave, or a number (never a Telegram id)."""
    if person is not None and person.display_name:
        return person.display_name
    return _("Member no. {number}").format(number=person.id if person else "?")


async def get_projects(session, participant, **_kw: Any) -> dict[str, Any]:
    found = []
    for project_id in await people.staff_projects(session, participant):
        project = await projects.get_project(session, project_id)
        if project is not None:
            found.append((project.id, project.name))
    return {"projects": found}


async def get_list(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    project_id = dialog_manager.dialog_data["project_id"]
    project = await projects.get_project(session, project_id)
    now = utcnow()
    summaries = await reciprocity.offers_for_staff(
        session, participant, project_id, locale, now=now
    )
    items = []
    for summary in summaries:
        label = summary.title
        if not reciprocity.is_open(summary.offer, now):
            label = _("{title} (closed)").format(title=label)
        waiting = summary.waiting + summary.to_give
        if waiting:
            label += " • " + ngettext("{count} to review", "{count} to review", waiting).format(
                count=waiting
            )
        items.append((summary.offer.id, label))
    return {
        "project": project.name if project else "",
        "offers": items,
        "some": bool(items),
        "none": not items,
    }


async def get_offer(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    offer_id = dialog_manager.dialog_data["offer_id"]
    offer = await reciprocity.offer_for_staff(session, participant, offer_id)
    project = await projects.get_project(session, offer.project_id)
    texts = await store.texts_of(session, offer.id)
    text = reciprocity.text_in(texts, locale, offer.source_locale)
    counts = (await store.claim_counts(session, [offer.id]))[offer.id]
    is_open = reciprocity.is_open(offer, utcnow())
    lines = [
        words.kind_name(offer.kind),
        text.description if text else "",
        words.places_line(offer),
        words.eligibility_line(offer.min_meetings),
    ]
    if offer.closes_at:
        lines.append(
            _("Closes after {day}.").format(day=words.closing_day(offer, project.timezone, locale))
        )
    lines.append(
        _(
            "Requests: {requested} waiting, {approved} to give, {fulfilled} given, "
            "{declined} declined."
        ).format(
            requested=counts.get(ClaimState.REQUESTED, 0),
            approved=counts.get(ClaimState.APPROVED, 0),
            fulfilled=counts.get(ClaimState.FULFILLED, 0),
            declined=counts.get(ClaimState.DECLINED, 0),
        )
    )
    versions = ", ".join(LANGUAGE_NAMES.get(code, code) for code in sorted(texts))
    lines.append(_("Languages: {languages}").format(languages=versions))
    return {
        "title": text.title if text else "",
        "details": "\n".join(line for line in lines if line),
        "is_open": is_open,
        "closed": not is_open,
        "to_review": counts.get(ClaimState.REQUESTED, 0) + counts.get(ClaimState.APPROVED, 0),
    }


async def get_claims(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    claims = await reciprocity.claims_to_review(
        session, participant, dialog_manager.dialog_data["offer_id"]
    )
    items = []
    for claim, person in claims:
        label = f"{person_label(person)}: {words.state_name(claim.state)}"
        if claim.amount_pence:
            label += f" ({words.money(claim.amount_pence, locale)})"
        items.append((claim.id, label))
    return {"claims": items, "some": bool(items), "none": not items}


async def get_claim(
    session, participant, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    found = await reciprocity.claim_for_staff(
        session, participant, dialog_manager.dialog_data["claim_id"]
    )
    claim = found.claim
    project = await projects.get_project(session, found.offer.project_id)
    asked = format_date(
        claim.requested_at.astimezone(delivery.zone(project.timezone, "UTC")).date(),
        format="long",
        locale=babel_locale(locale),
    )
    lines = [
        _("Asked by: {person}").format(person=person_label(found.person)),
        _("Asked on: {day}").format(day=asked),
        _("Now: {state}").format(state=words.state_name(claim.state)),
    ]
    if claim.amount_pence:
        lines.append(_("Amount: {amount}").format(amount=words.money(claim.amount_pence, locale)))
    return {
        "details": "\n".join(lines),
        "has_receipt": bool(claim.receipt_file_id),
        "requested": claim.state == ClaimState.REQUESTED,
        "approved": claim.state == ClaimState.APPROVED,
        "can_decline": claim.state in (ClaimState.REQUESTED, ClaimState.APPROVED),
    }


async def get_kinds(**_kw: Any) -> dict[str, Any]:
    return {"kinds": [(kind.value, words.kind_name(kind)) for kind in OfferKind]}


async def get_language(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    """The language being written: the original, or the version chosen."""
    draft = draft_of(dialog_manager)
    state = dialog_manager.current_context().state
    version = state in (Offers.version_title, Offers.version_description)
    code = (dialog_manager.dialog_data.get("version_locale") if version else None) or (
        draft.source_locale
    )
    pair = draft.texts.get(code) or ["", ""]
    return {
        "language": LANGUAGE_NAMES.get(code, code),
        "original_title": draft.title,
        "has_title": bool(pair[0]),
    }


async def get_places(**_kw: Any) -> dict[str, Any]:
    choices = [(str(n), str(n)) for n in PLACES_CHOICES]
    return {"choices": [*choices, (str(NO_LIMIT), _("No limit"))]}


async def get_closes(locale: str, **_kw: Any) -> dict[str, Any]:
    today = utcnow().date()
    choices = [
        (
            str(days),
            _("Open until {day}").format(
                day=format_date(
                    today + timedelta(days=days), format="long", locale=babel_locale(locale)
                )
            ),
        )
        for days in CLOSES_IN_DAYS
    ]
    return {"choices": [*choices, ("0", _("No closing day"))]}


async def get_eligibility(**_kw: Any) -> dict[str, Any]:
    choices = [("0", _("Everyone in the team"))]
    for count in MEETINGS_CHOICES:
        choices.append(
            (
                str(count),
                ngettext(
                    "Came to at least {count} meeting",
                    "Came to at least {count} meetings",
                    count,
                ).format(count=count),
            )
        )
    return {"choices": choices}


async def get_versions(dialog_manager: DialogManager, **_kw: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    lines, buttons = [], []
    for code in SUPPORTED_LOCALES:
        name = LANGUAGE_NAMES.get(code, code)
        if code == draft.source_locale:
            lines.append("• " + _("{language}: the original").format(language=name))
        elif draft.texts.get(code):
            lines.append("• " + _("{language}: its own version").format(language=name))
            buttons.append((code, _("Change the {language} version").format(language=name)))
        else:
            lines.append("• " + _("{language}: people see the original").format(language=name))
            buttons.append((code, _("Write the {language} version").format(language=name)))
    return {"lines": "\n".join(lines), "versions": buttons}


async def get_confirm(
    session, locale: str, dialog_manager: DialogManager, **_kw: Any
) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    project = await projects.get_project(session, draft.project_id)
    title, description = draft.texts.get(draft.source_locale) or ["", ""]
    if draft.places is None:
        places = _("There is no limit on places.")
    else:
        places = ngettext("{count} place.", "{count} places.", draft.places).format(
            count=draft.places
        )
    lines = [
        _("{kind} for {project}").format(
            kind=words.kind_name(draft.kind), project=project.name if project else ""
        ),
        title,
        description,
        places,
        words.eligibility_line(draft.min_meetings),
    ]
    if draft.closes_on:
        lines.append(
            _("Open until {day}").format(
                day=format_date(
                    date.fromisoformat(draft.closes_on), format="long", locale=babel_locale(locale)
                )
            )
        )
    return {"summary": "\n".join(line for line in lines if line)}
