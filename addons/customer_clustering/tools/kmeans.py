"""RFM features and k-means segmentation. Pure Python + numpy/scikit-learn, no ORM."""

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

RANDOM_STATE = 42
FEATURES = ("recency_days", "frequency", "monetary")


@dataclass
class Segmentation:
    labels: list  # cluster index per input row, ordered by segment rank (0 = best customers)
    centers: list  # per cluster: dict feature -> mean value in original units
    sizes: list  # per cluster: number of rows
    inertia: float


def rfm_matrix(rows):
    """Build the feature matrix.

    :param rows: iterable of (recency_days, frequency, monetary) numbers
    :return: numpy array (n, 3) with log1p of frequency and monetary
    :raises ValueError: on negative or non-finite values
    """
    data = np.asarray(list(rows), dtype=float).reshape(-1, 3)
    if not np.all(np.isfinite(data)) or (data < 0).any():
        raise ValueError("RFM features must be finite and non-negative")
    out = data.copy()
    out[:, 1] = np.log1p(out[:, 1])
    out[:, 2] = np.log1p(out[:, 2])
    return out


def segment(rows, n_clusters):
    """Cluster customers by RFM features.

    Clusters are renumbered so that 0 is the most valuable segment (highest mean
    monetary value), which keeps segment names stable between runs.

    :param rows: list of (recency_days, frequency, monetary)
    :param n_clusters: number of segments, 2 <= n_clusters <= len(rows)
    :return: Segmentation
    :raises ValueError: when there are fewer rows (or distinct rows) than clusters
    """
    raw = np.asarray(list(rows), dtype=float).reshape(-1, 3)
    if n_clusters < 2:
        raise ValueError("At least 2 segments are needed")
    if len(raw) < n_clusters:
        raise ValueError("Fewer customers than segments")
    features = StandardScaler().fit_transform(rfm_matrix(raw))
    if len(np.unique(features, axis=0)) < n_clusters:
        raise ValueError("Fewer distinct customer profiles than segments")
    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=RANDOM_STATE).fit(features)
    order = sorted(range(n_clusters), key=lambda c: -raw[model.labels_ == c, 2].mean())
    rank = {old: new for new, old in enumerate(order)}
    labels = [rank[int(label)] for label in model.labels_]
    centers, sizes = [], []
    for old in order:
        members = raw[model.labels_ == old]
        sizes.append(int(len(members)))
        centers.append({name: float(members[:, i].mean()) for i, name in enumerate(FEATURES)})
    return Segmentation(labels=labels, centers=centers, sizes=sizes, inertia=float(model.inertia_))
