"""Names of the layers the network builder creates, per branch head key ("v", "a", ...).

The builder names every layer it wires; pruning and the feature model find the layers of a
trained (or loaded) model by these names. Spelled once, here.
"""

from __future__ import annotations

FUSION = "fusion"


def resnet(head: str) -> str:
    """The ResNet-18 model inside a branch's extractor (what pretrained weights load into)."""
    return f"{head}_resnet18"


def extractor(head: str) -> str:
    """F_m applied over time: the MaskedTimeDistributed layer."""
    return f"{head}_extractor"


def aggregator(head: str) -> str:
    """A_m, whose output is f_m (eq. 1)."""
    return f"{head}_aggregator"


def feature_norm(head: str) -> str:
    """FeatureNorm giving f-hat_m (eqs. 7-9)."""
    return f"{head}_feature_norm"


def residual_perceptron(head: str) -> str:
    """ResPerceptron giving f'_m (eqs. 6, 9)."""
    return f"{head}_residual_perceptron"


def dropout(head: str) -> str:
    """Dropout before a branch's side head (N1, N2) or its Scoring (single-modality)."""
    return f"{head}_dropout"


def side_head(head: str) -> str:
    """DenseUnit side head s_m = DenseUnit(f-hat_m) of N1, N2 (eqs. 8-9)."""
    return f"{head}_side_head"


def scoring(head: str) -> str:
    """Scoring of a single-modality baseline (AM, VM): s_m = Scoring(f-hat_m) (eq. 3)."""
    return f"{head}_scoring"


def head_of_extractor(name: str) -> str | None:
    """The head key of an extractor layer name, or None if `name` is not one."""
    suffix = extractor("")
    return name[: -len(suffix)] if name.endswith(suffix) and len(name) > len(suffix) else None
