"""History through the API: the seed's upload, manual record, history list and latest image, plus one image.

Rows made here carry the account that made them (``user_id``, answered as ``username``); rows made by
cameras carry the camera. Every filter is a bound SQL parameter (HistoryRepository).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response as RawResponse

from edge.api.auth import Context, CurrentUser
from edge.api.content import require_json, require_multipart
from edge.api.errors import ApiError, documented
from edge.api.images import ImageRejected, decode_upload, media_type, storable
from edge.api.schemas import (
    Answer,
    Candidate,
    EventOut,
    HistoryAnswer,
    HistoryItem,
    ImageData,
    ManualPlate,
    Paging,
    PlateOut,
    UploadData,
)
from edge.domain import Direction, PlateRead
from edge.storage.history import MAX_PAGE, HistoryRow

router = APIRouter(prefix="/api", tags=["history"])
BASE = (401, 413, 422, 500, 503)
UPLOAD_PATH = "/api/upload_image"
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


def history_item(row: HistoryRow, usernames: dict[int, str]) -> HistoryItem:
    return HistoryItem(**_item_fields(row, usernames))


def event_out(row: HistoryRow, usernames: dict[int, str]) -> EventOut:
    return EventOut(
        **_item_fields(row, usernames), stage=row.stage, revision=row.revision,
        candidates=[Candidate(text=c.text, score=c.score) for c in row.candidates],
        distance=row.distance, first_seen=row.first_seen, decided_at=row.decided_at, models=dict(row.models))


def _item_fields(row: HistoryRow, usernames: dict[int, str]) -> dict[str, Any]:
    files = f"/api/events/{row.event_id}" if row.event_id else None
    return {
        "id": row.id, "plate_number": row.plate_number, "status": row.status, "created_at": row.created_at,
        "user_id": row.user_id, "username": usernames.get(row.user_id) if row.user_id is not None else None,
        "camera": row.camera, "site": row.site, "source": row.source, "event_id": row.event_id,
        "confidence": row.confidence, "list_name": row.list_name, "match_plate": row.match_plate,
        "match_name": row.match_name, "open_barrier": row.open_barrier, "reason": row.reason,
        "presence": row.presence, "image_id": row.image_id,
        "snapshot_url": f"{files}/snapshot" if files and row.snapshot else None,
        "crop_url": f"{files}/crop" if files and row.crop else None,
    }


def _utc(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ApiError(422, f"{name} is out of range") from None


@router.get("/history", response_model=HistoryAnswer, responses=documented(*BASE))
def history(
    *, ctx: Context, _: CurrentUser,
    plate: Annotated[str | None, Query(min_length=1, max_length=20, pattern=PRINTABLE,
                                       description="Exactly this plate.")] = None,
    plate_contains: Annotated[str | None, Query(min_length=1, max_length=20, pattern=PRINTABLE,
                                                description="Plates containing this text.")] = None,
    camera: Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE,
                                        description="Only this camera's rows.")] = None,
    direction: Annotated[Direction | None, Query(description="entering, leaving or unknown.")] = None,
    since: Annotated[datetime | None, Query(description="From this time on (ISO 8601; no zone: UTC).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (ISO 8601; no zone: UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip.")] = 0,
) -> HistoryAnswer:
    """History rows, newest first, with paging (``paging.total`` rows match the filters)."""
    start, end = _utc(since, "since"), _utc(until, "until")
    rows = ctx.history.query(plate, plate_contains=plate_contains, camera=camera, direction=direction, since=start,
                             until=end, limit=limit, offset=offset)
    total = ctx.history.count(plate, plate_contains=plate_contains, camera=camera, direction=direction, since=start,
                              until=end)
    names = ctx.users.usernames(r.user_id for r in rows if r.user_id is not None)
    return HistoryAnswer(message=f"{len(rows)} of {total} rows", data=[history_item(r, names) for r in rows],
                         paging=Paging(total=total, limit=limit, offset=offset))


@router.post("/plate", status_code=201, dependencies=[Depends(require_json)],
             responses=documented(*BASE, 400, 415))
def add_plate(body: ManualPlate, ctx: Context, caller: CurrentUser) -> Answer[HistoryItem]:
    """Record a plate by hand (the seed's manual record): the row carries your account."""
    now = datetime.now(UTC)
    row_id = ctx.history.add_manual(body.plate_number, body.status, caller.user_id)
    stored = [r for r in ctx.history.query(body.plate_number, since=now - timedelta(seconds=5), limit=MAX_PAGE)
              if r.id == row_id]
    row = stored[0] if stored else HistoryRow(id=row_id, plate_number=body.plate_number, status=body.status,
                                              user_id=caller.user_id, image_id=None, created_at=now, source="manual")
    return Answer(message="plate recorded", data=history_item(row, {caller.user_id: caller.username}))


@router.post(UPLOAD_PATH.removeprefix("/api"), dependencies=[Depends(require_multipart)],
             responses=documented(*BASE, 400, 415))
def upload_image(
    ctx: Context, caller: CurrentUser,
    image: Annotated[UploadFile, File(description="A JPEG, PNG, BMP or WebP photo (checked by decoding it).")],
    status: Annotated[Direction, Query(description="entering, leaving or unknown.")] = Direction.UNKNOWN,
) -> Answer[UploadData]:
    """Read the plate in a photo: the image is stored and a history row (your account) recorded for the most
    confident plate. ``plate_number`` is null when no plate was found (nothing is stored then)."""
    if ctx.deps.recognize is None:
        raise ApiError(503, "plate reading is not available in this process")
    limit = ctx.settings.max_upload_bytes
    data = image.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the image is larger than {ctx.settings.max_upload_mb} MB")
    try:
        decoded = decode_upload(data)
    except ImageRejected as exc:
        raise ApiError(exc.status, str(exc)) from None
    with ctx.recognition_slots:
        read = ctx.deps.recognize(decoded.pixels)
    plates = sorted((p for p in read.plates if p.text), key=lambda p: p.confidence, reverse=True)
    found = UploadData(plate_number=None, status=status, history_id=None, image_id=None, width=decoded.width,
                       height=decoded.height, plates=[_plate_out(p) for p in plates])
    if not plates:
        return Answer(message="no plate found", data=found)
    image_id = ctx.history.add_image(storable(decoded))
    history_id = ctx.history.add_manual(plates[0].text, status, caller.user_id, image_id=image_id,
                                         source="api")
    found = found.model_copy(update={"plate_number": plates[0].text, "history_id": history_id, "image_id": image_id})
    return Answer(message=f"plate {plates[0].text} recorded", data=found)


def _plate_out(plate: PlateRead) -> PlateOut:
    return PlateOut(text=plate.text, confidence=round(plate.confidence, 4), box=plate.box.as_list(),
                    region=plate.region)


@router.post("/fetch_img", responses=documented(*BASE, 404))
def fetch_image(ctx: Context, _: CurrentUser) -> Answer[ImageData]:
    """The latest stored image (base64), as the seed answered it."""
    stored = ctx.history.latest_image()
    if stored is None or not stored.data:
        raise ApiError(404, "no image stored yet")
    return Answer(message="ok", data=ImageData(image_id=stored.id, created_at=stored.created_at,
                                               content_type=media_type(stored.data),
                                               image=base64.b64encode(stored.data).decode("ascii")))


@router.get("/images/{image_id}", response_class=RawResponse, responses={
    200: {"content": {"image/jpeg": {}, "image/png": {}, "application/octet-stream": {}},
          "description": "The image file as stored."}, **documented(*BASE, 404)})
def get_image(image_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], ctx: Context, _: CurrentUser) -> RawResponse:
    """One stored image (an upload, or an event frame when the daemon stores frames in the database)."""
    stored = ctx.history.get_image(image_id)
    if stored is None or not stored.data:
        raise ApiError(404, "no such image")
    return RawResponse(stored.data, media_type=media_type(stored.data))


__all__ = ["UPLOAD_PATH", "event_out", "history_item", "router"]
