"""Bot API methods about files: getFile and sending videos, documents, photos, albums."""

from __future__ import annotations

import copy
import io
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError

from .api_messages import chat_id_of, formatted, new_message, record
from .checks import check_reply_markup
from .models import (
    CAPTION_LIMIT,
    CLOUD_DOWNLOAD_LIMIT,
    CLOUD_UPLOAD_LIMIT,
    JSON,
    LOCAL_UPLOAD_LIMIT,
    ApiError,
    FakeFile,
    SentMessage,
    Upload,
    bad_request,
)
from .payloads import message_media
from .state import TelegramState

PHOTO_LIMIT = 10 * 1024 * 1024  # sendPhoto: 10 MB
PHOTO_SIDES = 10000  # sendPhoto: width + height at most this
PHOTO_RATIO = 20  # ... and one side at most 20 times the other
THUMBNAIL_LIMIT = 200 * 1024  # a thumbnail: JPEG under 200 kB, no side over 320 px
THUMBNAIL_SIDE = 320
DEFAULT_MIME = {"video": "video/mp4", "animation": "video/mp4", "photo": "image/jpeg", "audio": "audio/mpeg"}


def get_file(state: TelegramState, params: JSON, files_dir: Path) -> JSON:
    """Cloud: 20 MB limit, relative file_path. Local mode: absolute path of the bytes on disk."""
    f = state.files.get(str(params.get("file_id") or ""))
    if f is None:
        raise bad_request("invalid file_id")
    result: JSON = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.size}
    if state.local_mode:
        result["file_path"] = str(_local_copy(f, files_dir))
        return result
    if f.size > CLOUD_DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    file_path = next((p for p, fid in state.file_paths.items() if fid == f.file_id), None)
    if file_path is None:
        file_path = f"{f.folder}/file_{len(state.file_paths)}{f.extension}"
        state.file_paths[file_path] = f.file_id
    result["file_path"] = file_path
    return result


def _local_copy(f: FakeFile, files_dir: Path) -> Path:
    """The file on disk; a fake huge file becomes a sparse file of the declared size."""
    if f.path is not None:
        return f.path.resolve()
    if f.local_path is None:
        target = files_dir / f.folder / f"{f.file_unique_id}{f.extension}"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            out.write(f.data or b"")
            out.truncate(max(f.size, len(f.data or b"")))
        f.local_path = target
    return f.local_path


def _resolve_input(
    state: TelegramState, kind: str, value: object, uploads: dict[str, Upload], part: str
) -> FakeFile:
    """Turn an InputFile parameter (upload, attach://, file_id, URL, file:// path) into a FakeFile."""
    upload = uploads.get(part)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = uploads.get(value.removeprefix("attach://"))
    limit = LOCAL_UPLOAD_LIMIT if state.local_mode else CLOUD_UPLOAD_LIMIT
    if upload is not None:
        if upload.size > limit:
            raise ApiError(413, "Request Entity Too Large")
        mime = (
            upload.content_type if "/" in upload.content_type and "octet" not in upload.content_type else ""
        )
        return _register(
            state,
            upload.data,
            upload.size,
            upload.filename,
            mime or DEFAULT_MIME.get(kind, "application/octet-stream"),
        )
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {kind} in the request")
    if value in state.files:
        return state.files[value]
    if value.startswith("file://") and state.local_mode:
        path = Path(unquote(urlparse(value).path))
        if not path.is_file():
            raise bad_request("wrong file identifier/HTTP URL specified")
        if path.stat().st_size > limit:
            raise ApiError(413, "Request Entity Too Large")
        fid = state.add_file(
            path=path, name=path.name, mime=DEFAULT_MIME.get(kind, "application/octet-stream")
        )
        return state.files[fid]
    if value.startswith(("http://", "https://")):
        name = Path(urlparse(value).path).name or "file"
        return _register(state, None, 0, name, DEFAULT_MIME.get(kind, "application/octet-stream"))
    raise bad_request("wrong file identifier/HTTP URL specified")


def _register(state: TelegramState, data: bytes | None, size: int, name: str, mime: str) -> FakeFile:
    fid = state.add_file(data if data is not None else b"", size=size, name=name, mime=mime)
    return state.files[fid]


