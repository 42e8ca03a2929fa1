"""Evidence of a failed item or job (screenshots, Playwright trace), for the clerk to open.

Evidence holds personal data, so it is served only from inside the configured evidence folder
(``settings.evidence_path``), never cached, and only behind the app's token like every page.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from apps.ui.context import UiContext, ui_of
from apps.ui.views.backlog import item_or_404
from flows.rules.vocabulary import decimal_sv

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def evidence_folder(ui: UiContext, raw: str | None) -> Path | None:
    """``raw`` resolved, only if it is a folder inside the configured evidence folder."""
    if not raw:
        return None
    root = Path(ui.settings.evidence_path).resolve()
    folder = Path(raw)
    folder = (folder if folder.is_absolute() else Path.cwd() / folder).resolve()
    if not folder.is_relative_to(root) or not folder.is_dir():
        return None
    return folder


async def _folder_for(request: Request) -> tuple[UiContext, Path | None, str]:
    ui = ui_of(request)
    kind = request.path_params["kind"]
    key = request.path_params["key"]
    raw: str | None = None
    if kind == "ko":
        try:
            item_id = int(key)
        except ValueError as exc:
            raise HTTPException(status_code=404, detail="Ärendet finns inte.") from exc
        item = await run_in_threadpool(item_or_404, ui, item_id)
        raw = item.outcome.evidence_dir if item.outcome else None
    elif kind == "jobb":
        job = ui.jobs.get(key)
        raw = job.outcome.evidence_dir if job is not None and job.outcome else None
    else:
        raise HTTPException(status_code=404, detail="Sidan finns inte.")
    return ui, evidence_folder(ui, raw), f"/bevis/{kind}/{key}"


_SCREEN = re.compile(r"screen-(\d+)-(\d+)\.png")


def file_label_sv(name: str, *, rns_via_plexus: bool = False) -> str:
    """What an evidence file is, in words: the robot's first browser context is PMO's, the
    second Reservnummersystemet's (through Plexus where it is reached that way)."""
    screen = _SCREEN.fullmatch(name)
    if screen:
        context, page = int(screen[1]), int(screen[2]) + 1
        site = (
            "PMO"
            if context == 0
            else ("Plexus och Reservnummersystemet" if rns_via_plexus else "Reservnummersystemet")
        )
        return f"Skärmbild av {site} (flik {page})"
    if name == "steps.json":
        return "Stegen roboten tog och felet (för IT-support)"
    if name.startswith("trace-") and name.endswith(".zip"):
        return "Spår steg för steg (för IT-support)"
    return "Fil"


def size_sv(size: int) -> str:
    """A file size as people read it: "12,3 kB", "1,2 MB"."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{decimal_sv(size / 1000, 1)} kB"
    return f"{decimal_sv(size / 1_000_000, 1)} MB"


async def evidence_page(request: Request) -> Response:
    ui, folder, base = await _folder_for(request)
    files: list[dict[str, Any]] = []
    if folder is not None:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            files.append(
                {
                    "name": rel,
                    "label": file_label_sv(rel, rns_via_plexus=ui.settings.rns.access == "plexus"),
                    "size": size_sv(path.stat().st_size),
                    "url": f"{base}/{rel}",
                    "is_image": path.suffix.lower() in IMAGE_SUFFIXES,
                }
            )
    context = {"files": files, "retention_days": ui.settings.evidence_retention_days}
    return ui.render(request, "evidence.html", context, nav="backlog")


async def evidence_file(request: Request) -> Response:
    _ui, folder, _base = await _folder_for(request)
    name = request.path_params["name"]
    if folder is None:
        raise HTTPException(status_code=404, detail="Filen finns inte.")
    path = (folder / name).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(status_code=404, detail="Filen finns inte.")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # A page copy is the site's HTML: shown sandboxed, never run as the app's own page.
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "sandbox"}
    return FileResponse(path, media_type=media_type, headers=headers)
