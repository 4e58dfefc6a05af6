"""The asset tree, as ``POST /assets`` and ``GET /assets/{assetId}`` answer it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from ._base import OpenEnum, extra_field, wire_name
from .common import AssetKind, AssetRef, ModelType, Privacy
from .jobs import Job
from .models import ModelConcept

__all__ = [
    "Asset",
    "AssetMetadata",
    "AssetProperties",
    "AssetRetrieveResponse",
    "AssetSource",
    "AssetStatus",
    "AssetStyle",
    "AssetType",
    "AssetUploadResponse",
    "AudioClassification",
    "CameraMode",
    "CameraTrajectoryPoint",
    "ControlModality",
    "EditCapability",
    "ImageType",
    "InputFidelity",
    "InputLocation",
    "OriginalMimeType",
    "QualityGate",
    "QualityGateDetails",
    "QualityGateScore",
    "QualityGateSensitivity",
    "QualityGateStatus",
    "QualityGateVerdict",
    "Transcription",
]


class AssetSource(OpenEnum):
    """How an asset was made."""

    THREE_D23D = "3d23d"
    THREE_D23D_TEXTURE = "3d23d:texture"
    THREE_D_TEXTURE = "3d:texture"
    THREE_D_TEXTURE_ALBEDO = "3d:texture:albedo"
    THREE_D_TEXTURE_METALLIC = "3d:texture:metallic"
    THREE_D_TEXTURE_MTL = "3d:texture:mtl"
    THREE_D_TEXTURE_NORMAL = "3d:texture:normal"
    THREE_D_TEXTURE_ROUGHNESS = "3d:texture:roughness"
    AUDIO2AUDIO = "audio2audio"
    AUDIO2TXT = "audio2txt"
    AUDIO2VIDEO = "audio2video"
    BACKGROUND_REMOVAL = "background-removal"
    CANVAS = "canvas"
    CANVAS_DRAWING = "canvas-drawing"
    CANVAS_EXPORT = "canvas-export"
    DETECTION = "detection"
    GENERATIVE_FILL = "generative-fill"
    IMAGE_PROMPT_EDITING = "image-prompt-editing"
    IMG23D = "img23d"
    IMG2IMG = "img2img"
    IMG2SPLAT = "img2splat"
    IMG2TXT = "img2txt"
    IMG2VIDEO = "img2video"
    INFERENCE_CONTROL_NET = "inference-control-net"
    INFERENCE_CONTROL_NET_IMG = "inference-control-net-img"
    INFERENCE_CONTROL_NET_INPAINTING = "inference-control-net-inpainting"
    INFERENCE_CONTROL_NET_INPAINTING_IP_ADAPTER = "inference-control-net-inpainting-ip-adapter"
    INFERENCE_CONTROL_NET_IP_ADAPTER = "inference-control-net-ip-adapter"
    INFERENCE_CONTROL_NET_REFERENCE = "inference-control-net-reference"
    INFERENCE_CONTROL_NET_TEXTURE = "inference-control-net-texture"
    INFERENCE_IMG = "inference-img"
    INFERENCE_IMG_IP_ADAPTER = "inference-img-ip-adapter"
    INFERENCE_IMG_TEXTURE = "inference-img-texture"
    INFERENCE_IN_PAINT = "inference-in-paint"
    INFERENCE_IN_PAINT_IP_ADAPTER = "inference-in-paint-ip-adapter"
    INFERENCE_REFERENCE = "inference-reference"
    INFERENCE_REFERENCE_TEXTURE = "inference-reference-texture"
    INFERENCE_TXT = "inference-txt"
    INFERENCE_TXT_IP_ADAPTER = "inference-txt-ip-adapter"
    INFERENCE_TXT_TEXTURE = "inference-txt-texture"
    PATCH = "patch"
    PIXELIZATION = "pixelization"
    REFRAME = "reframe"
    RESTYLE = "restyle"
    SEGMENT = "segment"
    SEGMENTATION_IMAGE = "segmentation-image"
    SEGMENTATION_MASK = "segmentation-mask"
    SKYBOX_3D = "skybox-3d"
    SKYBOX_BASE_360 = "skybox-base-360"
    SKYBOX_HDRI = "skybox-hdri"
    TEXTURE = "texture"
    TEXTURE_ALBEDO = "texture:albedo"
    TEXTURE_AO = "texture:ao"
    TEXTURE_EDGE = "texture:edge"
    TEXTURE_HEIGHT = "texture:height"
    TEXTURE_METALLIC = "texture:metallic"
    TEXTURE_NORMAL = "texture:normal"
    TEXTURE_SMOOTHNESS = "texture:smoothness"
    TXT23D = "txt23d"
    TXT2AUDIO = "txt2audio"
    TXT2IMG = "txt2img"
    TXT2TXT = "txt2txt"
    TXT2VIDEO = "txt2video"
    UNKNOWN = "unknown"
    UPLOADED = "uploaded"
    UPLOADED_3D = "uploaded-3d"
    UPLOADED_AUDIO = "uploaded-audio"
    UPLOADED_AVATAR = "uploaded-avatar"
    UPLOADED_TEXT = "uploaded-text"
    UPLOADED_VIDEO = "uploaded-video"
    UPSCALE = "upscale"
    UPSCALE_SKYBOX = "upscale-skybox"
    UPSCALE_TEXTURE = "upscale-texture"
    UPSCALE_VIDEO = "upscale-video"
    VECTORIZATION = "vectorization"
    VIDEO23D = "video23d"
    VIDEO2AUDIO = "video2audio"
    VIDEO2IMG = "video2img"
    VIDEO2TXT = "video2txt"
    VIDEO2VIDEO = "video2video"
    VOICE_CLONE = "voice-clone"


class AssetType(OpenEnum):
    """How an asset was made, as its metadata says."""

    THREE_D_TEXTURE = "3d-texture"
    THREE_D_TEXTURE_ALBEDO = "3d-texture-albedo"
    THREE_D_TEXTURE_METALLIC = "3d-texture-metallic"
    THREE_D_TEXTURE_MTL = "3d-texture-mtl"
    THREE_D_TEXTURE_NORMAL = "3d-texture-normal"
    THREE_D_TEXTURE_ROUGHNESS = "3d-texture-roughness"
    THREE_D23D = "3d23d"
    THREE_D23D_TEXTURE = "3d23d-texture"
    AUDIO2AUDIO = "audio2audio"
    AUDIO2TXT = "audio2txt"
    AUDIO2VIDEO = "audio2video"
    BACKGROUND_REMOVAL = "background-removal"
    CANVAS = "canvas"
    CANVAS_DRAWING = "canvas-drawing"
    CANVAS_EXPORT = "canvas-export"
    DETECTION = "detection"
    GENERATIVE_FILL = "generative-fill"
    IMAGE_PROMPT_EDITING = "image-prompt-editing"
    IMG23D = "img23d"
    IMG2IMG = "img2img"
    IMG2SPLAT = "img2splat"
    IMG2TXT = "img2txt"
    IMG2VIDEO = "img2video"
    INFERENCE_CONTROLNET = "inference-controlnet"
    INFERENCE_CONTROLNET_IMG2IMG = "inference-controlnet-img2img"
    INFERENCE_CONTROLNET_INPAINT = "inference-controlnet-inpaint"
    INFERENCE_CONTROLNET_INPAINT_IP_ADAPTER = "inference-controlnet-inpaint-ip-adapter"
    INFERENCE_CONTROLNET_IP_ADAPTER = "inference-controlnet-ip-adapter"
    INFERENCE_CONTROLNET_REFERENCE = "inference-controlnet-reference"
    INFERENCE_CONTROLNET_TEXTURE = "inference-controlnet-texture"
    INFERENCE_IMG2IMG = "inference-img2img"
    INFERENCE_IMG2IMG_IP_ADAPTER = "inference-img2img-ip-adapter"
    INFERENCE_IMG2IMG_TEXTURE = "inference-img2img-texture"
    INFERENCE_INPAINT = "inference-inpaint"
    INFERENCE_INPAINT_IP_ADAPTER = "inference-inpaint-ip-adapter"
    INFERENCE_REFERENCE = "inference-reference"
    INFERENCE_REFERENCE_TEXTURE = "inference-reference-texture"
    INFERENCE_TXT2IMG = "inference-txt2img"
    INFERENCE_TXT2IMG_IP_ADAPTER = "inference-txt2img-ip-adapter"
    INFERENCE_TXT2IMG_TEXTURE = "inference-txt2img-texture"
    PATCH = "patch"
    PIXELIZATION = "pixelization"
    REFRAME = "reframe"
    RESTYLE = "restyle"
    SEGMENT = "segment"
    SEGMENTATION_IMAGE = "segmentation-image"
    SEGMENTATION_MASK = "segmentation-mask"
    SKYBOX_3D = "skybox-3d"
    SKYBOX_BASE_360 = "skybox-base-360"
    SKYBOX_HDRI = "skybox-hdri"
    TEXTURE = "texture"
    TEXTURE_ALBEDO = "texture-albedo"
    TEXTURE_AO = "texture-ao"
    TEXTURE_EDGE = "texture-edge"
    TEXTURE_HEIGHT = "texture-height"
    TEXTURE_METALLIC = "texture-metallic"
    TEXTURE_NORMAL = "texture-normal"
    TEXTURE_SMOOTHNESS = "texture-smoothness"
    TXT23D = "txt23d"
    TXT2AUDIO = "txt2audio"
    TXT2IMG = "txt2img"
    TXT2TXT = "txt2txt"
    TXT2VIDEO = "txt2video"
    UNKNOWN = "unknown"
    UPLOADED = "uploaded"
    UPLOADED_3D = "uploaded-3d"
    UPLOADED_AUDIO = "uploaded-audio"
    UPLOADED_AVATAR = "uploaded-avatar"
    UPLOADED_TEXT = "uploaded-text"
    UPLOADED_VIDEO = "uploaded-video"
    UPSCALE = "upscale"
    UPSCALE_SKYBOX = "upscale-skybox"
    UPSCALE_TEXTURE = "upscale-texture"
    UPSCALE_VIDEO = "upscale-video"
    VECTORIZATION = "vectorization"
    VIDEO23D = "video23d"
    VIDEO2AUDIO = "video2audio"
    VIDEO2IMG = "video2img"
    VIDEO2TXT = "video2txt"
    VIDEO2VIDEO = "video2video"
    VOICE_CLONE = "voice-clone"


class AssetStatus(OpenEnum):
    """Whether an asset is ready."""

    ERROR = "error"
    PENDING = "pending"
    SUCCESS = "success"


class EditCapability(OpenEnum):
    """An edit that can be applied to an asset."""

    DETECTION = "DETECTION"
    GENERATIVE_FILL = "GENERATIVE_FILL"
    PIXELATE = "PIXELATE"
    PROMPT_EDITING = "PROMPT_EDITING"
    REFINE = "REFINE"
    REFRAME = "REFRAME"
    REMOVE_BACKGROUND = "REMOVE_BACKGROUND"
    SEGMENTATION = "SEGMENTATION"
    UPSCALE = "UPSCALE"
    UPSCALE_360 = "UPSCALE_360"
    VECTORIZATION = "VECTORIZATION"


class OriginalMimeType(OpenEnum):
    """The MIME type of the file an asset was made from."""

    APPLICATION_GZIP = "application/gzip"
    APPLICATION_JSON = "application/json"
    APPLICATION_OCTET_STREAM = "application/octet-stream"
    APPLICATION_PDF = "application/pdf"
    APPLICATION_SAFETENSORS = "application/safetensors"
    APPLICATION_VND_AUTODESK_FBX = "application/vnd.autodesk.fbx"
    APPLICATION_X_AUTHORWARE_BIN = "application/x-authorware-bin"
    APPLICATION_X_ZIP_COMPRESSED = "application/x-zip-compressed"
    APPLICATION_X_AUTODESK_FBX = "application/x.autodesk.fbx"
    APPLICATION_ZIP = "application/zip"
    AUDIO_FLAC = "audio/flac"
    AUDIO_M4A = "audio/m4a"
    AUDIO_MPEG = "audio/mpeg"
    AUDIO_OGG = "audio/ogg"
    AUDIO_WAV = "audio/wav"
    IMAGE_ACES = "image/aces"
    IMAGE_AVIF = "image/avif"
    IMAGE_BMP = "image/bmp"
    IMAGE_GIF = "image/gif"
    IMAGE_HEIC = "image/heic"
    IMAGE_JPEG = "image/jpeg"
    IMAGE_PNG = "image/png"
    IMAGE_SVG_XML = "image/svg+xml"
    IMAGE_TIFF = "image/tiff"
    IMAGE_VND_RADIANCE = "image/vnd.radiance"
    IMAGE_WEBP = "image/webp"
    IMAGE_X_EXR = "image/x-exr"
    MODEL_GLB = "model/glb"
    MODEL_GLTF_JSON = "model/gltf+json"
    MODEL_GLTF_BINARY = "model/gltf-binary"
    MODEL_KSPLAT = "model/ksplat"
    MODEL_MTL = "model/mtl"
    MODEL_OBJ = "model/obj"
    MODEL_PLY = "model/ply"
    MODEL_SOG = "model/sog"
    MODEL_SPLAT = "model/splat"
    MODEL_SPZ = "model/spz"
    MODEL_STL = "model/stl"
    MODEL_VND_COLLADA_XML = "model/vnd.collada+xml"
    MODEL_3MF = "model/vnd.ms-package.3dmanufacturing-3dmodel+xml"
    MODEL_VND_USDZ_ZIP = "model/vnd.usdz+zip"
    MODEL_X_3D_VOX = "model/x-3d-vox"
    MODEL_X_BLENDER = "model/x-blender"
    MODEL_X_FBX = "model/x-fbx"
    MODEL_X_MAYA_ASCII = "model/x-maya-ascii"
    MODEL_X_MAYA_BINARY = "model/x-maya-binary"
    MODEL_X_VSPLAT = "model/x-vsplat"
    MODEL_X3D_XML = "model/x3d+xml"
    TEXT_PLAIN = "text/plain"
    VIDEO_MP4 = "video/mp4"
    VIDEO_QUICKTIME = "video/quicktime"
    VIDEO_WEBM = "video/webm"


class AssetStyle(OpenEnum):
    """The style an asset was generated in."""

    THREE_D_CARTOON = "3d-cartoon"
    THREE_D_RENDERED = "3d-rendered"
    ANIME = "anime"
    CARTOON = "cartoon"
    CINEMATIC = "cinematic"
    CLAYMATION = "claymation"
    CLOUD_SKYDOME = "cloud-skydome"
    COMIC = "comic"
    CYBERPUNK = "cyberpunk"
    ENCHANTED = "enchanted"
    FANTASY = "fantasy"
    INK = "ink"
    MANGA = "manga"
    MANGA_COLOR = "manga-color"
    MINIMALIST = "minimalist"
    NEON_TRON = "neon-tron"
    OIL_PAINTING = "oil-painting"
    PASTEL = "pastel"
    PHOTO = "photo"
    PHOTOGRAPHY = "photography"
    PSYCHEDELIC = "psychedelic"
    RETRO_FANTASY = "retro-fantasy"
    SCIFI_CONCEPT_ART = "scifi-concept-art"
    SPACE = "space"
    STANDARD = "standard"
    WHIMSICAL = "whimsical"


class ControlModality(OpenEnum):
    """What a control image encodes."""

    CANNY = "canny"
    DEPTH = "depth"
    GRAYSCALE = "grayscale"
    LINEART_ANIME = "lineart_anime"
    MLSD = "mlsd"
    NORMAL = "normal"
    POSE = "pose"
    SCRIBBLE = "scribble"
    SEGMENTATION = "segmentation"
    SKETCH = "sketch"


class ImageType(OpenEnum):
    """The kind of image a texture or skybox generation made."""

    SEAMFULL = "seamfull"
    SKYBOX = "skybox"
    TEXTURE = "texture"


class InputFidelity(OpenEnum):
    """How closely a generation follows its input image."""

    HIGH = "high"
    LOW = "low"


class InputLocation(OpenEnum):
    """Where the input image sits in an expanded image."""

    BOTTOM = "bottom"
    LEFT = "left"
    MIDDLE = "middle"
    RIGHT = "right"
    TOP = "top"


class AudioClassification(OpenEnum):
    """What an audio asset holds."""

    EFFECT = "effect"
    INTERVIEW = "interview"
    MUSIC = "music"
    OTHER = "other"
    SOUND = "sound"
    SPEECH = "speech"
    TEXT = "text"
    UNKNOWN = "unknown"


class CameraMode(OpenEnum):
    """How the camera moves around a 3D asset."""

    AERIAL = "aerial"
    INTERIOR = "interior"
    TURNTABLE = "turntable"


class QualityGateSensitivity(OpenEnum):
    """How strict a quality gate is."""

    HIGH = "high"
    LOW = "low"
    MEDIUM = "medium"


class QualityGateStatus(OpenEnum):
    """Whether a quality gate could score an asset."""

    ERROR = "error"
    SCORED = "scored"


class QualityGateVerdict(OpenEnum):
    """A quality gate's verdict."""

    FAIL = "fail"
    PASS = "pass"
    WARN = "warn"


