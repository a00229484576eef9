"""The published Semaphore UI client (``semaphore-api`` on PyPI), unmodified but for its host, against ``ciapi serve``.

The documented flow: log in (session cookie), create an API token, launch a task with the token as Bearer, follow
it to success as the clock moves, read its output, expire the token and see it refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
import semaphore_api as s
from semaphore_api.exceptions import BadRequestException, UnauthorizedException


@dataclass
class Semaphore:
    url: str  # http://127.0.0.1:PORT

    @property
    def host(self) -> str:
        return self.url + "/api"

    def advance(self, seconds: float) -> None:
        response = requests.post(self.url + "/_mock/clock", json={"advance": seconds}, timeout=10)
        response.raise_for_status()

    def login(self, user: str = "admin", password: str = "changeme") -> s.ApiClient:
        client = s.ApiClient(s.Configuration(host=self.host))
        reply = s.AuthenticationApi(client).auth_login_post_with_http_info(s.Login(auth=user, password=password))
        assert reply.status_code == 204
        client.cookie = reply.headers["Set-Cookie"].split(";")[0]  # "semaphore=..."
        return client

    def with_token(self, token: str, prefix: str = "Bearer") -> s.ApiClient:
        config = s.Configuration(host=self.host, api_key={"bearer": token}, api_key_prefix={"bearer": prefix})
        return s.ApiClient(config)


@pytest.fixture
def semaphore(serve: Callable[..., object]) -> Semaphore:
    served = serve("--api", "semaphore-ui", "--port", "0", "--clock", "manual", "--strict")
    return Semaphore(served.url)  # type: ignore[attr-defined]


def test_login_token_task_output_and_expiry(semaphore: Semaphore) -> None:
    # Given a session from logging in with a password
    session = semaphore.login()
    assert s.UserApi(session).user_get().username == "admin"  # GET /api/user/ (trailing slash)

    # When the session creates an API token and the token launches a task
    token = s.AuthenticationApi(session).user_tokens_post()  # 201
    assert len(token.id) == 44 and token.id == token.id.lower() and token.expired is False
    bearer = semaphore.with_token(token.id)
    projects = s.ProjectApi(bearer)
    assert projects.project_project_id_get(1).name == "Demo"  # GET /api/project/1/ (trailing slash)
    task = projects.project_project_id_tasks_post(1, s.ProjectProjectIdTasksPostRequest(template_id=1))
    assert task.status == "waiting" and task.template_id == 1

    # Then the task goes through the queue and runs its script as the clock moves
    statuses = [projects.project_project_id_tasks_task_id_get(1, task.id).status]
    for seconds in (1, 1, 5):
        semaphore.advance(seconds)
        statuses.append(projects.project_project_id_tasks_task_id_get(1, task.id).status)
    assert statuses == ["waiting", "starting", "running", "success"]

    # And its output has every line with the time it was logged
    output = projects.project_project_id_tasks_task_id_output_get(1, task.id)
    assert [line.output for line in output] == [
        f"Started task #{task.id} of template 'Build'", "Building the demo app", "Build finished"]
    times = [line.time for line in output]
    assert times == sorted(times) and (times[-1] - times[1]).total_seconds() == 5

    # When the token expires itself
    s.AuthenticationApi(bearer).user_tokens_api_token_id_delete(token.id)  # 204

    # Then it is refused (401, empty body) but still listed, as expired
    with pytest.raises(UnauthorizedException) as refused:
        projects.project_project_id_get(1)
    assert refused.value.status == 401 and not refused.value.body
    listed = {t.id: t for t in s.AuthenticationApi(session).user_tokens_get()}
    assert listed[token.id].expired is True


def test_bearer_scheme_is_case_insensitive(semaphore: Semaphore) -> None:
    token = s.AuthenticationApi(semaphore.login()).user_tokens_post()
    assert s.UserApi(semaphore.with_token(token.id, prefix="bearer")).user_get().username == "admin"


def test_wrong_password_is_401(semaphore: Semaphore) -> None:
    client = s.ApiClient(s.Configuration(host=semaphore.host))
    with pytest.raises(UnauthorizedException) as refused:
        s.AuthenticationApi(client).auth_login_post(s.Login(auth="admin", password="wrong"))
    assert refused.value.status == 401


def test_the_clients_stop_sends_no_body_and_is_refused_like_the_real_server(semaphore: Semaphore) -> None:
    projects = s.ProjectApi(semaphore.login())
    task = projects.project_project_id_tasks_post(1, s.ProjectProjectIdTasksPostRequest(template_id=4))
    with pytest.raises(BadRequestException) as refused:  # generated from a spec that documents no stop body
        projects.project_project_id_tasks_task_id_stop_post(1, task.id)
    assert refused.value.status == 400
    assert projects.project_project_id_tasks_task_id_get(1, task.id).status == "waiting"
