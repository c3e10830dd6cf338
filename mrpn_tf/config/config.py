"""Typed run configuration: nested dataclasses whose defaults are the paper's settings.

Chang & Skarbek, "Multi-modal Residual Perceptron Network for Audio-Video Emotion
Recognition", Sensors 2021 (../shared/paper/mrpn-paper.md). Section numbers below refer to it.
Where the paper is silent the comment says why the value was chosen.

`Config()` is the paper's setting; `tiny()` is a small variant for tests and the offline demo.
Named runs (`pipelines/*.yaml`) and `key=value` overrides are applied by `loading.py`.
"""

from __future__ import annotations

import dataclasses

# Field metadata key: the words a numeric field also accepts (`keys.set_value` keeps them as
# they are), e.g. data.fold "all".
ALSO_ACCEPTS = "also_accepts"
# `data.fold` of a deployment run: every actor trains, none validates (data/folds/folds.py).
ALL_FOLDS = "all"


class ConfigError(ValueError):
    """A run file or override does not fit the config schema."""


@dataclasses.dataclass
class DataConfig:
    """Which clips, which fold, and how the tf.data pipeline reads them."""

    # "ravdess" | "cremad" | "demo" (the synthesized offline set, RAVDESS naming).
    dataset: str = "ravdess"
    # Raw dataset folder (as distributed) and the folder `prepare` writes shards to.
    root: str = ""
    prepared_dir: str = ""
    # "tfrecord": read `prepare` shards; "videos": decode inside tf.data (no prepare step).
    source: str = "tfrecord"
    # Fold id from the committed fold file (RAVDESS 1..12, CREMA-D 1..9 = S1..S9), or "all":
    # train on every actor of the dataset for deployment, with no validation split, so no
    # learning-rate halving or early stopping on validation loss (the learning rate stays
    # train.learning_rate) and model.keras is the last of train.epochs epochs.
    fold: int | str = dataclasses.field(default=1, metadata={ALSO_ACCEPTS: (ALL_FOLDS,)})
    # RAVDESS modality: "av" (01-01-*.mp4), "audio" (03-01-*.wav), "video" (02-01-*.mp4).
    modality: str = "av"
    # Clips per TFRecord shard: ~100 clips x ~2 MB keeps shards near the 100-200 MB that
    # tf.data's parallel interleave reads efficiently.
    clips_per_shard: int = 64
    # Paper 3.3 item 2: training slices last at least one second.
    min_slice_s: float = 1.0
    # Time augmentation (paper 4.3, "T" rows of Table 1); off reproduces the "NT" rows.
    time_augment: bool = True
    # Paper 1.4 point 2: video of one clip with audio of another clip of the same label.
    pairing_prob: float = 0.0
    # Faces of another corpus paired with each clip by label, in place of the clip's own video
    # (paper 1.4 point 2, across corpora; data/pipeline/face_pairing.py): "" = the clip's own
    # video; "fer2013" = FER-2013 faces from `video_root`, its Training faces in training and
    # its PublicTest faces in validation, drawn again every epoch in training and fixed per
    # clip in validation. The folds stay `dataset`'s (speaker-disjoint on the voice side).
    video_dataset: str = ""
    video_root: str = ""
    # Where the paired corpus's derived files go (FER-2013: its faces' detector boxes).
    video_prepared_dir: str = ""
    # The run's classes, when its corpora name theirs differently; () = `dataset`'s own.
    labels: tuple = ()
    # Each corpus's emotions onto `labels` (data/datasets/label_sets.py): entries
    # "<dataset>.<emotion>=<label>" for an emotion not named as a label, "<dataset>.<emotion>="
    # to drop its clips or faces. An emotion named as a label maps onto it unasked.
    label_map: tuple = ()
    # Mixup of training batches (data/pipeline/mixup.py): each clip mixed with another clip
    # of its batch by lam ~ Beta(alpha, alpha), targets too. Not in the paper; 0 is off.
    mixup_alpha: float = 0.0
    shuffle_buffer: int = 512
    # Training batches clips of similar duration when non-empty (boundaries in seconds):
    # less of each padded batch is padding. Off by default, so batches stay i.i.d. draws.
    bucket_boundaries_s: tuple = ()
    # Cache parsed records in memory when the prepared set is at most this size.
    cache_max_mb: int = 4096
    num_parallel_calls: int = -1  # tf.data.AUTOTUNE
    seed: int = 0


