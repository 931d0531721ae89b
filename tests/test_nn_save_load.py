"""Model files: saves that cannot destroy a model (atomic, fault-injected with RLIMIT_FSIZE),
names that are data, and loads that are all-or-nothing and bounded against hostile files."""

import os
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from gradtrace import Tensor, Value
from gradtrace.nn import MLP, Linear, Module
from numpy.lib import format as npy


def weights(model: Module) -> dict[str, np.ndarray]:
    return model.state_dict()


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def npz_with(path, members: dict[str, np.ndarray | tuple[dict, bytes]]) -> str:
    """A .npz whose members are arrays, or (a .npy header dict, raw data bytes) as a hostile
    file would hold them (any declared shape and dtype, any amount of data)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, member in members.items():
            with archive.open(f"{name}.npy", "w") as f:
                if isinstance(member, np.ndarray):
                    npy.write_array(f, member, allow_pickle=True)
                else:
                    header, data = member
                    npy.write_array_header_1_0(f, header)
                    f.write(data)
    return str(path)


# ---------------------------------------------------------------------- saves
def test_a_save_that_fails_midway_leaves_the_old_file_whole_and_names_the_path(tmp_path):
    path = tmp_path / "model.npz"
    original = Linear(100, 100, seed=0)  # 80 kB of weights
    original.save(path)
    # a child process whose files may not grow past 4 kB (SIGXFSZ ignored, so the write
    # fails with EFBIG instead of killing the process): the new save breaks off midway
    child = textwrap.dedent(f"""
        import resource, signal, sys
        from gradtrace.nn import Linear
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        try:
            Linear(100, 100, seed=1).save({str(path)!r})
        except OSError as err:
            print(err)
            sys.exit(3)
    """)
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert run.returncode == 3, run.stderr
    assert str(path) in run.stdout and "unchanged" in run.stdout
    assert same(weights(Linear(100, 100, seed=2).load(path)), weights(original))
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_parameters_named_file_and_allow_pickle_round_trip(tmp_path):
    # np.savez(path, **state) took these names as its own arguments: one made save raise,
    # the other was silently dropped
    class Odd(Module):
        def __init__(self, a: float, b: float) -> None:
            super().__init__()
            self.file = Value(a)
            self.allow_pickle = Tensor(np.array([b, b]), requires_grad=True)

    path = Odd(1.5, 2.5).save(tmp_path / "odd")
    loaded = Odd(0.0, 0.0).load(path)
    assert loaded.file.data == 1.5 and loaded.allow_pickle.data.tolist() == [2.5, 2.5]


def test_a_name_ending_in_upper_case_npz_is_written_as_given(tmp_path):
    assert Linear(2, 2, seed=0).save(tmp_path / "m.NPZ") == str(tmp_path / "m.NPZ")
    assert os.listdir(tmp_path) == ["m.NPZ"]


def test_a_save_replaces_the_old_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.npz"
    Linear(3, 2, seed=0).save(path)
    newer = Linear(3, 2, seed=1)
    newer.save(path)
    assert same(weights(Linear(3, 2, seed=2).load(path)), weights(newer))
    assert os.listdir(tmp_path) == ["m.npz"]


# ---------------------------------------------------------------------- loads: checked first
@pytest.mark.parametrize(
    "bad, what",
    [
        (np.array(["a", "b"]), "<U1"),
        (np.array([1 + 2j, 3j]), "complex128"),
        (np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[D]"), "datetime64"),
    ],
)
def test_a_key_whose_dtype_is_not_a_real_number_is_refused_and_nothing_changes(tmp_path, bad, what):
    model = Linear(3, 2, seed=0)
    before = weights(model)
    state = weights(Linear(3, 2, seed=1))
    state["bias"] = bad  # the last key: before, "weight" was overwritten by then
    path = npz_with(tmp_path / "m.npz", state)
    with pytest.raises(ValueError) as err:
        model.load(path)
    assert "m.npz" in str(err.value) and f"bias: {what}" in str(err.value)
    assert same(weights(model), before)


def test_load_state_dict_refuses_non_numbers_before_changing_anything():
    model = Linear(3, 2, seed=0)
    before = weights(model)
    state = {"weight": np.ones((2, 3)), "bias": np.array(["x", "y"])}
    with pytest.raises(ValueError, match="bias: <U1"):
        model.load_state_dict(state)
    assert same(weights(model), before)


def test_a_pickled_object_array_is_reported_as_what_it_is(tmp_path):
    state = weights(Linear(2, 1, seed=0))
    state["bias"] = np.array([{"a": 1}], dtype=object)
    path = npz_with(tmp_path / "evil.npz", state)
    with pytest.raises(ValueError) as err:
        Linear(2, 1, seed=0).load(path)
    message = str(err.value)
    assert "evil.npz" in message and "Python objects" in message and "pickle" in message
    assert "truncated or corrupted" not in message


def test_every_problem_of_a_file_is_named_in_one_error(tmp_path):
    state = weights(Linear(3, 2, seed=0))
    del state["bias"]
    state["weight"] = np.zeros((3, 3))
    state["extra"] = np.zeros(1)
    path = npz_with(tmp_path / "m.npz", state)
    with pytest.raises(ValueError) as err:
        Linear(3, 2, seed=0).load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot load into Linear")
    for part in ("missing keys: bias", "unexpected keys: extra", "weight: expected (2, 3)"):
        assert part in message


def test_a_member_declaring_a_huge_shape_is_a_value_error_not_a_memory_error(tmp_path):
    huge = ({"descr": "<f8", "fortran_order": False, "shape": (10**12,)}, bytes(64))
    state = {"weight": weights(Linear(3, 2, seed=0))["weight"], "bias": huge}
    path = npz_with(tmp_path / "m.npz", state)
    with pytest.raises(ValueError, match=r"bias: expected \(2,\), got \(1000000000000,\)"):
        Linear(3, 2, seed=0).load(path)


def test_a_npy_file_named_npz_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "m.npz"
    np.save(path, np.zeros(3))  # np.save keeps a name that ends in .npz... as .npz.npy
    os.replace(str(path) + ".npy", path)
    with pytest.raises(ValueError, match=r"m\.npz: this is a single \.npy array"):
        Linear(3, 1, seed=0).load(path)


def test_damaged_data_after_good_headers_changes_nothing(tmp_path):
    model = MLP(2, [4, 1], seed=0)
    before = weights(model)
    path = MLP(2, [4, 1], seed=1).save(tmp_path / "m.npz")
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as archive:  # flip one byte of the last member's data
        last = archive.infolist()[-1]
    data[last.header_offset + 30 + len(last.filename) + last.file_size - 1] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match=r"m\.npz.*truncated or corrupted"):
        model.load(path)
    assert same(weights(model), before)


def test_load_with_strict_false_ignores_unexpected_members_without_reading_them(tmp_path):
    state = weights(Linear(3, 2, seed=1))
    state["junk"] = ({"descr": "|O", "fortran_order": False, "shape": (10**12,)}, b"\x80")
    path = npz_with(tmp_path / "m.npz", state)
    model = Linear(3, 2, seed=0).load(path, strict=False)
    assert same(weights(model), weights(Linear(3, 2, seed=1)))


# ---------------------------------------------------------------------- loads: bounded
def gib_of_zeros_npz(path, name: str) -> int:
    """A zip holding one deflated member `name`.npy that declares and inflates to 1 GiB of
    float64 zeros, in about 1 MB. The deflate stream is one block of 1 MiB zeros repeated
    (a full flush resets the compressor, so each block is the same bytes); the member's CRC
    is left 0 (computing it means reading 1 GiB): a loader that inflated the member would
    notice only after inflating all of it. Returns the file's size."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**27,)}
    head = _npy_header(header)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert deflate.compress(bytes(1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH) == block
    stream = start + block * 1024 + deflate.flush()
    size = len(head) + 2**30
    filename = f"{name}.npy".encode()
    local = struct.pack(
        "<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, 0, len(stream), size, len(filename), 0
    )
    central = struct.pack(
        "<4s4B4HL2L5H2L",
        b"PK\x01\x02",
        20,
        0,
        20,
        0,
        0,
        8,
        0,
        0x21,
        0,
        len(stream),
        size,
        len(filename),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + filename + stream
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(filename), len(body), 0
    )
    with open(path, "wb") as f:
        f.write(body + central + filename + end)
    return os.path.getsize(path)


def _npy_header(header: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    npy.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def test_a_small_file_that_inflates_to_a_gib_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "bomb.npz"
    assert gib_of_zeros_npz(path, "junk") < 1_500_000
    with zipfile.ZipFile(path, "a") as archive:  # and the model's own keys, all good
        for name, array in weights(Linear(3, 2, seed=1)).items():
            with archive.open(f"{name}.npy", "w") as f:
                npy.write_array(f, array)
    model = Linear(3, 2, seed=0)
    before = weights(model)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb\.npz.*unexpected keys: junk"):
            model.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # measured: well under 1 MB (before: 1 GiB)
    assert same(weights(model), before)
