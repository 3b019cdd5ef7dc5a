"""What an operator of the daemon needs: its state and cameras, the plate lists, one event with its pictures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import ValidationError

from edge.api.auth import AdminUser, Context, CurrentUser
from edge.api.content import require_json
from edge.api.context import ApiContext, PlateListAccess
from edge.api.errors import ApiError, describe_validation, documented
from edge.api.routes_history import event_out
from edge.api.schemas import Answer, CameraOut, ErrorData, EventOut, ListEntry, PlateListsBody, PlateListsOut
from edge.settings.plate_lists import LIST_NAMES, PlateEntry, PlateLists, normalise_plate

router = APIRouter(prefix="/api", tags=["operator"])
BASE = (401, 413, 422, 500, 503)
ADMIN_BODY = (*BASE, 400, 403, 415)
SNAPSHOT_DIR = "snapshots"
EventId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
ListName = Literal["allow", "deny", "watch"]
_RELATIVE_FILE = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")


# ---- daemon state ----------------------------------------------------------------------------------

def _status(ctx: ApiContext) -> dict[str, Any]:
    if ctx.deps.status is None:
        return {"cameras": {}, "daemon": "not running in this process"}
    return dict(ctx.deps.status())


@router.get("/status", responses=documented(*BASE))
def status(ctx: Context, _: CurrentUser) -> Answer[dict[str, Any]]:
    """The daemon's state: cameras, outbox depth, latency, MQTT, plate-list errors."""
    return Answer(message="ok", data=_status(ctx))


@router.get("/cameras", responses=documented(*BASE))
def cameras(ctx: Context, _: CurrentUser) -> Answer[list[CameraOut]]:
    """Each camera with its state (connected, frames, dropped, reconnects, last frame age, error...)."""
    found = _status(ctx).get("cameras") or {}
    return Answer(message=f"{len(found)} camera(s)",
                  data=[CameraOut(**{**dict(state), "name": str(name)}) for name, state in dict(found).items()])


# ---- plate lists -----------------------------------------------------------------------------------

def _lists(ctx: ApiContext) -> PlateListAccess:
    if ctx.deps.plate_lists is None:
        raise ApiError(503, "plate lists are not available in this process")
    return ctx.deps.plate_lists


def entry_json(entry: PlateEntry) -> ListEntry:
    return ListEntry(
        plate=entry.plate, name=entry.name, gates=list(entry.gates), directions=entry.directions,
        valid_from=None if entry.valid_from is None else entry.valid_from.isoformat(),
        valid_until=None if entry.valid_until is None else entry.valid_until.isoformat(),
        hours=[w.text for w in entry.hours], note=entry.note)


def lists_out(store: PlateListAccess) -> PlateListsOut:
    lists = store.lists
    return PlateListsOut(allow=[entry_json(e) for e in lists.allow], deny=[entry_json(e) for e in lists.deny],
                         watch=[entry_json(e) for e in lists.watch], error=store.last_error)


def _entry(item: ListEntry, where: str) -> PlateEntry:
    values = item.model_dump(exclude_defaults=True)
    try:
        return PlateEntry.model_validate({**values, "plate": item.plate})
    except ValidationError as exc:
        fields = describe_validation(exc.errors(include_input=False))
        summary = "; ".join(f"{where}.{f.location}: {f.problem}" for f in fields[:3])
        raise ApiError(422, f"invalid plate list entry: {summary}", data=ErrorData(errors=fields)) from None


def _save(store: PlateListAccess, lists: PlateLists) -> None:
    try:
        store.save(lists)
    except ValueError as exc:  # PlateListError: the lists would not survive the file round trip
        raise ApiError(422, str(exc)[:300]) from None
    except OSError as exc:
        raise ApiError(503, f"the plate lists file cannot be written: {exc.strerror or exc}") from None


@router.get("/lists", responses=documented(*BASE))
def get_lists(ctx: Context, _: CurrentUser) -> Answer[PlateListsOut]:
    """The allow, deny and watch lists in force (and why a newer file was refused, if it was)."""
    return Answer(message="ok", data=lists_out(_lists(ctx)))


