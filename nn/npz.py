"""Model files: NumPy `.npz` archives (a zip of one `.npy` array per parameter), never pickle.

Writing goes to a temporary file in the same folder, is flushed and fsynced, and only then
replaces the target (`os.replace`, atomic): a save that fails midway (a full disk, a
file-size limit) leaves the old model file as it was, and the error names the path.
Parameter names are zip member names, never keyword arguments, so any name round-trips.

Reading is in two steps, so that a file can neither make us allocate more than the model's
own parameters nor change half a model: `NpzReader.headers` reads every member's name, dtype
and shape from its `.npy` header (a few hundred bytes each) without inflating any data; the
caller checks them all; then `read(names)` inflates only those members, each into an array
of exactly the shape and dtype its header declared.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from types import TracebackType

import numpy as np
from numpy.lib import format as npy

_CHUNK = 1 << 20  # bytes read at a time from a member: the most a read holds beyond the array
_NPY_MAGIC = b"\x93NUMPY"


def npz_path(path: str | os.PathLike, must_exist: bool = False) -> str:
    """The file name save() writes: `path`, with ".npz" added unless it ends so (any case:
    "m.NPZ" stays "m.NPZ"). With must_exist, an existing `path` is used as it is."""
    path = os.fspath(path)
    if must_exist and os.path.exists(path):
        return path
    return path if path.lower().endswith(".npz") else path + ".npz"


def write_npz(path: str, arrays: Mapping[str, np.ndarray]) -> str:
    """Write `arrays` (name -> array) as an uncompressed .npz at `path`, atomically: the
    old file at `path` stays whole unless the new one is completely on disk. Returns path."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{id(arrays)}.tmp")
    try:
        # 0o666 and the umask, like any new file (mkstemp would make it private)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, array in arrays.items():
                    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                        npy.write_array(member, np.asanyarray(array), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except OSError as err:
        _remove(temporary)
        reason = err.strerror or str(err)
        raise OSError(
            err.errno, f"could not save the model to {path}: {reason}; the file there is unchanged"
        ) from err
    except BaseException:
        _remove(temporary)
        raise
    _sync_folder(folder)
    return path


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _sync_folder(folder: str) -> None:
    """fsync the folder, so the rename itself survives a power cut (POSIX; skipped elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder: the file itself is already on disk
    finally:
        os.close(fd)


class Header:
    """What a member's .npy header declares: its shape, dtype and memory order."""

    __slots__ = ("shape", "dtype", "fortran_order", "info")

    def __init__(self, shape: tuple, dtype: np.dtype, fortran_order: bool, info) -> None:
        self.shape, self.dtype, self.fortran_order, self.info = shape, dtype, fortran_order, info


class NpzReader:
    """An open .npz model file: `headers` (name -> Header, read without inflating any
    data) and `read(names)`. Every problem with the file is a ValueError naming it."""

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, "rb") as f:  # FileNotFoundError passes through: it names the path
            start = f.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise ValueError(
                f"{path}: this is a single .npy array, not a .npz model file (save() writes "
                ".npz archives; np.load reads .npy files)"
            )
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise self._damaged(err) from None
        try:
            self.headers = self._read_headers()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, kind: type | None, err: BaseException | None, tb: TracebackType) -> None:
        self._zip.close()

    def _damaged(self, err: BaseException) -> ValueError:
        return ValueError(
            f"{self.path}: the file is truncated or corrupted (not a readable .npz model "
            f"file): {err}"
        )

    def _read_headers(self) -> dict[str, Header]:
        headers: dict[str, Header] = {}
        for info in self._zip.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if name in headers:
                raise ValueError(f"{self.path}: holds the key {name!r} twice")
            try:
                with self._zip.open(info) as member:
                    shape, fortran_order, dtype = _read_header(member)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as err:
                raise self._damaged(f"{info.filename}: {err}") from None
            headers[name] = Header(shape, dtype, fortran_order, info)
        return headers

    def read(self, names: Iterable[str]) -> dict[str, np.ndarray]:
        """Inflate the members `names` (already checked by the caller) into new arrays of
        their declared shape and dtype, reading at most that many bytes of each."""
        out = {}
        for name in names:
            header = self.headers[name]
            try:
                out[name] = self._inflate(header)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
                raise self._damaged(f"{name}: {err}") from None
        return out

    def _inflate(self, header: Header) -> np.ndarray:
        size = math.prod(header.shape) * header.dtype.itemsize
        memory = np.empty(size, np.uint8)  # the array's own bytes, filled a chunk at a time
        with self._zip.open(header.info) as member:
            _read_header(member)  # the data follows the header checked before
            done = 0
            while done < size:
                chunk = member.read(min(_CHUNK, size - done))
                if not chunk:
                    raise ValueError(f"the data ends after {done} of {size} bytes")
                memory[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
                done += len(chunk)
        order = "F" if header.fortran_order else "C"
        return memory.view(header.dtype).reshape(header.shape, order=order)


def _read_header(member) -> tuple[tuple, bool, np.dtype]:
    """(shape, fortran_order, dtype) from a .npy header (numpy.lib.format's own reader, which
    never unpickles and bounds the header's size); the stream is left at the data."""
    version = npy.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = npy.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = npy.read_array_header_2_0(member)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return tuple(shape), fortran_order, dtype