@dataclasses.dataclass
class VideoConfig:
    """Face-crop video stream."""

    # Paper silent. 15 fps halves the CNN work of 30-fps sources while facial expressions
    # (onset/apex ~0.2-0.5 s) still span several frames.
    fps: float = 15.0
    # Paper silent (faces cropped with dlib's CNN, then ResNet-18). 112x112 is the usual
    # face-recognition crop and keeps 3 s x 15 fps x 112^2 x 3 per clip at ~1.7 MB.
    crop_size: int = 112
    # Margin added around the detector's box on each side, as a fraction of the box side,
    # so that brows and chin (which carry expression) stay inside the crop.
    face_margin: float = 0.25
    # Boxes are smoothed over time with an exponential moving average of this weight on
    # the new box, which removes detector jitter without lagging head motion much.
    box_smoothing: float = 0.5
    # A detection below this score is treated as "no face" in that frame.
    min_face_score: float = 0.5
    # Decoded frames are scaled (by the decoder, swscale) so that their long side is at most
    # this: BlazeFace looks at 128x128 anyway and a 112-px crop needs no more, while 4K
    # input would otherwise dominate decode, detect and crop time.
    max_frame_side: int = 640
    jpeg_quality: int = 90
    # BlazeFace short-range model: a path, or "" to use MRPN_FACE_MODEL / the cache / download
    # (see mrpn_tf/data/media/model_store.py).
    face_model: str = ""
    # The frames as grey (luma, in all three channels) before the model: for a face branch that
    # learned from grey faces (FER-2013), so that a colour video is read as its training faces
    # were. In training, evaluation, serving and the TFLite files alike (`clip_features`).
    # Off: the paper's colour crops.
    grayscale: bool = False
    # Spatial augmentation, one set of parameters per clip (paper 3.3 item 1, Fig. 9 middle).
    flip: bool = True
    rotation_deg: float = 10.0
    zoom: float = 0.1
    translation: float = 0.1
    brightness: float = 0.2
    contrast: float = 0.2


@dataclasses.dataclass
class AudioConfig:
    """Waveform and spectrogram segments (paper 3.3 items 3-4)."""

    sample_rate: int = 16000  # "resampled at 16kHz"
    standardize: bool = True  # "standardized by their mean and standard deviation"
    segment_s: float = 1.0  # "divided into one-second segments"
    hop_s: float = 0.2  # "a window of 0.2 seconds" between segment starts
    frame_length: int = 512  # "Hann windowing function of size 512"
    frame_step: int = 64  # "hop size of 64"
    # "linear": the paper's STFT bins. "mel": the magnitudes of all 257 bins summed into
    # `freq_bins` mel bands (tf.signal.linear_to_mel_weight_matrix, 0 Hz to Nyquist) before
    # the log, the usual input of speech-emotion CNNs; a departure from the paper.
    frequency_scale: str = "linear"
    # Rows of a spectrogram segment. Linear: 512-point FFT gives 257 bins; the Nyquist bin is
    # dropped to get the paper's 256. Mel: the number of mel bands.
    freq_bins: int = 256
    # ceil(16000 / 64) = 250 frames: the STFT pads the segment end (pad_end=True).
    frames_per_segment: int = 250
    log_offset: float = 1e-6
    # Leading and trailing silence cut before segmenting: keep the first to the last 10-ms
    # frame within this many dB of the loudest (data/pipeline/silence_trim.py); 0 = off, the
    # paper's preprocessing. Training slices in time after trimming.
    trim_db: float = 0.0
    # Training only: per segment, one band of up to this many frequency bins and one span of up
    # to this many frames set to the segment's mean (SpecAugment; data/pipeline/
    # spectrogram_masking.py). 0 = off, the paper's training.
    freq_mask_bins: int = 0
    time_mask_frames: int = 0
    # Training only: the frequency axis of each clip's segments scaled by one random factor in
    # [1 - freq_warp, 1 + freq_warp] (vocal tract length perturbation; data/pipeline/
    # frequency_warp.py). 0 = off, the paper's training.
    freq_warp: float = 0.0