def _media_message(
    state: TelegramState,
    chat_id: int,
    kind: str,
    f: FakeFile,
    params: JSON,
    markup: JSON | None,
    group: str | None = None,
) -> JSON:
    shown, raw = formatted(params, "caption", CAPTION_LIMIT, None)
    message = new_message(state, chat_id, params)
    message.update(message_media(kind, f))
    if shown is not None:
        message["caption"] = shown
    if group is not None:
        message["media_group_id"] = group
    sent = SentMessage(
        chat_id,
        0,
        kind,
        caption=shown,
        raw_text=raw,
        parse_mode=params.get("parse_mode"),
        file_id=f.file_id,
        file_size=f.size,
        file_name=f.name,
        media_group_id=group,
    )
    return record(state, message, sent, markup)


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of an image, ``None`` when the bytes are not one Telegram can read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format or "", image.width, image.height
    except (UnidentifiedImageError, OSError):
        return None


def _check_photo(f: FakeFile) -> None:
    """sendPhoto as Telegram checks it: an image, at most 10 MB, sides summing to 10000, ratio 20."""
    if f.data is None or not f.data:  # sent by URL or file_id: nothing to look at
        return
    if f.size > PHOTO_LIMIT:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    found = _image_size(f.data)
    if found is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    _, width, height = found
    if width + height > PHOTO_SIDES or max(width, height) > PHOTO_RATIO * max(min(width, height), 1):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    f.width, f.height = width, height


def _thumbnail(state: TelegramState, params: JSON, uploads: dict[str, Upload]) -> FakeFile | None:
    """A video's thumbnail: used only when uploaded (multipart), a JPEG under 200 kB and 320 px;
    anything else is ignored, as Telegram does."""
    value = params.get("thumbnail")
    if isinstance(value, str) and value.startswith("attach://"):
        upload = uploads.get(value.removeprefix("attach://"))
    elif value is None:  # the file itself in a part named "thumbnail"
        upload = uploads.get("thumbnail")
    else:  # a file_id or a URL: Telegram ignores it
        return None
    if upload is None or upload.size > THUMBNAIL_LIMIT:
        return None
    found = _image_size(upload.data)
    if found is None or found[0] != "JPEG" or max(found[1], found[2]) > THUMBNAIL_SIDE:
        return None
    thumb = _register(state, upload.data, upload.size, upload.filename, "image/jpeg")
    thumb.width, thumb.height = found[1], found[2]
    return thumb


def send_media(state: TelegramState, kind: str, params: JSON, uploads: dict[str, Upload]) -> JSON:
    """sendVideo, sendDocument, sendPhoto, sendAnimation, sendAudio."""
    chat_id = chat_id_of(state, params)
    f = _resolve_input(state, kind, params.get(kind), uploads, kind)
    thumb = None
    if kind == "video":
        f.duration = int(params.get("duration") or f.duration)
        f.width, f.height = int(params.get("width") or f.width), int(params.get("height") or f.height)
        thumb = _thumbnail(state, params, uploads)
    if kind == "photo":
        _check_photo(f)
    markup = check_reply_markup(params.get("reply_markup"))
    message = _media_message(state, chat_id, kind, f, params, markup)
    if thumb is not None:
        sent = state.messages[(chat_id, message["message_id"])]
        sent.thumbnail_id = thumb.file_id
        size = {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id, "file_size": thumb.size,
                "width": thumb.width, "height": thumb.height}
        sent.raw[kind]["thumbnail"] = size
        message[kind]["thumbnail"] = dict(size)
    return message


def send_media_group(state: TelegramState, params: JSON, uploads: dict[str, Upload]) -> list[JSON]:
    chat_id = chat_id_of(state, params)
    media = params.get("media")
    if not isinstance(media, list) or len(media) < 2:
        raise bad_request(
            "there must be at least two media in the group" if isinstance(media, list) else "media is empty"
        )
    if len(media) > 10:
        raise bad_request("too many messages to send as an album")
    items = [
        (
            item.get("type", "photo"),
            _resolve_input(state, item.get("type", "photo"), item.get("media"), uploads, ""),
        )
        for item in media
    ]
    group = str(10**17 + secrets.randbelow(10**17))
    results = []
    for (kind, f), item in zip(items, media):
        item_params = {**params, "caption": item.get("caption"), "parse_mode": item.get("parse_mode")}
        results.append(_media_message(state, chat_id, kind, f, item_params, None, group))
    return copy.deepcopy(results)