@frozen(kw_only=True)
class AssetMetadata:
    """How an asset was made: the parameters of the generation or edit behind it.

    Most fields belong to one kind of generation only; ``seed`` is a string.
    """

    angular: float | None = None
    aspect_ratio: str | None = None
    background_opacity: float | None = None
    base_model_id: str | None = None
    bbox: list[float] | None = None
    better_quality: bool | None = None
    canny_structure_image: str | None = None
    clustering: bool | None = None
    color_correction: bool | None = None
    color_mode: str | None = None
    color_precision: float | None = None
    concepts: list[ModelConcept] | None = None
    contours: list[list[list[list[float]]]] | None = None
    control_end: float | None = None
    copied_at: str | None = None
    corner_threshold: float | None = None
    creativity: float | None = None
    creativity_decay: float | None = None
    default_parameters: bool | None = None
    depth_fidelity: float | None = None
    depth_image: str | None = None
    details_level: float | None = None
    dilate: float | None = None
    factor: float | None = None
    file_name: str | None = None
    filter_speckle: float | None = None
    fractality: float | None = None
    geometry_enforcement: float | None = None
    guidance: float | None = None
    half_mode: bool | None = None
    hdr: float | None = None
    height: float | None = None
    high_threshold: float | None = None
    horizontal_expansion_ratio: float | None = None
    image: str | None = None
    image_fidelity: float | None = None
    image_type: ImageType | str | None = None
    inference_id: str | None = None
    input_fidelity: InputFidelity | str | None = None
    input_location: InputLocation | str | None = None
    invert: bool | None = None
    keeps_file_names: bool | None = None
    keypoint_threshold: float | None = None
    kind: AssetKind | str | None = None
    layer_difference: float | None = None
    length_threshold: float | None = None
    lock_expires_at: str | None = None
    low_threshold: float | None = None
    mask: str | None = None
    max_iterations: float | None = None
    max_threshold: float | None = None
    min_threshold: float | None = None
    modality: ControlModality | str | None = None
    mode: str | None = None
    model_id: str | None = None
    model_type: ModelType | str | None = None
    name: str | None = None
    nb_masks: float | None = None
    negative_prompt: str | None = None
    negative_prompt_strength: float | None = None
    num_inference_steps: float | None = None
    num_outputs: float | None = None
    original_asset_id: str | None = None
    output_index: float | None = None
    overlap_percentage: float | None = None
    override_embeddings: bool | None = None
    parent_id: str | None = None
    parent_job_id: str | None = None
    path_precision: float | None = None
    points: list[list[float]] | None = None
    polished: float | None = None
    preset: str | None = None
    progress_percent: float | None = None
    prompt: str | None = None
    prompt_fidelity: float | None = None
    raised: float | None = None
    reference_images: list[str] | None = None
    refinement_steps: float | None = None
    remove_background: bool | None = None
    resize_option: float | None = None
    result_contours: bool | None = None
    result_image: bool | None = None
    result_mask: bool | None = None
    root_parent_id: str | None = None
    save_flipbook: bool | None = None
    scaling_factor: float | None = None
    scheduler: str | None = None
    seed: str | None = None
    sharpen: bool | None = None
    shiny: float | None = None
    size: float | None = None
    sketch: bool | None = None
    source_project_id: str | None = None
    splice_threshold: float | None = None
    strength: float | None = None
    structure_fidelity: float | None = None
    structure_image: str | None = None
    style: AssetStyle | str | None = None
    style_fidelity: float | None = None
    style_images: list[str] | None = None
    style_images_fidelity: float | None = None
    target_height: float | None = None
    target_width: float | None = None
    text: str | None = None
    texture: str | None = None
    thumbnail: AssetRef | None = None
    tile_style: bool | None = None
    training_image: bool | None = None
    type: AssetType | str | None = None
    vertical_expansion_ratio: float | None = None
    width: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class CameraTrajectoryPoint:
    fov: float | None = None
    position: list[float] | None = None
    target: list[float] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Transcription:
    text: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetProperties:
    """What the file holds: sizes, durations and counts, by kind of asset (``size`` in
    bytes)."""

    animation_frame_count: float | None = None
    bitrate: float | None = None
    bone_count: float | None = None
    camera_mode: CameraMode | str | None = None
    camera_trajectory: list[CameraTrajectoryPoint] | None = None
    channels: float | None = None
    char_count: float | None = None
    classification: AudioClassification | str | None = None
    codec_name: str | None = None
    description: str | None = None
    dimensions: list[float] | None = None
    duration: float | None = None
    face_count: float | None = None
    format: str | None = None
    frame_rate: float | None = None
    has_animations: bool | None = None
    has_full_preview: bool | None = None
    has_normals: bool | None = None
    has_skeleton: bool | None = None
    has_uvs: bool | None = wire_name("hasUVs")
    height: float | None = None
    nb_frames: float | None = None
    preview: str | None = None
    sample_rate: float | None = None
    size: float | None = None
    transcription: Transcription | None = None
    vertex_count: float | None = None
    width: float | None = None
    word_count: float | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class QualityGateScore:
    """One part of a quality gate's score (AI quality, or compliance with the briefs)."""

    reasons: list[str] | None = None
    score: float | None = None
    suggestions: list[str] | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class QualityGateDetails:
    ai_quality: QualityGateScore | None = None
    brief_compliance: QualityGateScore | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class QualityGate:
    ai_quality_score: float | None = None
    applied_brief_ids: list[str] | None = None
    brief_compliance_score: float | None = None
    computed_at: str | None = None
    details: QualityGateDetails | None = None
    error: str | None = None
    overall_score: float | None = None
    sensitivity: QualityGateSensitivity | str | None = None
    status: QualityGateStatus | str | None = None
    verdict: QualityGateVerdict | str | None = None
    version: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class Asset:
    """An asset: an uploaded or generated file. Its ``id`` is what a training image's
    ``asset_id`` takes."""

    id: str
    url: str | None = None
    mime_type: str | None = None
    kind: AssetKind | str | None = None
    status: AssetStatus | str | None = None
    name: str | None = None
    created_at: str | None = None
    author_id: str | None = None
    automatic_captioning: str | None = None
    collection_ids: list[str] | None = None
    deleted_at: str | None = None
    description: str | None = None
    edit_capabilities: list[EditCapability | str] | None = None
    embedding: list[float] | None = None
    first_frame: AssetRef | None = None
    is_hidden: bool | None = None
    last_frame: AssetRef | None = None
    metadata: AssetMetadata | None = None
    nsfw: list[str] | None = None
    original_file_url: str | None = None
    original_mime_type: OriginalMimeType | str | None = None
    output_index: float | None = None
    owner_id: str | None = None
    preview: AssetRef | None = None
    privacy: Privacy | str | None = None
    properties: AssetProperties | None = None
    quality_gate: QualityGate | None = None
    source: AssetSource | str | None = None
    tags: list[str] | None = None
    thumbnail: AssetRef | None = None
    updated_at: str | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetUploadResponse:
    """The answer of ``POST /assets``; ``job`` is set when the upload started one."""

    asset: Asset
    job: Job | None = None
    extra: Mapping[str, Any] = extra_field()


@frozen(kw_only=True)
class AssetRetrieveResponse:
    """The answer of ``GET /assets/{assetId}``."""

    asset: Asset
    extra: Mapping[str, Any] = extra_field()
