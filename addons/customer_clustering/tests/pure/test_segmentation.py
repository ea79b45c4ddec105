import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from customer_clustering.tools import picture
from customer_clustering.tools import segmentation as seg

COLUMNS = [
    seg.Column("recency_days", "rfm"),
    seg.Column("frequency", "rfm", log=True),
    seg.Column("monetary", "rfm", log=True),
    seg.Column("age", "age", default="median"),
]


def _blobs(n_per=60, seed=0):
    """Three customer types: rich frequent young, mid occasional, cheap lapsing old."""
    rng = np.random.default_rng(seed)
    spec = [(10, 12, 30000, 25), (60, 4, 3000, 40), (300, 1, 200, 60)]
    rows, truth = [], []
    for label, (rec, freq, mon, age) in enumerate(spec):
        for _ in range(n_per):
            rows.append([rec * rng.uniform(0.8, 1.2), max(1, round(freq * rng.uniform(0.8, 1.2))),
                         mon * rng.uniform(0.7, 1.3), age + rng.normal(0, 3)])
            truth.append(label)
    return np.array(rows), np.array(truth)


def _prepare(raw, weights=None):
    n = len(raw)
    values = {c.key: (np.arange(n), raw[:, j]) for j, c in enumerate(COLUMNS)}
    matrix, defaults = seg.build_matrix(n, COLUMNS, values)
    return seg.prepare(matrix, COLUMNS, weights or {}, defaults)


def test_known_clusters_are_recovered_fixed_and_auto_k():
    raw, truth = _blobs()
    prepared = _prepare(raw)
    fixed = seg.cluster(prepared, k=3)
    assert adjusted_rand_score(truth, fixed.labels) >= 0.9
    auto = seg.cluster(prepared, k=None, k_range=(2, 6))
    assert auto.k == 3
    assert set(auto.silhouettes) == {2, 3, 4, 5, 6}
    assert adjusted_rand_score(truth, auto.labels) >= 0.9
    assert not np.isnan(prepared.matrix).any()
    # fixed seed: same input, same answer
    assert (seg.cluster(prepared, k=3).labels == fixed.labels).all()


def test_minibatch_above_threshold():
    raw, truth = _blobs()
    result = seg.cluster(_prepare(raw), k=3, minibatch_threshold=100)
    assert result.algorithm == "minibatch"
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    assert seg.cluster(_prepare(raw), k=3).algorithm == "kmeans"


def test_auto_k_on_a_sample_then_all_rows(monkeypatch):
    raw, truth = _blobs(n_per=100)
    monkeypatch.setattr(seg, "SELECTION_SAMPLE", 120)
    result = seg.cluster(_prepare(raw), k=None, k_range=(2, 5))
    assert result.k == 3
    assert len(result.labels) == 300
    assert adjusted_rand_score(truth, result.labels) >= 0.9


def test_defaults_median_and_no_nan():
    values = {"age": (np.array([0, 2]), np.array([20.0, 40.0])), "monetary": (np.array([1]), np.array([np.nan]))}
    matrix, defaults = seg.build_matrix(3, COLUMNS, values)
    assert defaults == {"recency_days": 0.0, "frequency": 0.0, "monetary": 0.0, "age": 30.0}
    assert matrix[:, 3].tolist() == [20.0, 30.0, 40.0]
    assert not np.isnan(matrix).any()


def test_log_scaling_standardising_and_group_weights():
    raw = np.array([[10, 1, 99, 30], [20, 3, 9999, 30], [30, 7, 999999, 30]], dtype=float)
    prepared = _prepare(raw, {"rfm": 2.0, "age": 0.0})
    # constant column -> 0, no division by zero; weight 0 switches the group's pull off
    assert prepared.matrix[:, 3].tolist() == [0.0, 0.0, 0.0]
    # log1p before standardising: monetary 99 / 9999 / 999999 become equally spaced
    col = prepared.matrix[:, 2]
    assert col[1] - col[0] == pytest.approx(col[2] - col[1], rel=1e-3)
    # rfm has 3 columns at weight 2 -> each column scaled by 2/sqrt(3)
    assert prepared.weights[0] == pytest.approx(2 / np.sqrt(3))
    assert np.std(prepared.matrix[:, 0]) == pytest.approx(2 / np.sqrt(3))


