"""Training parameters: sent with ``train.trigger`` and read back on the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name

__all__ = ["LrScheduler", "TrainingParameters"]


class LrScheduler(OpenEnum):
    CONSTANT = "constant"
    CONSTANT_WITH_WARMUP = "constant-with-warmup"
    COSINE = "cosine"
    COSINE_WITH_RESTARTS = "cosine-with-restarts"
    LINEAR = "linear"
    POLYNOMIAL = "polynomial"


@frozen(kw_only=True)
class TrainingParameters:
    """Every field is optional; ``None`` fields are not sent.

    ``extra`` carries keys this version does not know; they are sent as they are, so
    write new keys in the API's camelCase.
    """

    age: str | None = None
    batch_size: int | None = None
    class_prompt: str | None = None
    clone_type: str | None = None
    concept_prompt: str | None = None
    gender: str | None = None
    language: str | None = None
    learning_rate: float | None = None
    learning_rate_text_encoder: float | None = None
    learning_rate_unet: float | None = None
    lr_scheduler: LrScheduler | str | None = None
    max_train_steps: int | None = None
    nb_epochs: int | None = None
    nb_repeats: int | None = None
    num_text_train_steps: int | None = None
    num_unet_train_steps: int | None = wire_name("numUNetTrainSteps")
    optimize_for: str | None = None
    prior_loss_weight: float | None = None
    random_crop: bool | None = None
    random_crop_ratio: float | None = None
    random_crop_scale: float | None = None
    rank: int | None = None
    remove_background_noise: bool | None = None
    sample_prompts: list[str] | None = None
    sample_source_images: list[str] | None = None
    scale_lr: bool | None = None
    seed: int | None = None
    text_encoder_training_ratio: float | None = None
    validation_frequency: int | None = None
    validation_prompt: str | None = None
    voice_description: str | None = None
    wandb_key: str | None = None
    extra: Mapping[str, Any] = extra_field()
