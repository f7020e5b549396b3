"""Datasets for the exercises: toy problems made on the fly and real data read from disk.

    from grader.datasets import load_digits, make_blobs, make_spiral, make_xor, load_mnist

Every function returns (X, y): X float64 of shape (m, d), one example per row,
and y int64 of shape (m,), the class labels. Only numpy and the standard library
are used. Data files live in the repository's datasets/ folder (see its README);
set the environment variable NNLAB_DATASETS, or pass data_dir=, to use another folder.
"""
import functools
import gzip
import hashlib
import io
import numbers
import os
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetError", "load_digits", "load_mnist", "make_blobs", "make_spiral", "make_xor",
]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "datasets"
DIGITS_FILE = "digits.npz"
DIGITS_SHA256 = "0e950af805f5142ad7d1e9c16fd2254d7df6f0c62d04802a94490f24243fd15b"


class DatasetError(OSError):
    """A data file is missing, corrupt or not in the expected format."""


# ---------------------------------------------------------------- digits

def load_digits(split="train", classes=None, scale=True, *, data_dir=None):
    """The UCI handwritten digits: 1797 grey 8x8 images of the digits 0-9.

    Inputs:
    - split: "train" (1438 images), "test" (359) or "all". The split is fixed:
      stratified 80/20, stored in the data file.
    - classes: None for all ten digits, or a collection of digits to keep, e.g.
      (0, 1). Labels stay the digit values, so for (0, 1) they are 0 and 1.
    - scale: if True divide the pixels (integers 0..16) by 16, into [0, 1].
    - data_dir: folder holding digits.npz; default $NNLAB_DATASETS or datasets/.

    Returns a tuple of:
    - X: float64 array of shape (m, 64), each row an image flattened row by row
    - y: int64 array of shape (m,), the digit in each image
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f'split must be "train", "test" or "all", got {split!r}')
    images, labels, is_test = _read_digits(_data_dir(data_dir) / DIGITS_FILE)

    keep = {"train": ~is_test, "test": is_test, "all": np.ones_like(is_test)}[split]
    if classes is not None:
        unknown = set(classes) - set(range(10))
        if unknown:
            raise ValueError(f"classes must be digits 0..9, got {sorted(unknown)}")
        keep = keep & np.isin(labels, list(classes))

    X = images[keep].reshape(-1, 64).astype(np.float64)
    if scale:
        X /= 16.0
    return X, labels[keep].astype(np.int64)


@functools.lru_cache(maxsize=None)
def _read_digits(path):
    """Verified (images (1797, 8, 8) uint8, labels (1797,) uint8, is_test (1797,) bool)."""
    data = _read_verified(path, DIGITS_SHA256)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = npz["images"], npz["labels"], npz["is_test"]
    for a in arrays:
        a.setflags(write=False)  # cached and shared by every call: nobody may change them
    return arrays


def _data_dir(data_dir):
    return Path(data_dir or os.environ.get("NNLAB_DATASETS") or DEFAULT_DATA_DIR)


def _read_verified(path, sha256):
    """The bytes of the file at path, after checking that their sha256 is the expected one."""
    fix = (f"Restore it from git (git checkout -- datasets/{path.name}) or clone the "
           "repository again; if you keep the data elsewhere, set NNLAB_DATASETS to that folder.")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"cannot read data file {path}: {e.strerror}. {fix}") from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise DatasetError(f"data file {path} is corrupt or was changed: its sha256 is "
                           f"{actual}, expected {sha256}. {fix}")
    return data


# ---------------------------------------------------------------- toy problems

def make_blobs(n_samples=100, n_features=2, *, centers=None, cluster_std=1.0,
               center_box=(-10.0, 10.0), shuffle=True, random_state=None):
    """Isotropic Gaussian blobs, one per class; same output as sklearn.datasets.make_blobs.

    Inputs:
    - n_samples: total number of points, split as evenly as possible between the
      centres, or a list with the number of points of each centre.
    - n_features: dimension d of the points, when the centres are drawn at random.
    - centers: array (k, d) of centres; or an int k, to draw k centres uniformly
      from center_box; None means 3, or len(n_samples) if that is a list.
    - cluster_std: standard deviation of every blob, or a list of k of them.
    - center_box: (low, high) bounds for random centres.
    - shuffle: if False, rows are grouped by class: all of class 0 first, ...
    - random_state: int seed or np.random.RandomState; None for a fresh random seed.

    Returns a tuple of:
    - X: float64 array of shape (m, d)
    - y: int64 array of shape (m,), the index of the centre each point came from
    """
    # scikit-learn uses the legacy RandomState; drawing the same numbers in the same
    # order (centres, then each blob, then the shuffle) makes the results identical.
    rs = random_state if isinstance(random_state, np.random.RandomState) \
        else np.random.RandomState(random_state)

    if isinstance(n_samples, numbers.Integral):
        counts = None
        if centers is None:
            centers = 3
    else:
        counts = [int(n) for n in n_samples]
        if centers is None:
            centers = len(counts)
    if isinstance(centers, numbers.Integral):
        centers = rs.uniform(center_box[0], center_box[1], size=(centers, n_features))
    centers = np.asarray(centers, dtype=np.float64)
    k, d = centers.shape

    if counts is None:
        # the first n_samples % k centres get one point more than the others
        counts = [n_samples // k + (i < n_samples % k) for i in range(k)]
    if len(counts) != k:
        raise ValueError(f"n_samples lists {len(counts)} counts but there are {k} centers")
    stds = np.full(k, cluster_std) if np.ndim(cluster_std) == 0 else cluster_std
    if len(stds) != k:
        raise ValueError(f"cluster_std lists {len(stds)} values but there are {k} centers")

    X = np.concatenate([rs.normal(loc=c, scale=s, size=(n, d))
                        for c, s, n in zip(centers, stds, counts)])
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    if shuffle:
        order = rs.permutation(len(y))
        X, y = X[order], y[order]
    return X, y


def make_spiral(n_per_class=100, n_classes=3, noise=0.2, rng=None):
    """Interleaved spiral arms, one per class (the CS231n example): not linearly separable.

    Arm j has radii evenly spaced in [0, 1] and angles from 4j to 4j + 4 radians,
    plus Gaussian noise of standard deviation `noise` on the angle.

    Inputs:
    - n_per_class: number of points in each arm
    - n_classes: number of arms K
    - noise: standard deviation of the angle noise, in radians
    - rng: np.random.Generator or int seed; None means seed 0

    Returns a tuple of:
    - X: float64 array of shape (n_per_class * K, 2), inside the unit disc
    - y: int64 array of shape (n_per_class * K,), grouped by class: 0, 0, ..., 1, 1, ...
    """
    rng = np.random.default_rng(0 if rng is None else rng)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    for j in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n_per_class)
        t = t + noise * rng.standard_normal(n_per_class)
        X[y == j] = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, y


def make_xor(n_samples=200, noise=0.1, rng=None):
    """Four Gaussian clusters at the corners (+-1, +-1): label 1 where the signs differ.

    No line separates the classes, but a network with one hidden layer can.

    Inputs:
    - n_samples: number of points, dealt to the corners in turn
    - noise: standard deviation of the Gaussian noise around each corner
    - rng: np.random.Generator or int seed; None means seed 0

    Returns a tuple of:
    - X: float64 array of shape (n_samples, 2)
    - y: int64 array of shape (n_samples,), XOR of (x0 > 0) and (x1 > 0) at the corner
    """
    rng = np.random.default_rng(0 if rng is None else rng)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    corner = corners[np.arange(n_samples) % 4]
    X = corner + noise * rng.standard_normal((n_samples, 2))
    y = (corner[:, 0] != corner[:, 1]).astype(np.int64)
    return X, y


# ---------------------------------------------------------------- MNIST

def load_mnist(path, kind="train"):
    """MNIST from the four standard IDX files, downloaded by you into the folder `path`.

    Reads {prefix}-images-idx3-ubyte and {prefix}-labels-idx1-ubyte, each plain or
    gzipped (.gz), where prefix is "train" for kind="train" and "t10k" for
    kind="test" (or "t10k"). Fashion-MNIST files, named the same way, work too.

    Returns a tuple of:
    - X: float64 array of shape (m, 784), 28x28 images flattened, pixels in [0, 1]
    - y: int64 array of shape (m,), labels 0..9  (m is 60000 for train, 10000 for test)
    """
    prefixes = {"train": "train", "test": "t10k", "t10k": "t10k"}
    if kind not in prefixes:
        raise ValueError(f'kind must be "train" or "test", got {kind!r}')
    folder = Path(path).expanduser()
    images_path = _find_idx(folder, f"{prefixes[kind]}-images-idx3-ubyte")
    labels_path = _find_idx(folder, f"{prefixes[kind]}-labels-idx1-ubyte")
    images = _read_idx(images_path, ndim=3)
    labels = _read_idx(labels_path, ndim=1)

    if images.shape[1:] != (28, 28):
        raise DatasetError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, "
                           "MNIST images are 28x28")
    if len(labels) != len(images):
        raise DatasetError(f"{labels_path} has {len(labels)} labels but {images_path} "
                           f"has {len(images)} images: the files do not belong together")
    if labels.max(initial=0) > 9:
        raise DatasetError(f"{labels_path}: label {labels.max()} found, MNIST labels are 0..9")
    return images.reshape(len(images), 28 * 28) / 255.0, labels.astype(np.int64)


def _find_idx(folder, name):
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{folder / name} not found (nor {name}.gz): download the MNIST "
                       "IDX files into that folder, or pass load_mnist the folder that holds them")


def _read_idx(path, ndim):
    """Array of unsigned bytes stored in an IDX file, of shape given by its header.

    IDX layout: 2 zero bytes, a dtype code (0x08 = unsigned byte), the number of
    dimensions, then each dimension as a big-endian uint32, then the data.
    """
    redownload = "The file is truncated or corrupt: download it again."
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:  # EOFError: a gzip stream cut short
        raise DatasetError(f"cannot read {path}: {e}. {redownload}") from e

    # slices rather than indexing, so that a file shorter than 4 bytes fails here too
    if data[:2] != b"\0\0" or data[3:4] != bytes([ndim]):
        raise DatasetError(f"{path}: magic number {int.from_bytes(data[:4], 'big'):#010x}, "
                           f"expected {0x0800 | ndim:#010x} (IDX file with {ndim} dimensions); "
                           "is it the right file?")
    if data[2] != 0x08:
        raise DatasetError(f"{path}: IDX dtype code {data[2]:#04x}, expected 0x08 (unsigned byte)")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DatasetError(f"{path}: only {len(data)} bytes, too short for an IDX header. "
                           + redownload)
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = data[header_size:]
    if len(body) != np.prod(shape):
        raise DatasetError(f"{path}: header announces shape {shape}, i.e. {np.prod(shape)} "
                           f"bytes of data, but the file holds {len(body)}. {redownload}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)
