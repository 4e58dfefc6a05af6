"""Training parameters: sent with ``train.trigger`` and read back on the model."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import NO_EXTRA, OpenEnum, extra_field, wire_name

__all__ = ["LrScheduler", "TrainingParameters", "current_parameter_name"]


class LrScheduler(OpenEnum):
    CONSTANT = "constant"
    CONSTANT_WITH_WARMUP = "constant-with-warmup"
    COSINE = "cosine"
    COSINE_WITH_RESTARTS = "cosine-with-restarts"
    LINEAR = "linear"
    POLYNOMIAL = "polynomial"


#: Old Python names of parameters -> their current names. ``num_unet_train_steps`` was this
#: SDK's own spelling; the published client's ``num_u_net_train_steps`` is the one that stays.
_RENAMED = {"num_unet_train_steps": "num_u_net_train_steps"}


def current_parameter_name(name: str, *, stacklevel: int) -> str:
    """The current name of a training parameter given by an old one, with a
    ``DeprecationWarning`` (``stacklevel`` as for ``warnings.warn``, counted from here, so
    that it names the user's line); any other name as it is."""
    current = _RENAMED.get(name)
    if current is None:
        return name
    warnings.warn(
        f"the training parameter {name!r} is now {current!r}; the old name will be removed",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return current


@frozen(kw_only=True, init=False)
class TrainingParameters:
    """Every field is optional; ``None`` fields are not sent. Counts, sizes and the seed are
    JSON numbers: whole ones are ``int``.

    ``extra`` carries keys this version does not know; they are sent as they are, so
    write new keys in the API's camelCase. ``num_unet_train_steps`` is accepted, with a
    ``DeprecationWarning``, for ``num_u_net_train_steps``.
    """

    age: str | None = None
    batch_size: float | None = None
    class_prompt: str | None = None
    clone_type: str | None = None
    concept_prompt: str | None = None
    gender: str | None = None
    language: str | None = None
    learning_rate: float | None = None
    learning_rate_text_encoder: float | None = None
    learning_rate_unet: float | None = None
    lr_scheduler: LrScheduler | str | None = None
    max_train_steps: float | None = None
    nb_epochs: float | None = None
    nb_repeats: float | None = None
    num_text_train_steps: float | None = None
    num_u_net_train_steps: float | None = wire_name("numUNetTrainSteps")
    #: ``"likeness"`` is the one value published.
    optimize_for: str | None = None
    prior_loss_weight: float | None = None
    random_crop: bool | None = None
    random_crop_ratio: float | None = None
    random_crop_scale: float | None = None
    rank: float | None = None
    remove_background_noise: bool | None = None
    sample_prompts: list[str] | None = None
    sample_source_images: list[str] | None = None
    scale_lr: bool | None = None
    seed: float | None = None
    text_encoder_training_ratio: float | None = None
    validation_frequency: float | None = None
    validation_prompt: str | None = None
    voice_description: str | None = None
    wandb_key: str | None = None
    extra: Mapping[str, Any] = extra_field()

    # Written out, not generated, so that type checkers see the deprecated keyword too; a
    # test checks that it names every field. Structuring an answer does not run it.
    def __init__(
        self,
        *,
        age: str | None = None,
        batch_size: float | None = None,
        class_prompt: str | None = None,
        clone_type: str | None = None,
        concept_prompt: str | None = None,
        gender: str | None = None,
        language: str | None = None,
        learning_rate: float | None = None,
        learning_rate_text_encoder: float | None = None,
        learning_rate_unet: float | None = None,
        lr_scheduler: LrScheduler | str | None = None,
        max_train_steps: float | None = None,
        nb_epochs: float | None = None,
        nb_repeats: float | None = None,
        num_text_train_steps: float | None = None,
        num_u_net_train_steps: float | None = None,
        optimize_for: str | None = None,
        prior_loss_weight: float | None = None,
        random_crop: bool | None = None,
        random_crop_ratio: float | None = None,
        random_crop_scale: float | None = None,
        rank: float | None = None,
        remove_background_noise: bool | None = None,
        sample_prompts: list[str] | None = None,
        sample_source_images: list[str] | None = None,
        scale_lr: bool | None = None,
        seed: float | None = None,
        text_encoder_training_ratio: float | None = None,
        validation_frequency: float | None = None,
        validation_prompt: str | None = None,
        voice_description: str | None = None,
        wandb_key: str | None = None,
        extra: Mapping[str, Any] = NO_EXTRA,
        num_unet_train_steps: float | None = None,
    ) -> None:
        values = dict(locals())  # every parameter by name, as __attrs_init__ takes them
        del values["self"], values["num_unet_train_steps"]
        if num_unet_train_steps is not None:
            if num_u_net_train_steps is not None:
                raise TypeError(
                    "give num_u_net_train_steps only: num_unet_train_steps is its old name"
                )
            current_parameter_name("num_unet_train_steps", stacklevel=3)
            values["num_u_net_train_steps"] = num_unet_train_steps
        self.__attrs_init__(**values)

    @property
    def num_unet_train_steps(self) -> float | None:
        """Deprecated: ``num_u_net_train_steps``."""
        current_parameter_name("num_unet_train_steps", stacklevel=3)
        return self.num_u_net_train_steps
