"""What each notification reason says, in French and in English (no case content, ever).

The texts name the kind of thing to look at and, at most, the case's pseudonymous reference:
e-mails leave the network's systems, so they say that there is something to see, not what.
"""

from __future__ import annotations

from typing import Any

DIGEST = "daily_digest"

# reason: (French, English)
TITLES: dict[str, tuple[str, str]] = {
    "consent_reminder": ("Rappel : le consentement est toujours attendu",
                         "Reminder: consent is still awaited"),
    "concertation_overdue": ("Rappel : la concertation n'a pas encore eu lieu",
                             "Reminder: the concertation has not been held yet"),
    "action_overdue": ("Rappel : une action du plan est en retard",
                       "Reminder: a plan action is overdue"),
    "youth_message_unacknowledged": ("Rappel : un message du jeune attend votre accusé de réception",
                                     "Reminder: a message from the youth awaits your acknowledgement"),
    "post_exit_check_in": ("Il est temps de prendre des nouvelles après la sortie",
                           "Time to check in after the exit"),
    "action_assigned": ("Une action d'un plan vous a été confiée",
                        "A plan action was entrusted to you"),
    "action_rescheduled": ("L'échéance d'une de vos actions a changé", "The due date of one of your actions changed"),
    "case_handed_over": ("Un dossier vous a été confié", "A case was handed over to you"),
    "request_ended": ("Le dossier ouvert à votre demande a pris fin", "The case opened at your request has ended"),
    "process_failed": ("Le processus n'a pas pu continuer : le diagramme est à corriger",
                       "The process could not go on: the diagram needs fixing"),
    "youth_wish": ("Un désidérata du jeune vous a été transmis",
                   "A wish of the youth was passed on to you"),
    "youth_complaint": ("Une plainte du jeune vous a été transmise",
                        "A complaint of the youth was passed on to you"),
    DIGEST: ("Votre résumé quotidien", "Your daily summary"),
}
_OTHER = ("Vous avez une nouvelle notification", "You have a new notification")


def lang(locale: str | None) -> int:
    return 1 if (locale or "fr").lower().startswith("en") else 0


def title(reason: str, locale: str | None = "fr") -> str:
    return TITLES.get(reason, _OTHER)[lang(locale)]


def headline(reason: str, reference: str | None, locale: str | None = "fr") -> str:
    """The title with the case reference, e.g. 'Rappel : ... (dossier CM-7K3F9Q)'."""
    text = title(reason, locale)
    if not reference:
        return text
    return f"{text} ({'case' if lang(locale) else 'dossier'} {reference})"


EMAIL_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("en attente", "waiting"),
    "sending": ("en cours d'envoi", "being sent"),
    "sent": ("envoyé", "sent"),
    "failed": ("échec", "failed"),
    "unknown": ("incertain : peut-être parti", "uncertain: may have gone out"),
    "skipped": ("pas d'e-mail", "no e-mail"),
    "digest": ("pour le résumé quotidien", "held for the daily summary"),
    "digested": ("inclus dans un résumé", "included in a summary"),
}


def email_status(status: str, locale: str | None = "fr") -> str:
    return EMAIL_STATUSES.get(status, (status, status))[lang(locale)]


def describe(notification: Any, locale: str | None = "fr", *, with_case: bool = True) -> str:
    """One line for a notification row (anything with reason and case.reference); without its
    case's reference when not `with_case` (see notifications.outbox_names_cases)."""
    case = getattr(notification, "case", None) if with_case else None
    return headline(notification.reason, case.reference if case is not None else None, locale)


def failure(notification: Any, locale: str | None = "fr") -> str | None:
    """For a process owner's own notice that the process failed: which element and what the
    engine said (shown on their notices page only: never by e-mail, nor in the outbox)."""
    detail = getattr(notification, "detail", None) or {}
    if notification.reason != "process_failed" or not detail.get("element"):
        return None
    name, element = detail.get("element_name"), detail["element"]
    where = (f"« {name} » ({element})" if not lang(locale) else f"'{name}' ({element})") if name else element
    said = (f"Élément {where}, version {detail.get('version')}" if not lang(locale) else
            f"Element {where}, version {detail.get('version')}")
    return f"{said}{' : ' if not lang(locale) else ': '}{detail['message']}" if detail.get("message") else said