@router.post("/lists", dependencies=[Depends(require_json)], responses=documented(*ADMIN_BODY))
def replace_lists(body: PlateListsBody, ctx: Context, _: AdminUser) -> Answer[PlateListsOut]:
    """Replace all three lists (administrators only); written to the plate lists file atomically."""
    store = _lists(ctx)
    converted = {name: tuple(_entry(e, f"{name}[{i}]") for i, e in enumerate(getattr(body, name)))
                 for name in LIST_NAMES}
    with ctx.lists_lock:
        _save(store, PlateLists(**converted))
    return Answer(message="plate lists saved", data=lists_out(store))


@router.post("/lists/{list_name}", dependencies=[Depends(require_json)], responses=documented(*ADMIN_BODY))
def put_entry(list_name: ListName, body: ListEntry, ctx: Context, _: AdminUser) -> Answer[PlateListsOut]:
    """Add an entry to a list, or replace the entry with the same plate (administrators only)."""
    store = _lists(ctx)
    entry = _entry(body, list_name)
    with ctx.lists_lock:
        lists = store.lists
        kept = tuple(e for e in lists.entries(list_name) if e.plate != entry.plate)
        _save(store, lists.model_copy(update={list_name: (*kept, entry)}))
    return Answer(message=f"{entry.plate} saved on the {list_name} list", data=lists_out(store))


@router.post("/lists/{list_name}/{plate}/delete", responses=documented(*BASE, 403, 404))
def delete_entry(list_name: ListName, plate: Annotated[str, PathParam(min_length=1, max_length=20)], ctx: Context,
                 _: AdminUser) -> Answer[PlateListsOut]:
    """Remove a plate from a list (administrators only)."""
    store = _lists(ctx)
    try:
        wanted = normalise_plate(plate)
    except ValueError:
        raise ApiError(404, "no such plate on the list") from None
    with ctx.lists_lock:
        lists = store.lists
        kept = tuple(e for e in lists.entries(list_name) if e.plate != wanted)
        if len(kept) == len(lists.entries(list_name)):
            raise ApiError(404, "no such plate on the list")
        _save(store, lists.model_copy(update={list_name: kept}))
    return Answer(message=f"{wanted} removed from the {list_name} list", data=lists_out(store))


# ---- events ----------------------------------------------------------------------------------------

@router.get("/events/{event_id}", responses=documented(*BASE, 404))
def get_event(event_id: EventId, ctx: Context, _: CurrentUser) -> Answer[EventOut]:
    """One camera event as stored in history: plate, candidates, list match, decision, presence, pictures."""
    row = ctx.history.get_event(event_id)
    if row is None:
        raise ApiError(404, "no such event")
    names = ctx.users.usernames([row.user_id] if row.user_id is not None else [])
    return Answer(message="ok", data=event_out(row, names))


IMAGE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "The JPEG file."}}


@router.get("/events/{event_id}/snapshot", response_class=FileResponse,
            responses={**IMAGE_ANSWER, **documented(*BASE, 404)})
def event_snapshot(event_id: EventId, ctx: Context, _: CurrentUser) -> FileResponse:
    """The event's frame (JPEG)."""
    return _event_file(ctx, event_id, "snapshot")


@router.get("/events/{event_id}/crop", response_class=FileResponse,
            responses={**IMAGE_ANSWER, **documented(*BASE, 404)})
def event_crop(event_id: EventId, ctx: Context, _: CurrentUser) -> FileResponse:
    """The event's plate crop (JPEG)."""
    return _event_file(ctx, event_id, "crop")


def _event_file(ctx: ApiContext, event_id: str, which: Literal["snapshot", "crop"]) -> FileResponse:
    row = ctx.history.get_event(event_id)
    if row is None:
        raise ApiError(404, "no such event")
    path = snapshot_file(ctx.deps.data_dir, getattr(row, which))
    if path is None:
        raise ApiError(404, f"no {which} kept for this event")
    return FileResponse(path, media_type="image/jpeg")


def snapshot_file(data_dir: Path, relative: str | None) -> Path | None:
    """The file a stored snapshot path names, only when it is a plain relative path that stays (after
    resolving links) inside ``data_dir/snapshots`` and is a regular file; None otherwise."""
    if not relative or not _RELATIVE_FILE.match(relative) or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if parts[0] != SNAPSHOT_DIR or any(p in ("", ".", "..") for p in parts):
        return None
    root = (data_dir / SNAPSHOT_DIR).resolve()
    try:
        path = (data_dir / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
