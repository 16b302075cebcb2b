"""Image files behind URIs (s3://, gs://, or an fsspec protocol): listed and read through pyarrow.fs.

pyarrow comes with the `ray` extra; S3 and GCS are built into pyarrow (credentials as their SDKs
find them: environment, config files, instance roles); other protocols go through fsspec when its
package for them is installed (e.g. `adlfs` for az://). Folders are listed the way `walk.py` lists
local ones: sorted, image extensions only, names relative to the URI given.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from digits.errors import DigitsError, ImageError, first_line
from digits.files import Found, WalkStats, is_image_name


@functools.lru_cache(maxsize=16)
def _filesystem(root: str):
    """The pyarrow filesystem for a URI's scheme and host, made once per process (an S3 client is slow)."""
    try:
        import pyarrow as pa
        import pyarrow.fs as pafs
    except ImportError:
        raise DigitsError(f"{root}: reading URIs needs pyarrow: pip install 'digits[ray]'") from None
    try:
        return pafs.FileSystem.from_uri(root)[0]
    except pa.ArrowInvalid as first:  # a scheme pyarrow lacks: try fsspec
        try:
            import fsspec

            fs = fsspec.core.url_to_fs(root)[0]
        except Exception:
            message = f"{root}: no filesystem for this URI ({first}); install the fsspec package for it"
            raise DigitsError(message) from None
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs))
    except Exception as exc:  # S3 resolves the bucket's region here: no network, no such bucket
        raise DigitsError(f"{root}: cannot open it ({first_line(exc)})") from None


def forget_clients() -> None:
    """Drop the filesystem clients made so far: a forked worker must not share its parent's connections."""
    _filesystem.cache_clear()


def _split(uri: str) -> tuple[object, str]:
    scheme, rest = uri.split("://", 1)
    host = rest.split("/", 1)[0]
    return _filesystem(f"{scheme}://{host}"), rest


def list_uri(uri: str, prefix: str, recursive: bool, stats: WalkStats) -> Iterator[Found]:
    """The image files under a URI folder (or the URI itself if it is a file), in the local walk's order.

    Listed one folder level at a time, each level's entries sorted by name (folders among files, as
    walk.py does), so the files stream out and only one level's names are held at once.
    """
    fs, path = _split(uri)  # first: it says how to install pyarrow when it is missing
    import pyarrow.fs as pafs

    info = _listing(uri, lambda: fs.get_file_info(path))
    if info.type != pafs.FileType.Directory:  # a file, or nothing: the reader says "file not found", as locally
        yield Found(uri, uri)
        return
    root = path.rstrip("/") + "/"
    yield from _level(fs, root, root, uri.rstrip("/") + "/", prefix, recursive, stats)


def _level(fs, folder: str, root: str, base: str, prefix: str, recursive: bool, stats: WalkStats
           ) -> Iterator[Found]:
    import pyarrow.fs as pafs

    listed = _listing(base + folder[len(root):], lambda: fs.get_file_info(pafs.FileSelector(folder)))
    for entry in sorted(listed, key=lambda e: e.base_name):
        relative = entry.path[len(root):] if entry.path.startswith(root) else entry.base_name
        if entry.type == pafs.FileType.Directory:
            if recursive:
                yield from _level(fs, entry.path.rstrip("/") + "/", root, base, prefix, recursive, stats)
        elif is_image_name(entry.base_name):
            yield Found(base + relative, prefix + relative)
        else:
            stats.skipped += 1


def _listing(uri: str, call, verb: str = "list"):
    """A listing call's answer; a refusal (no such bucket, wrong credentials, no network) as one line."""
    try:
        return call()
    except Exception as exc:  # the run cannot do what was asked
        raise DigitsError(f"{uri}: cannot {verb} it ({first_line(exc, 200)}); check the URI and the credentials "
                          "(AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_ENDPOINT_URL...)") from None


def open_uri(uri: str):
    """A binary stream of the file at `uri` (a list of inputs); DigitsError when it cannot be opened."""
    fs, path = _split(uri)
    return _listing(uri, lambda: fs.open_input_file(path), "read")


def read_uri(uri: str, max_bytes: int) -> bytes:
    """The bytes of the file at `uri`, or ImageError naming what went wrong (missing, refused, too big)."""
    try:
        fs, path = _split(uri)
        with fs.open_input_file(path) as f:
            size = f.size()
            if size > max_bytes:
                raise ImageError(f"{size:,} bytes is above the {max_bytes:,} allowed for one image; downscale it first")
            return f.read()
    except ImageError:
        raise
    except DigitsError as exc:  # on a worker without pyarrow or without the filesystem: a row per file, as locally
        raise ImageError(str(exc)) from None
    except FileNotFoundError:
        raise ImageError("file not found") from None
    except Exception as exc:  # pyarrow raises OSError subclasses with the store's own message
        if _missing(uri):
            raise ImageError("file not found (no such object or bucket)") from None
        raise ImageError(f"cannot read the file: {first_line(exc)}") from None


def _missing(uri: str) -> bool:
    import pyarrow.fs as pafs

    try:
        fs, path = _split(uri)
        return fs.get_file_info(path.rstrip("/")).type == pafs.FileType.NotFound
    except Exception:
        return False
