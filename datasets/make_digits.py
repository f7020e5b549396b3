"""Build datasets/digits.npz from scikit-learn's copy of the UCI digits.

NEEDS scikit-learn, which is NOT a dependency of nnlab: nothing imports this
file. It documents how digits.npz was made and lets anyone rebuild it:

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn
    /tmp/skvenv/bin/python datasets/make_digits.py

The output is byte-for-byte reproducible (fixed zip timestamps), so its
sha256 must match the one in datasets/README.md and grader/datasets.py.
"""
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

SEED = 0
TEST_FRACTION = 0.2


def stratified_test_mask(labels, test_fraction, seed):
    """Boolean mask (m,) choosing round(test_fraction * n_c) samples of each class c."""
    # RandomState, unlike Generator, promises the same stream in every numpy version.
    rs = np.random.RandomState(seed)
    is_test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_test = round(test_fraction * len(idx))
        is_test[rs.permutation(idx)[:n_test]] = True
    return is_test


def save_npz_reproducibly(path, **arrays):
    """Like np.savez_compressed, but with fixed zip timestamps so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def main():
    digits = load_digits()
    images = digits.images.astype(np.uint8)  # (1797, 8, 8), values 0..16
    labels = digits.target.astype(np.uint8)  # (1797,), values 0..9
    assert np.array_equal(images, digits.images)  # the float copy holds exact integers

    out = Path(__file__).with_name("digits.npz")
    save_npz_reproducibly(
        out, images=images, labels=labels,
        is_test=stratified_test_mask(labels, TEST_FRACTION, SEED),
    )
    print(out, hashlib.sha256(out.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
