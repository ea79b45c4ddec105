"""Customer segmentation engine: feature matrix, clustering, segment matching, naming hints, picture data.

Pure Python + numpy / scikit-learn / scipy; no ORM. The model (customer.clustering.run) extracts the raw
features with SQL and hands them over as one column per feature.

Pipeline (documented defaults, never NaN):
  1. raw matrix: one row per customer, one column per feature; a missing value takes the column's
     ``default`` (a number, or ``"median"`` = median of the customers that have a value, 0 when nobody has);
  2. money and count columns (``log=True``) are log1p-scaled (negative values clipped to 0 first);
  3. every column is standardised (mean 0, standard deviation 1; a constant column becomes 0);
  4. every column is multiplied by ``group weight / sqrt(number of columns of its group)``, so that at weight 1
     each feature group pulls as much as any other, whatever its number of columns;
  5. k-means (MiniBatchKMeans above ``minibatch_threshold`` rows), fixed seed; k fixed or the best silhouette
     over a range (candidates fitted on at most ``SELECTION_SAMPLE`` rows, silhouette on at most
     ``SILHOUETTE_SAMPLE`` of them; the chosen k is then fitted on all rows).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

RANDOM_STATE = 42
MINIBATCH_THRESHOLD = 20000
SILHOUETTE_SAMPLE = 5000
SELECTION_SAMPLE = 20000  # rows used to compare the candidate k in "best silhouette" mode
PICTURE_SAMPLE = 3000


class SegmentationError(ValueError):
    """Bad input for a segmentation; ``code`` names the case, ``params`` fill the user's message.

    Codes: ``no_features`` (no column), ``too_few`` (fewer customers than k), ``all_alike`` (one distinct
    profile), ``k_gt_distinct`` (more segments than distinct profiles).
    """

    def __init__(self, code, **params):
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass
class Column:
    """One feature column: ``key`` (e.g. ``"monetary"``, ``"brand:12"``), its ``group``, whether it is
    log-scaled, and the default for a customer without a value (number or ``"median"``)."""

    key: str
    group: str
    log: bool = False
    default: object = 0.0


@dataclass
class Prepared:
    """The weighted, standardised matrix and what is needed to map other raw rows into the same space."""

    columns: list
    raw: np.ndarray  # (n, d) raw values after defaults
    matrix: np.ndarray  # (n, d) weighted standardised values
    defaults: dict  # key -> default actually used
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # per column

    def transform(self, rows):
        """Map raw rows (list of {key: value}) into the weighted space; missing keys take the defaults."""
        raw = np.array([[float(row.get(c.key, self.defaults[c.key])) for c in self.columns] for row in rows],
                       dtype=float).reshape(-1, len(self.columns))
        return self._scale(raw)

    def _scale(self, raw):
        logged = raw.copy()
        for j, column in enumerate(self.columns):
            if column.log:
                logged[:, j] = np.log1p(np.clip(logged[:, j], 0, None))
        return (logged - self.mean) / self.scale * self.weights


@dataclass
class Result:
    k: int
    labels: np.ndarray  # (n,) cluster index 0..k-1
    centers: np.ndarray  # (k, d) in the weighted space
    raw_centers: list  # per cluster: {key: mean raw value}
    sizes: list
    distances: np.ndarray  # (n,) distance of each row to its centre (weighted space)
    inertia: float
    algorithm: str
    silhouettes: dict = field(default_factory=dict)  # k -> silhouette (auto mode, or the fixed k)


def build_matrix(n_rows, columns, values):
    """Dense raw matrix.

    :param n_rows: number of customers
    :param columns: list of Column
    :param values: {key: (row indexes array, values array)} - rows without a value get the default
    :return: (matrix (n, d) float, {key: default used})
    """
    raw = np.zeros((n_rows, len(columns)), dtype=float)
    defaults = {}
    for j, column in enumerate(columns):
        idx, vals = values.get(column.key, (np.empty(0, dtype=int), np.empty(0)))
        idx = np.asarray(idx, dtype=int)
        vals = np.asarray(vals, dtype=float)
        good = np.isfinite(vals)
        idx, vals = idx[good], vals[good]
        if column.default == "median":
            default = float(np.median(vals)) if len(vals) else 0.0
        else:
            default = float(column.default)
        defaults[column.key] = default
        raw[:, j] = default
        raw[idx, j] = vals
    return raw, defaults


def prepare(raw, columns, group_weights, defaults=None):
    """Log-scale, standardise and weight the raw matrix (module docstring, steps 2-4).

    :param group_weights: {group: weight >= 0}; a group missing from the dict weighs 1
    :return: Prepared
    :raises SegmentationError: ``no_features`` when there is no column
    """
    if not columns:
        raise SegmentationError("no_features")
    raw = np.asarray(raw, dtype=float)
    logged = raw.copy()
    for j, column in enumerate(columns):
        if column.log:
            logged[:, j] = np.log1p(np.clip(logged[:, j], 0, None))
    mean = logged.mean(axis=0)
    scale = logged.std(axis=0)
    scale[scale < 1e-12] = 1.0
    group_size = {}
    for column in columns:
        group_size[column.group] = group_size.get(column.group, 0) + 1
    weights = np.array([
        float(group_weights.get(c.group, 1.0)) / math.sqrt(group_size[c.group]) for c in columns
    ])
    matrix = (logged - mean) / scale * weights
    return Prepared(columns=list(columns), raw=raw, matrix=matrix, defaults=dict(defaults or {}),
                    mean=mean, scale=scale, weights=weights)


def _distinct_count(matrix, limit):
    """Number of distinct rows, counting up to ``limit`` only (cheap on big matrices)."""
    rounded = np.round(matrix, 6)
    if len(rounded) > 50000:
        rng = np.random.default_rng(RANDOM_STATE)
        rounded = rounded[rng.choice(len(rounded), 50000, replace=False)]
    return min(len(np.unique(rounded, axis=0)), limit)


def _fit(matrix, k, minibatch_threshold):
    if len(matrix) > minibatch_threshold:
        model = MiniBatchKMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=3, batch_size=4096)
        algorithm = "minibatch"
    else:
        model = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=10)
        algorithm = "kmeans"
    model.fit(matrix)
    return model, algorithm


def _silhouette(matrix, labels):
    if len(set(labels.tolist())) < 2:
        return -1.0
    sample = min(len(matrix), SILHOUETTE_SAMPLE)
    return float(silhouette_score(matrix, labels, sample_size=sample if sample < len(matrix) else None,
                                  random_state=RANDOM_STATE))


def cluster(prepared, k=None, k_range=(2, 8), minibatch_threshold=MINIBATCH_THRESHOLD):
    """Cluster the prepared matrix.

    :param k: fixed number of segments, or None to pick the best silhouette over ``k_range`` (inclusive)
    :return: Result
    :raises SegmentationError: ``too_few``, ``all_alike`` or ``k_gt_distinct``
    """
    matrix = prepared.matrix
    n = len(matrix)
    k_low = k if k else k_range[0]
    if n < max(k_low, 2) or (not k and n < 3):
        raise SegmentationError("too_few", count=n, k=max(k_low, 2 if k else 3))
    distinct = _distinct_count(matrix, max(k or k_range[1], 2) + 1)
    if distinct < 2:
        raise SegmentationError("all_alike", count=n)
    silhouettes = {}
    if k:
        if distinct < k:
            raise SegmentationError("k_gt_distinct", k=k, distinct=distinct)
        model, algorithm = _fit(matrix, k, minibatch_threshold)
        if n > k:
            silhouettes[k] = _silhouette(matrix, model.labels_)
    else:
        k_high = min(k_range[1], distinct, n - 1)
        if k_high < k_range[0]:
            raise SegmentationError("k_gt_distinct", k=k_range[0], distinct=distinct)
        # candidates are compared on a fixed-seed sample (all rows up to SELECTION_SAMPLE), the best k is
        # then fitted on every row
        sample = matrix
        if n > SELECTION_SAMPLE:
            rng = np.random.default_rng(RANDOM_STATE)
            sample = matrix[rng.choice(n, SELECTION_SAMPLE, replace=False)]
        best = None
        for candidate in range(k_range[0], k_high + 1):
            model_c, algorithm_c = _fit(sample, candidate, minibatch_threshold)
            score = _silhouette(sample, model_c.labels_)
            silhouettes[candidate] = score
            if best is None or score > best[0] + 1e-9:
                best = (score, candidate, model_c, algorithm_c)
        _score, k, model, algorithm = best
        if sample is not matrix:
            model, algorithm = _fit(matrix, k, minibatch_threshold)
    labels = np.asarray(model.labels_, dtype=int)
    # centres recomputed as member means (MiniBatch centres drift; empty clusters keep the model's centre)
    centers = np.array(model.cluster_centers_, dtype=float)
    raw_centers, sizes = [], []
    for c in range(k):
        members = labels == c
        sizes.append(int(members.sum()))
        if members.any():
            centers[c] = matrix[members].mean(axis=0)
            means = prepared.raw[members].mean(axis=0)
        else:
            means = np.array([prepared.defaults.get(col.key, 0.0) for col in prepared.columns])
        raw_centers.append({col.key: float(v) for col, v in zip(prepared.columns, means, strict=True)})
    distances = np.linalg.norm(matrix - centers[labels], axis=1)
    inertia = float((distances ** 2).sum())
    return Result(k=k, labels=labels, centers=centers, raw_centers=raw_centers, sizes=sizes,
                  distances=distances, inertia=inertia, algorithm=algorithm, silhouettes=silhouettes)


def match_segments(old_centers, new_centers):
    """Hungarian matching of new cluster centres to the previous run's segments (same weighted space).

    :param old_centers: (m, d) array, previous segments' centres mapped into the new space
    :param new_centers: (k, d) array
    :return: {new index: old index} for min(m, k) pairs minimising the total distance
    """
    old_centers = np.asarray(old_centers, dtype=float)
    new_centers = np.asarray(new_centers, dtype=float)
    if not len(old_centers) or not len(new_centers):
        return {}
    cost = np.linalg.norm(new_centers[:, None, :] - old_centers[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True)}


def top_features(matrix, labels, centers, n_top=3):
    """Per row, the indexes of the ``n_top`` columns that most explain why it sits in its cluster rather than
    in the others: mean over other centres of (x - c_other)^2 - (x - c_own)^2, largest first.

    :return: (n, n_top) int array (fewer columns when there are fewer features)
    """
    k, d = centers.shape
    n_top = min(n_top, d)
    if k < 2:
        return np.zeros((len(matrix), n_top), dtype=int)
    own = (matrix - centers[labels]) ** 2
    total = np.zeros_like(matrix)
    for c in range(k):
        total += (matrix - centers[c]) ** 2
    # sum over all centres includes the own one: remove it, average over the k-1 others
    gain = (total - own) / (k - 1) - own
    return np.argsort(-gain, axis=1)[:, :n_top]


def pca_points(matrix, labels, sample=PICTURE_SAMPLE):
    """2-D PCA of a fixed-seed sample of rows, for the scatter picture.

    :return: (coords (m, 2) array, labels (m,) array)
    """
    n = len(matrix)
    idx = np.arange(n)
    if n > sample:
        idx = np.sort(np.random.default_rng(RANDOM_STATE).choice(n, sample, replace=False))
    data = matrix[idx]
    if data.shape[1] >= 2 and n >= 2:
        coords = PCA(n_components=2, random_state=RANDOM_STATE).fit_transform(data)
    else:
        coords = np.column_stack([data[:, 0] if data.shape[1] else np.zeros(len(idx)), np.zeros(len(idx))])
    return coords, np.asarray(labels)[idx]


def quantile_thresholds(values, low=1 / 3, high=2 / 3):
    """The shop's own band thresholds (tertiles by default); (0, 0) without values."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return 0.0, 0.0
    return float(np.quantile(values, low)), float(np.quantile(values, high))


