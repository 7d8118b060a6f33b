"""A file a user downloads, on its way from a service through RPC to the browser: bytes do
not cross JSON, so the service answers ``answer(...)`` (base64) and the gateway's route
turns it back into the file with ``response(...)``."""
import base64
from urllib.parse import quote

from werkzeug.wrappers import Response


def answer(content, filename, content_type, title=None, **extra):
    """What an RPC returns for a file. ``filename`` is plain ASCII (every browser keeps
    it); ``title`` the name people see (Chinese allowed), by default the same."""
    return dict(extra, filename=filename, title=title or filename, content_type=content_type,
                content_base64=base64.b64encode(content).decode("ascii"))


def response(result, inline=False, headers=None):
    """The HTTP answer for an ``answer(...)``: the bytes, their type, and a
    Content-Disposition that names the file in ASCII and, for browsers that read it,
    in UTF-8."""
    disposition = "inline" if inline else "attachment"
    title = result.get("title") or result["filename"]
    return Response(base64.b64decode(result["content_base64"]), status=200,
                    content_type=result["content_type"],
                    headers=dict(headers or {}, **{
                        "Content-Disposition": f'{disposition}; filename="{result["filename"]}"; '
                                               f"filename*=UTF-8''{quote(title)}"}))