@pytest.mark.parametrize("rows,k,code", [
    ([[1, 1, 1, 30]], 2, "too_few"),
    ([[1, 1, 1, 30]] * 5, 2, "all_alike"),
    ([[1, 1, 1, 30]] * 5 + [[9, 9, 9, 30]] * 5, 3, "k_gt_distinct"),
    ([[1, 1, 1, 30]] * 2, None, "too_few"),
])
def test_bad_data_codes(rows, k, code):
    with pytest.raises(seg.SegmentationError) as error:
        seg.cluster(_prepare(np.array(rows, dtype=float)), k=k)
    assert error.value.code == code


def test_no_feature_columns():
    with pytest.raises(seg.SegmentationError, match="no_features"):
        seg.prepare(np.zeros((3, 0)), [], {})


def test_hungarian_matching_keeps_identity():
    old = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    new = np.array([[0.5, 9.5], [0.2, 0.1], [9.8, 0.3]])
    assert seg.match_segments(old, new) == {0: 2, 1: 0, 2: 1}
    # more new clusters than old: one new cluster stays unmatched
    assert len(seg.match_segments(old[:2], new)) == 2
    assert seg.match_segments(np.zeros((0, 2)), new) == {}


def test_stability_with_five_percent_new_customers():
    raw, _truth = _blobs(n_per=100, seed=1)
    first = seg.cluster(_prepare(raw), k=3)
    extra, _t = _blobs(n_per=5, seed=7)
    prepared2 = _prepare(np.vstack([raw, extra]))
    second = seg.cluster(prepared2, k=3)
    mapping = seg.match_segments(prepared2.transform(first.raw_centers), second.centers)
    kept = np.mean([mapping[int(b)] == int(a) for a, b in zip(first.labels, second.labels[:len(raw)], strict=True)])
    assert kept >= 0.9


def test_top_features_explain_the_assignment():
    raw, _truth = _blobs()
    prepared = _prepare(raw, {"age": 3.0})
    result = seg.cluster(prepared, k=3)
    top = seg.top_features(prepared.matrix, result.labels, result.centers)
    assert top.shape == (len(raw), 3)
    # age is weighted up: it is among the three reasons for most customers
    assert np.mean([3 in row for row in top]) > 0.5


def test_describe_names_a_segment():
    context = {"aov": (500, 2000), "recency": (20, 120), "frequency_median": 2,
               "names": {"brand:7": "Zara", "categ:3": "Dresses"}}
    center = {"avg_order_value": 3000, "frequency": 6, "recency_days": 5, "brand:7": 0.6, "brand:other": 0.1,
              "categ:3": 0.2, "age": 31.4}
    assert seg.describe(center, context) == [
        ("expensive", {}), ("frequent", {}), ("brand", {"name": "Zara"}), ("recent", {}), ("age", {"age": 30}),
    ]
    cheap = {"avg_order_value": 100, "frequency": 1, "recency_days": 300, "categ:3": 0.9}
    assert seg.describe(cheap, context) == [
        ("cheap", {}), ("one_time", {}), ("category", {"name": "Dresses"}), ("lapsing", {}),
    ]


def test_pca_points_and_png():
    raw, _truth = _blobs()
    prepared = _prepare(raw)
    result = seg.cluster(prepared, k=3)
    coords, labels = seg.pca_points(prepared.matrix, result.labels, sample=50)
    assert coords.shape == (50, 2) and len(labels) == 50
    png = picture.scatter_png(coords, [picture.color(label) for label in labels])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
