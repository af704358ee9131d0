"""The role policy: which role may do what, in one table that the API, the UI and the services all read.

| capability       | merchant | support         | admin |
|------------------|----------|-----------------|-------|
| chat             | yes      | read-only (KB)  | no    |
| confirm          | yes      | no              | no    |
| feedback         | yes      | yes             | no    |
| search           | yes      | knowledge base  | yes   |
| credits_view     | yes      | no              | yes   |
| credits_grant    | no       | no              | yes   |
| billing          | no       | no              | yes   |
| metrics          | no       | no              | yes   |
| ingest           | no       | no              | yes   |
| audit            | no       | no              | yes   |
| briefing         | yes      | no              | yes   |
| briefing_webhook | no       | no              | yes   |

Support staff work with the knowledge base only, everywhere: their chat answers from the help centre (no
product, order or write tools) and their search is held to `kb` documents (products and orders carry customer
and business data). Admins run the account (credits, ingestion) and do not chat: a proposal to change stock or
orders is the merchant's to make and confirm.

The UI asks for the same capabilities, never for roles: each tab needs one (`ui.app.TAB_CAPABILITY`). The Chat
tab is where changes are proposed and confirmed, so it (and its conversations and source panel) needs `confirm`;
support staff's read-only answers (`chat`) are in the Knowledge base tab.

Knowledge-base articles have an audience (front matter `audience: public | internal`): merchants read public
articles; support staff and admins also read internal procedures. The filter runs inside the index query.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import DomainError
from domain.orgs import Principal, Role
from retrieval.types import Audience


class Capability(StrEnum):
    chat = "chat"
    confirm = "confirm"
    feedback = "feedback"  # rate an answer (POST /v1/feedback): whoever can chat
    search = "search"
    credits_view = "credits_view"
    credits_grant = "credits_grant"
    billing = "billing"  # buy credit packs, invoices, statements, auto top-up
    metrics = "metrics"  # GET /metrics from outside the instance (its own scraper reads it over loopback)
    ingest = "ingest"
    audit = "audit"  # read the audit log (GET /v1/audit, the Admin tab's table)
    briefing = "briefing"  # the daily briefing (GET /v1/briefing, the chat's Today card)
    briefing_webhook = "briefing_webhook"  # register, show or remove where the daily briefing is posted


POLICY: dict[Role, frozenset[Capability]] = {
    Role.merchant: frozenset(
        {
            Capability.chat,
            Capability.confirm,
            Capability.feedback,
            Capability.search,
            Capability.credits_view,
            Capability.briefing,
        }
    ),
    Role.support: frozenset({Capability.chat, Capability.feedback, Capability.search}),
    Role.admin: frozenset(
        {
            Capability.search,
            Capability.credits_view,
            Capability.credits_grant,
            Capability.billing,
            Capability.metrics,
            Capability.ingest,
            Capability.audit,
            Capability.briefing,
            Capability.briefing_webhook,
        }
    ),
}
# Roles whose chat and search see the knowledge base only.
KB_ONLY: frozenset[Role] = frozenset({Role.support})
AUDIENCES: dict[Role, tuple[Audience, ...]] = {
    Role.merchant: ("public",),
    Role.support: ("public", "internal"),
    Role.admin: ("public", "internal"),
}


class Forbidden(DomainError):
    """The caller's role may not do this (HTTP 403)."""

    code = "forbidden"


def can(role: Role, capability: Capability) -> bool:
    return capability in POLICY[role]


def roles_for(capability: Capability) -> tuple[Role, ...]:
    """The roles that have `capability`, in the order of `Role`."""
    return tuple(role for role in Role if can(role, capability))


def check(principal: Principal, capability: Capability) -> Principal:
    """The principal itself when its role has `capability`, else `Forbidden` naming the roles that do."""
    if not can(principal.role, capability):
        names = " or ".join(role.value for role in roles_for(capability))
        raise Forbidden(
            f"{capability.value.replace('_', ' ')} needs the {names} role; this key's role is {principal.role.value}"
        )
    return principal


def kb_only(role: Role) -> bool:
    return role in KB_ONLY


def audiences_for(role: Role) -> tuple[Audience, ...]:
    """The knowledge-base audiences a role may read."""
    return AUDIENCES[role]