@dataclasses.dataclass
class ModelConfig:
    """MRPN networks (paper 3.1, eqs. 1-9, Fig. 7)."""

    # "N0" (eq. 7), "N1" (eq. 8), "N2" = MRPN (eq. 9), "AM"/"VM" single-modality baselines.
    network: str = "N2"
    extractor: str = "resnet18"  # paper 4.2: "CNN extractor architecture is fixed to Resnet-18"
    width_multiplier: float = 1.0  # ResNet-18 channel widths 64-128-256-512 times this
    # The video ResNet-18's own width, 0 = width_multiplier: a face extractor pretrained at one
    # width (the shipped FER-2013 model: 0.5) loads into a network whose audio side is another.
    video_width_multiplier: float = 0.0
    # "lstm" (paper 4.3), "bilstm" or "transformer" (paper 4.6, average of encoder outputs), or
    # "average" (the mean of the frame features, the face model's: it reads 1 frame or many alike).
    aggregator: str = "lstm"
    # The video branch's own aggregator kind, "" = `aggregator`: a face extractor trained on
    # stills with "average" (the shipped FER-2013 model) keeps it beside an LSTM audio side.
    video_aggregator: str = ""
    aggregator_units: int = 256
    transformer_heads: int = 4
    transformer_layers: int = 1
    # Hidden width of Scoring = Dense -> ReLU -> FeatureNorm -> Dense (eq. 2).
    scoring_units: int = 256
    # Fig. 7 shows dropout before scoring; its rate is not given: 0.3 is a common choice.
    dropout: float = 0.3
    # Loss = w_v L_v + w_a L_a + w_va L_va (eq. 5); N0 uses L_va only.
    loss_weight_v: float = 1.0
    loss_weight_a: float = 1.0
    loss_weight_va: float = 1.0
    # Pretrained extractor weights (paper 4.2: FER-2013 faces, VoxCeleb speakers); "" = none.
    video_extractor_weights: str = ""
    audio_extractor_weights: str = ""


@dataclasses.dataclass
class TrainConfig:
    """Optimization (paper 4.2) and run bookkeeping."""

    optimizer: str = "adamw"  # "AdaMW optimizer is adopted"
    learning_rate: float = 5e-5  # "initial learning rate at 5e-5"
    weight_decay: float = 1e-4  # paper silent; a mild AdamW decay
    # Label smoothing of the training losses (targets (1 - e) one-hot + e / classes); the
    # paper's cross-entropy is 0. Validation losses are smoothed alike (Keras compiles one loss).
    label_smoothing: float = 0.0
    # "plateau": the paper's schedule, halved after lr_patience epochs without a lower
    # validation loss. "cosine": a fixed schedule, learning_rate * (1 + cos(pi * e / epochs)) / 2
    # at epoch e (0-based), for short budgets that stop before a plateau is seen and for runs
    # without validation; lr_factor and lr_patience are then unused.
    lr_schedule: str = "plateau"
    lr_factor: float = 0.5  # "decreased two times ..."
    lr_patience: int = 10  # "... if validation loss is not dropping over ten epochs"
    # Paper silent. 8 clips of up to ~5 s fit a 16 GB GPU with two ResNet-18s at 112 px.
    batch_size: int = 8
    # Paper silent. Patience 10 on a small dataset needs room to act several times.
    epochs: int = 100
    early_stopping_patience: int = 0  # 0 = off
    # Before each validation, recompute BatchNorm's moving statistics from this many training
    # batches with the weights frozen (training/precise_bn.py); they then describe the weights
    # being validated and checkpointed instead of lagging them. 0 = off (Keras's moving
    # averages, the paper's setting). Not with TF_CONFIG (each worker would see other batches).
    precise_bn_batches: int = 0
    run_dir: str = ""
    seed: int = 42
    # Deterministic input order and kernels (tf.config.experimental.enable_op_determinism): the
    # pipeline's parallel reads may otherwise deliver clips in any order, so only with this on
    # does a resumed run reproduce the uninterrupted run exactly; costs input throughput.
    deterministic: bool = False
    mixed_precision: bool = False  # GPU switch
    xla: bool = False  # GPU switch


