import gzip
import hashlib
import shutil

import numpy as np
import pytest

from grader.datasets import (
    DIGITS_FILE, DIGITS_SHA256, DatasetError, DEFAULT_DATA_DIR,
    load_digits, load_mnist, make_blobs, make_spiral, make_xor,
)


# ---------------------------------------------------------------- digits

def test_digits_file_matches_checksum():
    data = (DEFAULT_DATA_DIR / DIGITS_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGITS_SHA256


@pytest.mark.parametrize("split, m", [("train", 1438), ("test", 359), ("all", 1797)])
def test_digits_shapes_dtypes_ranges(split, m):
    X, y = load_digits(split)
    assert X.shape == (m, 64) and X.dtype == np.float64
    assert y.shape == (m,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(y.tolist()) == set(range(10))


def test_digits_unscaled_pixels_are_integers_0_to_16():
    X, _ = load_digits("all", scale=False)
    assert X.max() == 16.0 and np.array_equal(X, np.round(X))
    assert np.array_equal(X / 16.0, load_digits("all")[0])


def test_digits_split_is_a_stratified_partition():
    X_all, y_all = load_digits("all")
    _, y_train = load_digits("train")
    _, y_test = load_digits("test")
    assert len(y_train) + len(y_test) == len(y_all)
    assert np.array_equal(np.bincount(y_train) + np.bincount(y_test), np.bincount(y_all))
    test_share = np.bincount(y_test) / np.bincount(y_all)
    assert np.all(np.abs(test_share - 0.2) < 0.01)
    # train and test together hold exactly the images of "all", in another order
    X_both = np.concatenate([load_digits("train")[0], load_digits("test")[0]])
    assert _sorted_rows(X_both) == _sorted_rows(X_all)


def _sorted_rows(X):
    return sorted(map(tuple, X.tolist()))


def test_digits_first_image_is_a_zero():
    # the first sample of the UCI/scikit-learn digits is the well-known round "0"
    X, y = load_digits("all", scale=False)
    assert y[0] == 0
    assert X[0].reshape(8, 8)[0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_classes_filter_keeps_digit_values():
    X, y = load_digits("train", classes=(0, 1))
    assert set(y.tolist()) == {0, 1} and len(y) == 288 and X.shape == (288, 64)
    assert len(load_digits("test", classes=(0, 1))[1]) == 72
    _, y = load_digits("test", classes=[3, 8])
    assert set(y.tolist()) == {3, 8}


def test_digits_results_are_fresh_copies():
    X, y = load_digits("train")
    X[:] = -1.0
    y[:] = -1
    X2, y2 = load_digits("train")
    assert X2.min() == 0.0 and y2.min() == 0


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        load_digits("validation")
    with pytest.raises(ValueError, match="classes"):
        load_digits(classes=(0, 10))


def test_digits_missing_file_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_digits(data_dir=tmp_path)
    assert str(tmp_path / DIGITS_FILE) in str(info.value)
    assert "git checkout" in str(info.value)


def test_digits_corrupt_file_reports_both_checksums(tmp_path, monkeypatch):
    data = bytearray((DEFAULT_DATA_DIR / DIGITS_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / DIGITS_FILE).write_bytes(data)
    monkeypatch.setenv("NNLAB_DATASETS", str(tmp_path))
    with pytest.raises(DatasetError) as info:
        load_digits()
    message = str(info.value)
    assert str(tmp_path / DIGITS_FILE) in message
    assert DIGITS_SHA256 in message and hashlib.sha256(data).hexdigest() in message


def test_digits_env_var_points_at_another_folder(tmp_path, monkeypatch):
    shutil.copy(DEFAULT_DATA_DIR / DIGITS_FILE, tmp_path)
    monkeypatch.setenv("NNLAB_DATASETS", str(tmp_path))
    X, y = load_digits("test")
    assert np.array_equal(X, load_digits("test", data_dir=DEFAULT_DATA_DIR)[0])


# ---------------------------------------------------------------- make_blobs
# Expected values were produced once with scikit-learn 1.9.1 (numpy 2.4.6):
#   from sklearn.datasets import make_blobs; X, y = make_blobs(...)

def _digest(X, y):
    return hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()


def _check_blobs(X, y, X_expected, y_expected):
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.tolist() == X_expected  # exact: float repr round-trips
    assert y.tolist() == y_expected


def test_make_blobs_course_notes_call():
    X, y = make_blobs(n_samples=100, centers=[[-5, 2], [-2, -2], [1, 2], [5, -2]],
                      cluster_std=1.0, random_state=30)
    assert X.shape == (100, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert X[:3].tolist() == [[4.333482691632798, -1.994573777862195],
                              [4.096217141740269, -2.3120023332943265],
                              [4.503319959376028, -2.1903658485143933]]
    assert y.tolist()[:10] == [3, 3, 3, 0, 3, 3, 3, 3, 2, 0]
    assert _digest(X, y) == "4e6ecf72f69c9536045d42e6997ced3017e389bb2b18374cb790af6bccacb2dc"


def test_make_blobs_int_centers_and_n_features():
    X, y = make_blobs(n_samples=7, n_features=3, centers=2, random_state=0)
    _check_blobs(X, y, [
        [1.7373078036934886, 4.425462343941218, 2.4991307541783034],
        [1.309944405920762, 5.797866400605996, 1.850109257667077],
        [1.5512822553782974, -0.6624678143623997, 2.175717240926681],
        [1.3868685804848675, 4.447830898609268, 3.5095410283958532],
        [1.2107313615888382, -2.38099975252363, 0.3648924454990441],
        [1.9263584960720843, 4.152430119150692, 1.95204866963932],
        [3.1674182839255445, -2.98126968782067, 2.9636407786345687],
    ], [0, 0, 1, 0, 1, 0, 1])


def test_make_blobs_n_samples_list_and_per_centre_std():
    X, y = make_blobs(n_samples=[2, 3, 1], cluster_std=[0.5, 1.0, 2.0], random_state=1)
    _check_blobs(X, y, [
        [-8.25290073943662, -4.714555448258308],
        [-1.9236457820802473, 3.8700055577650763],
        [-9.678673407596003, -4.2027189228406145],
        [-8.535604566608127, -6.013489256860859],
        [-1.2268560912861803, 3.2557205204030204],
        [-7.709716591684754, -8.921336813960876],
    ], [1, 0, 1, 1, 0, 2])


def test_make_blobs_without_shuffle_groups_by_class():
    X, y = make_blobs(n_samples=5, centers=[[0, 0], [10, 10]], cluster_std=0.1,
                      shuffle=False, random_state=np.random.RandomState(42))
    _check_blobs(X, y, [
        [0.04967141530112327, -0.013826430117118467],
        [0.06476885381006925, 0.15230298564080255],
        [-0.023415337472333597, -0.023413695694918055],
        [10.157921281550738, 10.076743472915291],
        [9.953052561406505, 10.054256004358596],
    ], [0, 0, 0, 1, 1])


def test_make_blobs_center_box_and_uneven_split():
    X, y = make_blobs(n_samples=10, centers=3, center_box=(0.0, 1.0), random_state=2)
    assert np.bincount(y).tolist() == [4, 3, 3]
    assert _digest(X, y) == "c24c3d580e24f66da9bc7920710af8d95e70013d8ef49b9dd5b26c878f78fc2d"


def test_make_blobs_rejects_inconsistent_lengths():
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(centers=3, cluster_std=[1.0, 2.0], random_state=0)
    with pytest.raises(ValueError, match="n_samples"):
        make_blobs(n_samples=[5, 5], centers=[[0, 0], [1, 1], [2, 2]], random_state=0)


# ---------------------------------------------------------------- spiral and XOR

def _linear_accuracy(X, y):
    """Training accuracy of the least-squares linear classifier (one-hot targets)."""
    A = np.column_stack([X, np.ones(len(X))])
    W = np.linalg.lstsq(A, np.eye(y.max() + 1)[y], rcond=None)[0]
    return np.mean(np.argmax(A @ W, axis=1) == y)


@pytest.mark.parametrize("make, kwargs, m", [
    (make_spiral, dict(n_per_class=50, n_classes=4), 200),
    (make_spiral, {}, 300),
    (make_xor, dict(n_samples=101), 101),
    (make_xor, {}, 200),
])
def test_toy_problems_shapes_and_dtypes(make, kwargs, m):
    X, y = make(**kwargs)
    assert X.shape == (m, 2) and X.dtype == np.float64
    assert y.shape == (m,) and y.dtype == np.int64


@pytest.mark.parametrize("make", [make_spiral, make_xor])
def test_toy_problems_are_deterministic_and_leave_global_state_alone(make):
    state = np.random.get_state()[1].copy()
    X0, y0 = make()
    assert np.array_equal(X0, make(rng=0)[0])
    assert np.array_equal(X0, make(rng=np.random.default_rng(0))[0])
    assert not np.array_equal(X0, make(rng=1)[0])
    assert np.array_equal(y0, make(rng=1)[1])
    assert np.array_equal(state, np.random.get_state()[1])


def test_spiral_classes_are_balanced_and_in_unit_disc():
    X, y = make_spiral(n_per_class=40, n_classes=3)
    assert np.bincount(y).tolist() == [40, 40, 40]
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)


def test_xor_labels_are_xor_of_signs():
    X, y = make_xor(noise=0.1)
    assert np.array_equal(y, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64))
    assert np.bincount(y).tolist() == [100, 100]


@pytest.mark.parametrize("make", [make_spiral, make_xor])
def test_toy_problems_defeat_a_linear_model(make):
    assert _linear_accuracy(*make()) < 0.6


# ---------------------------------------------------------------- MNIST

def _idx_bytes(array, magic=None, dtype_code=0x08):
    header = bytes([0, 0, dtype_code, array.ndim]) if magic is None else magic.to_bytes(4, "big")
    dims = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + dims + array.astype(np.uint8).tobytes()


def _write_mnist(folder, prefix, m=5, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(m, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=m, dtype=np.uint8)
    for name, array in [("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)]:
        path = folder / f"{prefix}-{name}"
        data = _idx_bytes(array)
        if gz:
            path = path.with_name(path.name + ".gz")
            data = gzip.compress(data)
        path.write_bytes(data)
    return images, labels


@pytest.mark.parametrize("kind, prefix, gz", [
    ("train", "train", False), ("train", "train", True),
    ("test", "t10k", False), ("t10k", "t10k", True),
])
def test_mnist_reads_plain_and_gzipped_idx(tmp_path, kind, prefix, gz):
    images, labels = _write_mnist(tmp_path, prefix, m=5, gz=gz)
    X, y = load_mnist(tmp_path, kind=kind)
    assert X.shape == (5, 784) and X.dtype == np.float64
    assert y.shape == (5,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X, images.reshape(5, 784) / 255.0)
    np.testing.assert_array_equal(y, labels)


def test_mnist_missing_files(tmp_path):
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, kind="validation")


def _corrupt(tmp_path, name, data):
    _write_mnist(tmp_path, "train")
    (tmp_path / name).write_bytes(data)
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path)
    assert str(tmp_path / name) in str(info.value)
    return str(info.value)


def test_mnist_truncated_images(tmp_path):
    good = _idx_bytes(np.zeros((5, 28, 28)))
    assert "download it again" in _corrupt(tmp_path, "train-images-idx3-ubyte", good[:-10])
    assert "header" in _corrupt(tmp_path, "train-images-idx3-ubyte", good[:6])


def test_mnist_wrong_magic_number(tmp_path):
    # a labels file where the images file should be
    message = _corrupt(tmp_path, "train-images-idx3-ubyte", _idx_bytes(np.zeros(5)))
    assert "0x00000801" in message and "0x00000803" in message


def test_mnist_wrong_dtype_code(tmp_path):
    data = _idx_bytes(np.zeros((5, 28, 28)), dtype_code=0x0D)
    assert "0x0d" in _corrupt(tmp_path, "train-images-idx3-ubyte", data)


def test_mnist_wrong_image_size(tmp_path):
    assert "28x28" in _corrupt(tmp_path, "train-images-idx3-ubyte", _idx_bytes(np.zeros((5, 8, 8))))


def test_mnist_label_count_mismatch(tmp_path):
    assert "do not belong" in _corrupt(tmp_path, "train-labels-idx1-ubyte", _idx_bytes(np.zeros(4)))


def test_mnist_labels_out_of_range(tmp_path):
    assert "label 12" in _corrupt(tmp_path, "train-labels-idx1-ubyte", _idx_bytes(np.full(5, 12)))


def test_mnist_truncated_gzip(tmp_path):
    _write_mnist(tmp_path, "t10k", gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist(tmp_path, kind="test")
