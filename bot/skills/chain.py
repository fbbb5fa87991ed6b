"""Behaviour chain analysis by text: DBT's links, one question at a time.

After a problem behaviour, a chain analysis looks at what made the client
vulnerable, what set it off, each link of thoughts, feelings and actions, the
behaviour itself, its consequences, which skill could have broken the chain,
and how to repair. Answers are saved as they come, so a paused chain is kept
for the therapist and resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.enums import Channel
from bot.storage.models import ChainAnalysis, Client

#: A long answer is kept, up to this many characters.
ANSWER_MAX_CHARS: Final = 2000


@dataclass(frozen=True)
class ChainLink:
    """One question of the chain: its Rasa slot, its database column, its heading for staff.

    The questions' wording is in ``domain/skills.yml`` (``utter_ask_<slot>``);
    ``label`` heads the client's answer on the dashboard.
    """

    slot: str
    column: str
    label: str


#: In the order of Linehan's chain analysis worksheet: the behavior first, then
#: what led to it, what followed, and what to do differently.
CHAIN_LINKS: Final[tuple[ChainLink, ...]] = (
    ChainLink("chain_behavior", "behavior", "Problem behavior"),
    ChainLink("chain_prompting_event", "prompting_event", "Prompting event"),
    ChainLink("chain_vulnerabilities", "vulnerabilities", "Vulnerabilities"),
    ChainLink("chain_links", "links", "Links (thoughts, feelings, actions)"),
    ChainLink("chain_consequences", "consequences", "Consequences"),
    ChainLink("chain_skills", "skills", "Skill that could have broken the chain"),
    ChainLink("chain_repair", "repair", "Repair"),
)
CHAIN_SLOTS: Final = tuple(link.slot for link in CHAIN_LINKS)
LINKS_BY_SLOT: Final = {link.slot: link for link in CHAIN_LINKS}


def save_chain(
    session: Session,
    client: Client,
    answers: Mapping[str, str | None],
    *,
    chain_id: int | None,
    channel: str | None,
    now: datetime,
    complete: bool,
) -> ChainAnalysis:
    """Create or update the client's chain with the answers given so far."""
    if channel is not None and channel not in Channel.ALL:
        raise ValueError(f"unknown channel {channel!r}")
    chain = session.get(ChainAnalysis, chain_id) if chain_id is not None else None
    if chain is None or chain.client_id != client.id:
        chain = ChainAnalysis(client_id=client.id, channel=channel, started_at=now, updated_at=now)
        session.add(chain)
    for link in CHAIN_LINKS:
        answer = answers.get(link.slot)
        setattr(chain, link.column, answer.strip()[:ANSWER_MAX_CHARS] if answer else None)
    chain.updated_at = now
    if complete:
        chain.completed_at = now
    session.flush()
    return chain


def chains_for(session: Session, client: Client) -> list[ChainAnalysis]:
    """The client's chain analyses, newest first."""
    rows = session.execute(
        select(ChainAnalysis)
        .where(ChainAnalysis.client_id == client.id)
        .order_by(ChainAnalysis.started_at.desc(), ChainAnalysis.id.desc())
    )
    return list(rows.scalars())