@dataclasses.dataclass
class ExportConfig:
    """SavedModel / TFLite export."""

    name: str = "mrpn"
    # 0 = the next free version under out_dir/name (1 for the first export): every export of
    # a retrained model becomes a new version, which TF Serving picks up without a restart.
    version: int = 0
    out_dir: str = "savedmodels"
    # Static-shape window for TFLite: seconds of audio and video the window model takes.
    window_s: float = 2.0
    # Windows tile a clip without overlap (the last one ends at the clip's end): one model run
    # per window_s of clip, what the int8 real-time budget affords (benchmarks/inference.py).
    window_hop_s: float = 2.0
    # Windows of the training actors that calibrate the int8_full file; 64 windows (~2 min of
    # clips) fix the activation ranges, more mostly lengthens the export.
    calibration_windows: int = 64
    tflite_variants: tuple = ("fp32", "fp16", "int8_dynamic", "int8_full")
    # The same variants of the raw-input files (export/raw_window_model.py: face crops and a
    # waveform in, the preprocessing inside), for an app without our Python; () = none.
    raw_tflite_variants: tuple = ("fp32", "fp16", "int8_dynamic", "int8_full")
    # Layers (name prefixes) that stay float in int8_full. The log-spectrogram input spans
    # ~20 (log 1e-6 for silence to loud bins), too wide for one int8 scale: the audio stem
    # (channel reshape, 7x7 conv, BN, ReLU, pool; ~1 % of the FLOPs) reads it in float and
    # its output is quantized. On the demo set this took int8_full's top-1 agreement with
    # fp32 from 92 % to 98 % of windows (benchmarks/inference.py).
    int8_float_layers: tuple = ("a_resnet18_add_channel", "a_resnet18_stem")
    # Export the best model at the end of `python -m mrpn_tf.train`, so a finished run is
    # servable at once; tests and cross-validation (many runs, tables only) turn it off.
    on_train_end: bool = True


@dataclasses.dataclass
class Config:
    """The whole run: one section per concern."""

    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    video: VideoConfig = dataclasses.field(default_factory=VideoConfig)
    audio: AudioConfig = dataclasses.field(default_factory=AudioConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    export: ExportConfig = dataclasses.field(default_factory=ExportConfig)


def tiny() -> Config:
    """Small variant for tests and the offline demo: same audio math, far smaller model.

    The audio settings stay the paper's so the spectrogram code path is the one tested;
    the model, frame rate and crop shrink so a training step takes well under a second
    on 2 CPU cores.
    """
    config = Config()
    config.data.dataset = "demo"
    config.data.clips_per_shard = 32
    config.data.shuffle_buffer = 128
    config.video.fps = 8.0
    config.video.crop_size = 48  # FER-2013's face size
    config.model.width_multiplier = 0.125  # ResNet-18 widths 8-16-32-64
    config.model.aggregator_units = 32
    config.model.scoring_units = 32
    config.model.dropout = 0.1
    config.train.batch_size = 8
    config.train.epochs = 30
    config.train.learning_rate = 1e-3  # the tiny model trains from scratch, not pretrained
    return config


CONFIG_VARIANTS = {"default": Config, "tiny": tiny}


def variant(name: str) -> Config:
    """Returns a fresh config of the named variant ("default" or "tiny")."""
    if name not in CONFIG_VARIANTS:
        raise ValueError(f"unknown config variant {name!r}; expected one of {sorted(CONFIG_VARIANTS)}")
    return CONFIG_VARIANTS[name]()

