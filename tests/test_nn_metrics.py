"""nn.metrics: confusion matrix, scores per class and averaged, entropy and cross-entropy.

Expected numbers are worked out by hand in the comments; where scikit-learn's documentation
prints the same example, its numbers are quoted (scikit-learn is not a dependency)."""

import warnings

import numpy as np
import pytest
from gradtrace.nn.metrics import (
    accuracy,
    confusion_matrix,
    cross_entropy,
    entropy,
    f1_score,
    precision,
    recall,
    specificity,
)

# The example of scikit-learn's precision_score / recall_score / f1_score documentation.
DOC_TRUE = [0, 1, 2, 0, 1, 2]
DOC_PRED = [0, 2, 1, 0, 0, 1]

# An imbalanced hand example. Confusion matrix (actual rows, predicted columns):
#   [[4, 1, 1],     support 6, weight 0.6
#    [1, 2, 0],     support 3, weight 0.3
#    [0, 0, 1]]     support 1, weight 0.1
# column sums 5, 3, 2; TP 4, 2, 1
IMB_TRUE = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]
IMB_PRED = [0, 0, 0, 0, 1, 2, 1, 1, 0, 2]


@pytest.fixture(autouse=True)
def _no_warnings():
    """Every metric must run without NumPy division warnings leaking."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_has_actual_rows_and_predicted_columns():
    # scikit-learn's confusion_matrix documentation example
    cm = confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    np.testing.assert_array_equal(cm, [[2, 0, 0], [0, 0, 1], [1, 0, 2]])


def test_confusion_matrix_of_the_imbalanced_example():
    np.testing.assert_array_equal(
        confusion_matrix(IMB_TRUE, IMB_PRED), [[4, 1, 1], [1, 2, 0], [0, 0, 1]]
    )


def test_confusion_matrix_takes_num_classes_for_absent_classes():
    cm = confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4) and cm.sum() == 2 and cm[0, 1] == 1 and cm[1, 1] == 1


def test_lecture_template_for_class_b():
    # Lecture 14's 5x5 template, evaluating class B (index 1): (B, B) is TP, the rest of row B
    # is FN, the rest of column B is FP, everything else TN. One sample in every cell:
    # TP = 1, FN = 4, FP = 4, TN = 16, N = 25.
    actual, predicted = np.divmod(np.arange(25), 5)
    assert precision(actual, predicted)[1] == pytest.approx(1 / 5)  # TP / (TP + FP)
    assert recall(actual, predicted)[1] == pytest.approx(1 / 5)  # TP / (TP + FN)
    assert specificity(actual, predicted)[1] == pytest.approx(16 / 20)  # TN / (TN + FP)
    assert accuracy(actual, predicted, average=None)[1] == pytest.approx(17 / 25)
    assert accuracy(actual, predicted) == pytest.approx(5 / 25)


# ---------------------------------------------------------------------- scores, documented example
def test_precision_matches_the_scikit_learn_documentation_example():
    # sklearn docs: None -> [0.66..., 0., 0.], macro 0.22..., weighted 0.22..., micro 0.33...
    np.testing.assert_allclose(precision(DOC_TRUE, DOC_PRED), [2 / 3, 0.0, 0.0])
    assert precision(DOC_TRUE, DOC_PRED, average="macro") == pytest.approx(2 / 9)
    assert precision(DOC_TRUE, DOC_PRED, average="weighted") == pytest.approx(2 / 9)
    assert precision(DOC_TRUE, DOC_PRED, average="micro") == pytest.approx(1 / 3)


def test_recall_matches_the_scikit_learn_documentation_example():
    # sklearn docs: None -> [1., 0., 0.], macro 0.33..., weighted 0.33..., micro 0.33...
    np.testing.assert_allclose(recall(DOC_TRUE, DOC_PRED), [1.0, 0.0, 0.0])
    assert recall(DOC_TRUE, DOC_PRED, average="macro") == pytest.approx(1 / 3)
    assert recall(DOC_TRUE, DOC_PRED, average="weighted") == pytest.approx(1 / 3)


def test_f1_matches_the_scikit_learn_documentation_example():
    # sklearn docs: None -> [0.8, 0., 0.], macro 0.26..., weighted 0.26..., micro 0.33...
    np.testing.assert_allclose(f1_score(DOC_TRUE, DOC_PRED), [0.8, 0.0, 0.0])
    assert f1_score(DOC_TRUE, DOC_PRED, average="macro") == pytest.approx(0.8 / 3)
    assert f1_score(DOC_TRUE, DOC_PRED, average="weighted") == pytest.approx(0.8 / 3)
    assert f1_score(DOC_TRUE, DOC_PRED, average="micro") == pytest.approx(1 / 3)


def test_specificity_of_the_documentation_example():
    # by hand: each class has 4 negatives; false positives 1, 2, 1 -> TN 3, 2, 3
    np.testing.assert_allclose(specificity(DOC_TRUE, DOC_PRED), [0.75, 0.5, 0.75])


# ---------------------------------------------------------------------- weighted means (the notes)
def test_per_class_scores_of_the_imbalanced_example():
    np.testing.assert_allclose(precision(IMB_TRUE, IMB_PRED), [4 / 5, 2 / 3, 1 / 2])
    np.testing.assert_allclose(recall(IMB_TRUE, IMB_PRED), [4 / 6, 2 / 3, 1 / 1])
    # F1 = 2PR/(P+R): 8/11, 2/3, 2/3
    np.testing.assert_allclose(f1_score(IMB_TRUE, IMB_PRED), [8 / 11, 2 / 3, 2 / 3])
    # negatives 4, 7, 9; false positives 1, 1, 1
    np.testing.assert_allclose(specificity(IMB_TRUE, IMB_PRED), [3 / 4, 6 / 7, 8 / 9])


def test_weighted_average_uses_class_support_fractions():
    # the notes' <P> = sum_i w_i P_i, w = (0.6, 0.3, 0.1): 0.48 + 0.2 + 0.05
    assert precision(IMB_TRUE, IMB_PRED, average="weighted") == pytest.approx(0.73)
    # 0.6 * 2/3 + 0.3 * 2/3 + 0.1 * 1 = 0.7, which is always the accuracy (7 / 10)
    assert recall(IMB_TRUE, IMB_PRED, average="weighted") == pytest.approx(0.7)
    assert accuracy(IMB_TRUE, IMB_PRED) == pytest.approx(0.7)
    # 0.6 * 8/11 + 0.3 * 2/3 + 0.1 * 2/3
    assert f1_score(IMB_TRUE, IMB_PRED, average="weighted") == pytest.approx(0.703030303)


def test_macro_average_is_the_plain_mean():
    assert precision(IMB_TRUE, IMB_PRED, average="macro") == pytest.approx((0.8 + 2 / 3 + 0.5) / 3)
    assert f1_score(IMB_TRUE, IMB_PRED, average="macro") == pytest.approx(0.686868687)


def test_accuracy_is_the_sum_over_classes_of_the_notes_formula():
    # the notes: A = TP / (TP + TN + FP + FN); summed over classes, sum TP_i / N
    tp = np.diag(confusion_matrix(IMB_TRUE, IMB_PRED))
    assert accuracy(IMB_TRUE, IMB_PRED) == pytest.approx(tp.sum() / len(IMB_TRUE))


def test_micro_scores_equal_accuracy_for_single_label_data():
    acc = accuracy(IMB_TRUE, IMB_PRED)
    for score in (precision, recall, f1_score):
        assert score(IMB_TRUE, IMB_PRED, average="micro") == pytest.approx(acc)


# ---------------------------------------------------------------------- zero division
def test_a_class_never_predicted_scores_zero_precision_without_warnings():
    # class 1 is present but never predicted; class 2 never occurs at all (num_classes=3)
    p = precision([0, 0, 1, 1], [0, 0, 0, 0], num_classes=3)
    np.testing.assert_allclose(p, [0.5, 0.0, 0.0])
    np.testing.assert_allclose(recall([0, 0, 1, 1], [0, 0, 0, 0], num_classes=3), [1, 0, 0])
    np.testing.assert_allclose(f1_score([0, 0, 1, 1], [0, 0, 0, 0], num_classes=3), [2 / 3, 0, 0])


def test_macro_average_skips_classes_absent_from_both_arrays():
    # as scikit-learn's default labels: only classes 0 and 1 occur, (0.5 + 0) / 2
    assert precision([0, 0, 1, 1], [0, 0, 0, 0], "macro", num_classes=3) == pytest.approx(0.25)


def test_specificity_is_zero_when_there_are_no_negatives():
    np.testing.assert_allclose(specificity([0, 0], [0, 0]), [0.0])


def test_empty_input_gives_zero_scores():
    assert accuracy([], []) == 0.0
    assert precision([], [], average="weighted") == 0.0
    assert precision([], [], average="macro") == 0.0


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, name",
    [
        ([0, 1, 1], [0, 1], {}, "y_pred"),
        ([0, -1], [0, 1], {}, "y_true"),
        ([0, 1], [0, -2], {}, "y_pred"),
        ([0, 1], [0, 3], {"num_classes": 3}, "y_pred"),
        ([0.5, 1], [0, 1], {}, "y_true"),
        ([[0, 1]], [[0, 1]], {}, "y_true"),
        ([0, 1], [0, 1], {"num_classes": 0}, "num_classes"),
        ([0, 1], [0, 1], {"average": "mean"}, "average"),
    ],
)
def test_bad_labels_raise_value_error_naming_the_argument(y_true, y_pred, kwargs, name):
    with pytest.raises(ValueError, match=name):
        precision(y_true, y_pred, **kwargs)


def test_confusion_matrix_error_names_both_lengths():
    with pytest.raises(ValueError, match="3.*2|2.*3"):
        confusion_matrix([0, 1, 1], [0, 1])


# ---------------------------------------------------------------------- entropy (lecture 13)
CRICKET = [0.5, 0.25, 0.125, 0.125]  # Sachin, Bradman, Kapil, Warne


def test_entropy_of_the_cricketers_is_1_75_bits():
    # lecture 13: the code 0, 10, 110, 111 needs 1.75 bits per name on average
    assert entropy(CRICKET) == pytest.approx(1.75)


def test_entropy_is_positive_although_the_notes_drop_the_minus_sign():
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy([1.0, 0.0, 0.0, 0.0]) == 0.0  # no uncertainty (the notes)
    assert entropy([0.25] * 4) == pytest.approx(2.0)  # maximum uncertainty (the notes)


def test_entropy_in_nats():
    assert entropy([0.5, 0.5], base=np.e) == pytest.approx(np.log(2))


def test_cross_entropy_of_the_australian_friend_is_2_625_bits():
    # lecture 13: the friend talks with p = reversed distribution, using the code built for
    # q = CRICKET (lengths 1, 2, 3, 3): 0.125*1 + 0.125*2 + 0.25*3 + 0.5*3 = 2.625
    assert cross_entropy(CRICKET[::-1], CRICKET) == pytest.approx(2.625)


def test_cross_entropy_of_the_two_name_example_is_0_8540_bits():
    # lecture 13: CE = -(0.2 log2 0.4 + 0.8 log2 0.6)
    assert cross_entropy([0.2, 0.8], [0.4, 0.6]) == pytest.approx(0.8540, abs=5e-5)


def test_cross_entropy_argument_order_is_true_then_assumed():
    # H(p, q) = -sum p log q is not symmetric: -(0.4 log2 0.2 + 0.6 log2 0.8) = 1.1219
    assert cross_entropy([0.4, 0.6], [0.2, 0.8]) == pytest.approx(1.121928, abs=1e-6)


def test_cross_entropy_is_at_least_the_entropy():
    assert cross_entropy(CRICKET, CRICKET) == pytest.approx(entropy(CRICKET))
    assert cross_entropy(CRICKET[::-1], CRICKET) > entropy(CRICKET[::-1])


def test_cross_entropy_is_infinite_where_q_rules_out_a_possible_symbol():
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == float("inf")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: entropy([0.5, 0.6]), "p"),
        (lambda: entropy([1.5, -0.5]), "p"),
        (lambda: entropy([[0.5, 0.5]]), "p"),
        (lambda: entropy([0.5, 0.5], base=1), "base"),
        (lambda: cross_entropy([0.5, 0.5], [0.2, 0.2, 0.6]), "q"),
        (lambda: cross_entropy([0.5, 0.5], [0.2, 0.2]), "q"),
    ],
)
def test_bad_distributions_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("bad", [[0.5, 1.0], [0, -1], [[0, 1]]])
def test_class_labels_are_checked_in_one_place_for_data_and_metrics(bad):
    from gradtrace.nn.data import one_hot

    with pytest.raises(ValueError) as from_metrics:
        precision(bad, bad)
    with pytest.raises(ValueError) as from_data:
        one_hot(bad)
    assert str(from_metrics.value).replace("y_true", "y") == str(from_data.value)


def test_num_classes_is_checked_like_every_other_size():
    # before: "num_classes: expected an int", unlike every layer and data set
    with pytest.raises(ValueError, match="num_classes must be a positive int, got True"):
        precision([0, 1], [0, 1], num_classes=True)
