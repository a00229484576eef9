"""A manifest's triggers, run when its job ends: emails land in the outbox, webhooks are queued for delivery."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.apis.builds_srht.model import job_json, manifest_of, next_id
from mock_server.clock import format_iso_ms
from mock_server.store import Store

__all__ = ["Delivery", "applies", "fire_triggers", "outbox_view", "webhooks_view"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A webhook POST to make, outside the store lock; its outcome goes to the ``webhooks`` record."""

    record_id: int  # the ``webhooks`` record that gets the outcome
    key: str  # that record's ``delivery`` key (the store may have been reset meanwhile)
    url: str
    payload: dict[str, Any]


def applies(condition: str, status: str) -> bool:
    return condition == "always" or (condition == "success") == (status == "success")


def fire_triggers(store: Store, job: dict[str, Any], at: float) -> list[Delivery]:
    """Run the job's manifest triggers for its final status; returns the webhooks to deliver."""
    deliveries = []
    for trigger in manifest_of(job).triggers:
        if not applies(trigger.condition, job["status"]):
            continue
        if trigger.action == "email":
            store.put("outbox", _email(store, job, trigger.attrs, at))
            continue
        payload = job_json(job, job["origin"])
        record = {"id": next_id(store, "webhooks"), "job_id": job["id"], "url": trigger.attrs["url"],
                  "condition": trigger.condition, "job_status": job["status"], "queued_at": format_iso_ms(at),
                  "status": "queued", "response_status": None, "error": None, "duration_ms": None,
                  "delivery": uuid.uuid4().hex}
        store.put("webhooks", record)
        deliveries.append(Delivery(record["id"], record["delivery"], record["url"], payload))
    return deliveries


def _email(store: Store, job: dict[str, Any], attrs: Mapping[str, Any], at: float) -> dict[str, Any]:
    """The notification email (subject and body layout UNVERIFIED against the real runner)."""
    label = "/".join(job["tags"]) or f"#{job['id']}"
    url = f"https://builds.sr.ht/~{job['owner']}/job/{job['id']}"
    tasks = "".join(f"  {t['name']}: {t['status']}\n" for t in job["tasks"])
    note = f"{job['note']}\n\n" if job["note"] else ""
    return {
        "id": next_id(store, "outbox"),
        "job_id": job["id"],
        "to": attrs.get("to"),
        "cc": attrs.get("cc"),
        "in_reply_to": attrs.get("in_reply_to"),
        "subject": f"[{label}] build {job['status']}",
        "body": f"{note}{job['status'].upper()} {url}\n\n{tasks}",
        "sent_at": format_iso_ms(at),
    }


def outbox_view(store: Store) -> list[dict[str, Any]]:
    """Emails the triggers sent, oldest first."""
    return [dict(record) for record in store.all("outbox")]


def webhooks_view(store: Store) -> list[dict[str, Any]]:
    """Webhook deliveries and their outcome, oldest first."""
    return [dict(record) for record in store.all("webhooks")]
