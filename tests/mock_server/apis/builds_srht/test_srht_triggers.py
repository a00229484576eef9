"""Triggers run when a job ends: webhooks are real POSTs (outside the store lock), emails land in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from mock_server.state import MockState

PASSING = "image: alpine/edge\ntasks:\n  - a: echo hi\n"
FAILING = "image: alpine/edge\ntasks:\n  - a: exit 1\n  - b: echo never\n"


def _with_triggers(manifest: str, *triggers: str) -> str:
    return manifest + "triggers:\n" + "".join(f"  - {t}\n" for t in triggers)


def _advance(state: MockState, seconds: float) -> None:
    """What POST /_mock/clock does: move the clock, then fire the events that became due (and queue webhooks)."""
    state.clock.advance(seconds)
    state.tick()


def _webhooks(client: FlaskClient, state: MockState) -> list[dict[str, Any]]:
    assert state.profile.webhooks.wait_idle()  # type: ignore[attr-defined]
    views: list[dict[str, Any]] = client.get("/_mock/views/webhooks").get_json()["webhooks"]
    return views


def test_a_webhook_trigger_posts_the_job_to_a_local_receiver(client: FlaskClient, state: MockState,
                                                             submit: Callable[..., dict[str, Any]],
                                                             receiver: Callable[..., Any]) -> None:
    hook = receiver()
    job = submit(_with_triggers(PASSING, f"{{action: webhook, condition: success, url: '{hook.url}/done'}}",
                                f"{{action: webhook, condition: failure, url: '{hook.url}/failed'}}"))
    _advance(state, 60)
    assert hook.received.wait(10)
    [delivery] = _webhooks(client, state)
    assert delivery["status"] == "delivered" and delivery["response_status"] == 204
    assert delivery["job_id"] == job["id"] and delivery["url"] == hook.url + "/done"
    assert hook.paths == ["/done"]
    [body] = hook.bodies
    assert body == client.get(f"/api/jobs/{job['id']}").get_json()  # the job, as getBuildJob shows it
    assert body["status"] == "success"


def test_failure_triggers_and_failed_deliveries(client: FlaskClient, state: MockState,
                                                submit: Callable[..., dict[str, Any]],
                                                receiver: Callable[..., Any]) -> None:
    broken = receiver(status=500)
    submit(_with_triggers(FAILING, f"{{action: webhook, condition: always, url: '{broken.url}/x'}}",
                          "{action: webhook, condition: failure, url: 'https://hooks.example.org/x'}",
                          f"{{action: webhook, condition: success, url: '{broken.url}/never'}}"))
    _advance(state, 60)
    failed, refused = _webhooks(client, state)
    assert (failed["status"], failed["response_status"], failed["job_status"]) == ("failed", 500, "failed")
    assert refused["status"] == "refused" and "loopback" in refused["error"]
    assert broken.paths == ["/x"]


def test_an_unreachable_receiver_is_a_failed_delivery(client: FlaskClient, state: MockState,
                                                      submit: Callable[..., dict[str, Any]],
                                                      receiver: Callable[..., Any]) -> None:
    gone = receiver()
    gone.close()
    submit(_with_triggers(PASSING, f"{{action: webhook, condition: always, url: '{gone.url}/'}}"))
    _advance(state, 60)
    [delivery] = _webhooks(client, state)
    assert delivery["status"] == "failed" and delivery["response_status"] is None and delivery["error"]


def test_email_triggers_land_in_the_outbox(client: FlaskClient, state: MockState,
                                           submit: Callable[..., dict[str, Any]]) -> None:
    job = submit(_with_triggers(FAILING, "{action: email, condition: failure, to: 'Alice <alice@example.org>', "
                                         "cc: bob@example.org, in_reply_to: '<x@example.org>'}",
                                "{action: email, condition: success, to: nobody@example.org}"),
                 note="Fix the build", tags=["app", "main"])
    assert client.get("/_mock/views/outbox").get_json()["outbox"] == []
    _advance(state, 60)
    [mail] = client.get("/_mock/views/outbox").get_json()["outbox"]
    assert mail["job_id"] == job["id"] and mail["to"] == "Alice <alice@example.org>"
    assert mail["cc"] == "bob@example.org" and mail["in_reply_to"] == "<x@example.org>"
    assert mail["subject"] == "[app/main] build failed"
    assert mail["body"].startswith("Fix the build\n\nFAILED https://builds.sr.ht/~alice/job/")
    assert "  a: failed\n  b: skipped\n" in mail["body"]


def test_a_cancelled_job_runs_its_failure_triggers(client: FlaskClient, state: MockState,
                                                   submit: Callable[..., dict[str, Any]]) -> None:
    job = submit(_with_triggers("image: alpine/edge\ntasks:\n  - a: sleep 60\n",
                                "{action: email, condition: failure, to: alice@example.org}"))
    _advance(state, 20)
    client.post(f"/api/jobs/{job['id']}/cancel")
    [mail] = client.get("/_mock/views/outbox").get_json()["outbox"]
    assert mail["subject"] == f"[#{job['id']}] build cancelled"


def test_admin_views_are_listed(client: FlaskClient) -> None:
    assert client.get("/_mock/views").get_json() == {"views": ["outbox", "webhooks"]}
    assert client.get("/_mock/state").get_json()["views"] == ["outbox", "webhooks"]
    missing = client.get("/_mock/views/inbox")
    assert missing.status_code == 404 and "outbox, webhooks" in missing.get_json()["error"]


def test_reset_empties_the_outbox(client: FlaskClient, state: MockState,
                                  submit: Callable[..., dict[str, Any]]) -> None:
    submit(_with_triggers(PASSING, "{action: email, condition: always, to: a@example.org}"))
    _advance(state, 60)
    assert len(client.get("/_mock/views/outbox").get_json()["outbox"]) == 1
    client.post("/_mock/reset")
    assert client.get("/_mock/views/outbox").get_json()["outbox"] == []
