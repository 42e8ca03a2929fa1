"""A Playwright trace cut down to what IT support needs, with nobody's data and no secret in it.

``redact_trace(source, target)`` rewrites a trace zip by allow-list, so whatever Playwright adds
in a later version is dropped rather than kept:

- actions keep their name, timing, page, selector and the address's path; typed values
  (passwords among them), results, call logs (they quote element text) and error messages go;
- DOM snapshots keep their structure, but every text inside a table (a search result list
  shows other people) and every input, option and text-area value is replaced;
- the network log keeps method, path, status and timing: no headers, cookies, form posts or
  bodies; console messages and screencast frames are dropped;
- only the resources the snapshots need (style sheets, images) are kept.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from robot.files import write_private
from robot.logs import IDENTITY_PATTERN, MASK

REDACTED = "•••"
_VALUE_ATTRS = frozenset(
    {
        "value",
        "checked",
        "selected",
        "placeholder",
        "__playwright_value_",
        "__playwright_checked_",
        "__playwright_selected_",
    }
)
# Attributes kept inside a masked table: they only lay it out.
_LAYOUT_ATTRS = frozenset({"class", "style", "role", "scope", "colspan", "rowspan", "hidden"})
_MASKED_TAGS = frozenset({"TABLE", "TEXTAREA", "SELECT"})
_MASKED_ROLES = frozenset({"table", "grid", "treegrid"})
_ACTION_KEYS = ("type", "callId", "startTime", "endTime", "title", "class", "method", "apiName")
_ACTION_KEYS_MORE = ("pageId", "beforeSnapshot", "afterSnapshot", "inputSnapshot", "stepId")
_PARAM_KEYS = ("selector", "url", "timeout", "waitUntil", "strict", "state", "pageId")
_KEPT_MEMBERS = ("trace.stacks",)


def redact_trace(source: Path, target: Path) -> Path:
    """Write the redacted copy of the trace zip ``source`` to ``target`` (0600)."""
    keep_resources: set[str] = set()
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        for name in names:
            if name.endswith(".trace"):
                text = archive.read(name).decode("utf-8")
                members[name] = _lines(text, _trace_event, keep_resources)
            elif name.endswith(".network"):
                text = archive.read(name).decode("utf-8")
                members[name] = _lines(text, _network_event, keep_resources)
            elif name in _KEPT_MEMBERS:
                members[name] = archive.read(name)
        for name in names:
            if name.startswith("resources/") and name.removeprefix("resources/") in keep_resources:
                members[name] = archive.read(name)
    staging = target.with_name(target.name + ".part")
    write_private(staging, b"")
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    staging.replace(target)
    return target


def _lines(text: str, redact: Any, keep_resources: set[str]) -> bytes:
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        kept = redact(event, keep_resources) if isinstance(event, dict) else None
        if kept is not None:
            out.append(json.dumps(kept, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode("utf-8")


def _trace_event(event: dict[str, Any], keep_resources: set[str]) -> dict[str, Any] | None:
    kind = event.get("type")
    if kind == "context-options":
        options = event.get("options") or {}
        return {
            **{k: v for k, v in event.items() if k != "options"},
            "options": {k: options[k] for k in ("viewport", "baseURL") if k in options},
        }
    if kind in ("before", "after", "input", "event"):
        kept = {k: event[k] for k in (*_ACTION_KEYS, *_ACTION_KEYS_MORE) if k in event}
        for key in ("time", "box", "point"):
            if key in event:
                kept[key] = event[key]
        params = event.get("params")
        if isinstance(params, dict):
            kept["params"] = {k: _safe(k, params[k]) for k in _PARAM_KEYS if k in params}
        error = event.get("error")
        if isinstance(error, dict):
            nested = error.get("error")
            inner: dict[str, Any] = nested if isinstance(nested, dict) else error
            kept["error"] = {"name": str(inner.get("name", "Error")), "message": REDACTED}
        return kept
    if kind == "frame-snapshot":
        snapshot = dict(event.get("snapshot") or {})
        if "html" in snapshot:
            snapshot["html"] = _node(snapshot["html"], masked=False)
        if "frameUrl" in snapshot:
            snapshot["frameUrl"] = _path_only(str(snapshot["frameUrl"]))
        for override in snapshot.get("resourceOverrides") or []:
            if isinstance(override, dict) and isinstance(override.get("sha1"), str):
                keep_resources.add(override["sha1"])
        return {"type": kind, "snapshot": snapshot}
    return None  # log, console, screencast-frame, stdio, and anything unknown


def _network_event(event: dict[str, Any], keep_resources: set[str]) -> dict[str, Any] | None:
    del keep_resources
    if event.get("type") != "resource-snapshot":
        return None
    snap = event.get("snapshot") or {}
    request = snap.get("request") or {}
    response = snap.get("response") or {}
    return {
        "type": "resource-snapshot",
        "snapshot": {
            **{k: snap[k] for k in ("pageref", "startedDateTime", "time", "timings") if k in snap},
            "request": {
                "method": request.get("method", "GET"),
                "url": _path_only(str(request.get("url", ""))),
                "httpVersion": request.get("httpVersion", ""),
                "cookies": [],
                "headers": [],
                "queryString": [],
                "headersSize": -1,
                "bodySize": -1,
            },
            "response": {
                "status": response.get("status", 0),
                "statusText": response.get("statusText", ""),
                "httpVersion": response.get("httpVersion", ""),
                "cookies": [],
                "headers": [],
                "content": {
                    "size": -1,
                    "mimeType": (response.get("content") or {}).get("mimeType", ""),
                },
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
            },
        },
    }


def _node(node: Any, *, masked: bool) -> Any:
    """One snapshot node: text, ``[tag, attrs, *children]`` or a reference ``[[s, n]]``.

    Inside a table every text and attribute value goes (links to other patients hold their
    numbers); everywhere, anything shaped like an identity number is masked.
    """
    if isinstance(node, str):
        return REDACTED if masked and node.strip() else IDENTITY_PATTERN.sub(MASK, node)
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        return node  # a reference to an earlier (already redacted) snapshot's node
    tag = node[0]
    attrs = node[1] if len(node) > 1 and isinstance(node[1], dict) else None
    children = node[2:] if attrs is not None else node[1:]
    role = str((attrs or {}).get("role", "")).lower()
    inner = masked or tag.upper() in _MASKED_TAGS or role in _MASKED_ROLES
    out: list[Any] = [tag]
    if attrs is not None:
        out.append(
            {k: _attr(k, v, masked=inner) for k, v in attrs.items() if k not in _VALUE_ATTRS}
        )
    out.extend(_node(child, masked=inner) for child in children)
    return out


def _attr(name: str, value: Any, *, masked: bool) -> Any:
    if not isinstance(value, str):
        return value
    if masked and name not in _LAYOUT_ATTRS:
        return REDACTED
    return IDENTITY_PATTERN.sub(MASK, value)


def _safe(key: str, value: Any) -> Any:
    if key == "url":
        return _path_only(str(value))
    if isinstance(value, str):
        return IDENTITY_PATTERN.sub(MASK, value)
    return value


def _path_only(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]
