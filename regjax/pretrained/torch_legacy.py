"""Reading PyTorch's legacy (pre-1.6) `torch.save` files in numpy, without torch.

The legacy format is a stream of pickles: a magic number, the protocol version (1001), system
info (byte order, type sizes), then the saved object (here a state_dict: an OrderedDict of
tensors) in which every tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
...)` and every storage a persistent id `("storage", <StorageClass>, key, location, numel)`, then
the sorted list of storage keys, then each storage's raw data: an int64 element count followed by
the elements, little-endian.

Only what state_dicts of CPU float/int models hold is accepted: Float/Double/Half/Long/Int
storages and `_rebuild_tensor_v2` (contiguous or strided views). Anything else (another class in
the pickle, a zip-format file from torch >= 1.6, a truncated file) is a clear error, so no
arbitrary code from a pickle is ever run.
"""

from __future__ import annotations

import collections
import os
import pickle
import struct

import numpy as np

from regjax.errors import DataFormatError

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32,
}


class _StorageType:
  def __init__(self, name: str):
    self.name = name
    self.dtype = np.dtype(_STORAGE_DTYPES[name]).newbyteorder("<")


class _TensorStub:
  """A tensor waiting for its storage's bytes: (storage key, offset, shape, stride)."""

  def __init__(self, storage, offset, size, stride):
    self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *unused):
  return _TensorStub(storage, storage_offset, size, stride)


class _Unpickler(pickle.Unpickler):
  def __init__(self, file, path):
    super().__init__(file)
    self.path = path

  def find_class(self, module, name):
    if (module, name) == ("collections", "OrderedDict"):
      return collections.OrderedDict
    if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
      return _rebuild_tensor_v2
    if module == "torch" and name in _STORAGE_DTYPES:
      return _StorageType(name)
    raise DataFormatError(self.path, f"holds {module}.{name}, which is not part of a plain "
                          "state_dict of tensors; refusing to load it")

  def persistent_load(self, pid):
    if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
            and isinstance(pid[1], _StorageType)):
      raise DataFormatError(self.path, f"unexpected persistent id {pid!r:.80}")
    _, storage_type, key, location, numel = pid[:5]
    return (storage_type, str(key), int(numel))


def load_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
  """{name: numpy array} of a legacy-format PyTorch state_dict file.

  Raises:
    DataFormatError: the file is missing, not in the legacy format (a zip file from torch >= 1.6
      says so), truncated, or holds something other than tensors.
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise DataFormatError(path, "weight file not found")
  with open(path, "rb") as f:
    if f.read(4) == b"PK\x03\x04":
      raise DataFormatError(path, "is a zip-format torch file (torch >= 1.6); only the legacy "
                            "format the published models use is read")
    f.seek(0)
    try:
      if pickle.load(f) != MAGIC_NUMBER:
        raise DataFormatError(path, "not a legacy PyTorch file (wrong magic number)")
      if pickle.load(f) != PROTOCOL_VERSION:
        raise DataFormatError(path, f"unknown legacy protocol (expected {PROTOCOL_VERSION})")
      info = pickle.load(f)
      if not info.get("little_endian", True):
        raise DataFormatError(path, "saved on a big-endian machine; not supported")
      state = _Unpickler(f, path).load()
      keys = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as e:
      raise DataFormatError(path, f"not a readable legacy PyTorch file ({e})") from None
    if not isinstance(state, dict) or not all(isinstance(v, _TensorStub) for v in state.values()):
      raise DataFormatError(path, "does not hold a state_dict (a mapping of names to tensors)")
    storages: dict[str, np.ndarray] = {}
    kinds = {v.storage[1]: v.storage for v in state.values()}
    for key in keys:
      header = f.read(8)
      if len(header) != 8 or key not in kinds:
        raise DataFormatError(path, f"truncated or inconsistent storage data (storage {key})")
      (numel,) = struct.unpack("<q", header)
      storage_type, _, expected = kinds[key]
      data = f.read(numel * storage_type.dtype.itemsize)
      if numel != expected or len(data) != numel * storage_type.dtype.itemsize:
        raise DataFormatError(path, f"truncated storage {key}: {len(data)} bytes")
      storages[key] = np.frombuffer(data, storage_type.dtype)
  out = {}
  for name, stub in state.items():
    flat = storages[stub.storage[1]]
    itemsize = flat.dtype.itemsize
    out[name] = np.array(np.lib.stride_tricks.as_strided(
        flat[stub.offset:], shape=stub.size, strides=[s * itemsize for s in stub.stride]),
        dtype=flat.dtype.newbyteorder("="))
  return out