def band(value, thresholds):
    """``"cheap"`` below the low threshold, ``"expensive"`` above the high one, ``"budget"`` between."""
    low, high = thresholds
    if value < low:
        return "cheap"
    if value > high:
        return "expensive"
    return "budget"


def describe(center, context):
    """Descriptors for a segment name, from its raw centre and shop-wide figures.

    :param center: {key: mean raw value}
    :param context: {"aov": (low, high), "recency": (q33, q67), "frequency_median": float,
                     "names": {key: label}}  ("names" gives brand/category names of share keys)
    :return: list of (term, params) - terms: cheap, budget, expensive, frequent, one_time, regular, recent,
             lapsing, brand (name), category (name), age (age), viewer (name)
    """
    parts = []
    if "avg_order_value" in center:
        parts.append((band(center["avg_order_value"], context["aov"]), {}))
    if "frequency" in center:
        freq = center["frequency"]
        if freq < 1.5:
            parts.append(("one_time", {}))
        elif freq >= max(2.0, 2 * context.get("frequency_median", 1.0)):
            parts.append(("frequent", {}))
        else:
            parts.append(("regular", {}))
    names = context.get("names", {})
    for prefix, term, threshold in (("brand:", "brand", 0.35), ("categ:", "category", 0.4)):
        shares = {k: v for k, v in center.items() if k.startswith(prefix) and not k.endswith(":other")}
        if shares:
            key = max(shares, key=shares.get)
            if shares[key] >= threshold and key in names:
                parts.append((term, {"name": names[key]}))
    if "recency_days" in center and context.get("recency"):
        q33, q67 = context["recency"]
        if center["recency_days"] <= q33:
            parts.append(("recent", {}))
        elif center["recency_days"] >= q67:
            parts.append(("lapsing", {}))
    if "age" in center:
        parts.append(("age", {"age": int(round(center["age"] / 5.0) * 5)}))
    shares = {k: v for k, v in center.items() if k.startswith("view_categ:") and not k.endswith(":other")}
    if shares:
        key = max(shares, key=shares.get)
        bought = [params.get("name") for term, params in parts if term == "category"]
        if shares[key] >= 0.4 and key in names and names[key] not in bought:
            parts.append(("viewer", {"name": names[key]}))
    return parts
