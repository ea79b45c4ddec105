import pytest

from customer_clustering.tools import kmeans


def _customers():
    vip = [(5 + i % 3, 20 + i % 5, 50000 + 100 * i) for i in range(10)]
    regular = [(40 + i % 7, 4 + i % 3, 3000 + 50 * i) for i in range(30)]
    lost = [(400 + i, 1, 300 + i) for i in range(20)]
    return vip + regular + lost


def test_segments_are_ranked_by_value_and_stable():
    rows = _customers()
    result = kmeans.segment(rows, 3)
    assert result.sizes == [10, 30, 20]
    assert result.labels[:10] == [0] * 10
    assert result.labels[-20:] == [2] * 20
    assert result.centers[0]["monetary"] > result.centers[1]["monetary"] > result.centers[2]["monetary"]
    assert kmeans.segment(rows, 3).labels == result.labels


def test_log_scaling_of_frequency_and_monetary():
    matrix = kmeans.rfm_matrix([(10, 0, 0), (0, 1, 99)])
    assert matrix[0].tolist() == [10, 0, 0]
    assert matrix[1, 2] == pytest.approx(4.60517, rel=1e-4)


@pytest.mark.parametrize("rows,k", [([(1, 1, 1)], 2), (_customers(), 1)])
def test_bad_input(rows, k):
    with pytest.raises(ValueError):
        kmeans.segment(rows, k)


def test_negative_values_rejected():
    with pytest.raises(ValueError):
        kmeans.rfm_matrix([(1, -1, 5)])


def test_identical_customers_cannot_form_more_segments():
    rows = [(10, 1, 100)] * 5 + [(20, 2, 200)] * 5
    assert kmeans.segment(rows, 2).sizes == [5, 5]
    with pytest.raises(ValueError, match="distinct"):
        kmeans.segment(rows, 3)
