"""Build manifests, validated as builds.sr.ht does: every problem names its place in the manifest.

The real service stops at the first problem; this module finds them all, in the order the real checks run, so
the first problem is the one the real service reports. Texts not confirmed against the current source are
marked UNVERIFIED in the spec.
"""

from __future__ import annotations

import posixpath
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["MAX_MANIFEST", "Manifest", "Problem", "Trigger", "parse_manifest"]

MAX_MANIFEST = 16384  # the real column is Unicode(16384); a manifest must be shorter
TASK_NAME = re.compile(r"^[a-z0-9_-]+$")
TRIGGER_ACTIONS = ("email", "webhook")
TRIGGER_CONDITIONS = ("success", "failure", "always")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # "manifest", "manifest.image", "manifest.tasks[1]"...
    reason: str


@dataclass(frozen=True, slots=True)
class Trigger:
    action: str  # email | webhook
    condition: str  # success | failure | always
    attrs: Mapping[str, Any]  # the whole trigger: to, cc, in_reply_to, url...


@dataclass(frozen=True, slots=True)
class Manifest:
    image: str
    arch: str | None = None
    packages: tuple[str, ...] = ()
    repositories: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    environment: Mapping[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    shell: bool = False
    artifacts: tuple[str, ...] = ()
    oauth: str | None = None
    tasks: tuple[tuple[str, str], ...] = ()  # (name, script) in manifest order
    triggers: tuple[Trigger, ...] = ()


def parse_manifest(text: str) -> tuple[Manifest | None, list[Problem]]:
    """Parse and validate a manifest: ``(manifest, [])`` when valid, ``(None, problems)`` otherwise."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [Problem("manifest", str(exc))]
    if not isinstance(doc, dict):
        return None, [Problem("manifest", "Expected manifest to be a dictionary")]
    problems: list[Problem] = []
    image = _image(doc, problems)
    arch = _optional_str(doc, "arch", problems)
    packages = _strings(doc, "packages", problems)
    repositories = _repositories(doc, problems)
    sources = _strings(doc, "sources", problems)
    environment = _environment(doc, problems)
    secrets = _secrets(doc, problems)
    shell = _shell(doc, problems)
    artifacts = _artifacts(doc, problems)
    oauth = _optional_str(doc, "oauth", problems)
    tasks = _tasks(doc, shell, problems)
    triggers = _triggers(doc, problems)
    if problems or image is None:
        return None, problems
    manifest = Manifest(image=image, arch=arch, packages=packages, repositories=repositories, sources=sources,
                        environment=environment, secrets=secrets, shell=shell, artifacts=artifacts, oauth=oauth,
                        tasks=tasks, triggers=triggers)
    return manifest, []


def _image(doc: Mapping[str, Any], problems: list[Problem]) -> str | None:
    image = doc.get("image")
    if not image:
        problems.append(Problem("manifest.image", "Missing image in manifest"))
        return None
    if not isinstance(image, str):
        problems.append(Problem("manifest.image", "Expected image to be a string"))
        return None
    return image


def _optional_str(doc: Mapping[str, Any], key: str, problems: list[Problem]) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(Problem(f"manifest.{key}", f"Expected {key} to be a string"))
        return None
    return value


def _strings(doc: Mapping[str, Any], key: str, problems: list[Problem]) -> tuple[str, ...]:
    value = doc.get(key)
    if not value:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(Problem(f"manifest.{key}", f"Expected {key} to be a string array"))
        return ()
    return tuple(value)


def _repositories(doc: Mapping[str, Any], problems: list[Problem]) -> dict[str, str]:
    repos = doc.get("repositories")
    if not repos:
        return {}
    if not isinstance(repos, dict):
        problems.append(Problem("manifest.repositories", "Expected repositories to be a dictionary"))
        return {}
    for name, url in repos.items():
        if not isinstance(url, str):
            problems.append(Problem(f"manifest.repositories.{name}", f"Expected url for repository {name}"))
    return {str(k): v for k, v in repos.items() if isinstance(v, str)}


def _environment(doc: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    env = doc.get("environment")
    if not env:
        return {}
    if not isinstance(env, dict):
        problems.append(Problem("manifest.environment", "Expected environment to be a dictionary"))
        return {}
    return {str(k): v for k, v in env.items()}


def _secrets(doc: Mapping[str, Any], problems: list[Problem]) -> tuple[str, ...]:
    secrets = doc.get("secrets")
    if not secrets:
        return ()
    if not isinstance(secrets, list):
        problems.append(Problem("manifest.secrets", "Expected secrets to be a list of UUIDs or names"))
        return ()
    for i, secret in enumerate(secrets):
        if not isinstance(secret, str) or not (_is_uuid(secret) or 3 <= len(secret) <= 512):
            problems.append(Problem(f"manifest.secrets[{i}]",
                                    f"Invalid secret {secret!r}: expected a UUID or a name of 3 to 512 characters"))
    return tuple(s for s in secrets if isinstance(s, str))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _shell(doc: Mapping[str, Any], problems: list[Problem]) -> bool:
    shell = doc.get("shell", False)
    if shell is None:
        return False
    if not isinstance(shell, bool):
        problems.append(Problem("manifest.shell", "Expected shell to be a boolean"))
        return False
    return shell


def _artifacts(doc: Mapping[str, Any], problems: list[Problem]) -> tuple[str, ...]:
    artifacts = doc.get("artifacts")
    if not artifacts:
        return ()
    if not isinstance(artifacts, list) or not all(isinstance(a, str) for a in artifacts):
        problems.append(Problem("manifest.artifacts", "Expected artifacts to be a string array"))
        return ()
    seen_paths: set[str] = set()
    seen_names: set[str] = set()
    for i, path in enumerate(artifacts):
        name = posixpath.basename(path.rstrip("/"))
        where = f"manifest.artifacts[{i}]"
        if not path.strip() or not name:
            problems.append(Problem(where, "Artifact paths must not be empty"))
        elif path in seen_paths:
            problems.append(Problem(where, f"Duplicate artifact path '{path}'"))
        elif name in seen_names:
            problems.append(Problem(where, f"Duplicate artifact name '{name}' (artifact basenames must be unique)"))
        seen_paths.add(path)
        seen_names.add(name)
    return tuple(artifacts)


def _tasks(doc: Mapping[str, Any], shell: bool, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    tasks = doc.get("tasks")
    if not tasks:
        if not shell:
            problems.append(Problem("manifest.tasks", "Attempted to create manifest with no tasks"))
        return ()
    if not isinstance(tasks, list):
        problems.append(Problem("manifest.tasks", "Expected tasks to be a list"))
        return ()
    out: list[tuple[str, str]] = []
    for i, task in enumerate(tasks):
        where = f"manifest.tasks[{i}]"
        if not isinstance(task, dict) or len(task) != 1:
            problems.append(Problem(where, "Expected task to be a string: string"))
            continue
        ((name, script),) = task.items()
        if not isinstance(name, str) or not isinstance(script, str):
            problems.append(Problem(where, "Expected task to be a string: string"))
        elif not TASK_NAME.match(name) or len(name) > 128:
            problems.append(Problem(where, f"Task name '{name}' is invalid (must be all lowercase letters, "
                                           "numbers, underscores, and dashes, and <=128 characters)"))
        elif any(name == seen for seen, _ in out):
            problems.append(Problem(where, f"Duplicate task name '{name}'"))
        else:
            out.append((name, script.strip()))
    return tuple(out)


def _triggers(doc: Mapping[str, Any], problems: list[Problem]) -> tuple[Trigger, ...]:
    triggers = doc.get("triggers")
    if not triggers:
        return ()
    if not isinstance(triggers, list):
        problems.append(Problem("manifest.triggers", "Expected triggers to be a list"))
        return ()
    out = []
    for i, trigger in enumerate(triggers):
        where = f"manifest.triggers[{i}]"
        if not isinstance(trigger, dict):
            problems.append(Problem(where, "Expected trigger to be a dictionary"))
            continue
        before = len(problems)
        action, condition = trigger.get("action"), trigger.get("condition")
        if action not in TRIGGER_ACTIONS:
            problems.append(Problem(f"{where}.action", f"Expected action to be one of {', '.join(TRIGGER_ACTIONS)}"))
        if condition not in TRIGGER_CONDITIONS:
            problems.append(Problem(f"{where}.condition",
                                    f"Expected condition to be one of {', '.join(TRIGGER_CONDITIONS)}"))
        if action == "email" and not isinstance(trigger.get("to"), str):
            problems.append(Problem(f"{where}.to", "Expected email trigger to have a 'to' address"))
        if action == "webhook" and not _is_http_url(trigger.get("url")):
            problems.append(Problem(f"{where}.url", "Expected webhook trigger to have an http(s) 'url'"))
        if len(problems) == before:
            out.append(Trigger(str(action), str(condition), dict(trigger)))
    return tuple(out)


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^https?://[^/\s]+", value) is not None
