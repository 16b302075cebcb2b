"""The CNNs, each readable in one screen: the digit reader and the gate that says whether an image is a digit.

The reader is the seed scripts' Conv32-Pool-Conv64-Pool-Dense128 net, improved: BatchNorm after each conv,
two convs per block, a third block at 7x7, global average pooling instead of a big dense layer.
About 0.29 M parameters (about 1.1 MB as ONNX), about 29 M multiply-adds per image.
The gate has the same shape at half the width or less (16: 0.07 M parameters, about 7 M multiply-adds) and one
output, the logit of "not a digit"; the export turns it into a probability beside the readers' digits.
"""

import keras
from keras import layers

from digits.contract import INPUT_SHAPE, NUM_CLASSES


def conv_bn(filters: int) -> list:
    """3x3 convolution, BatchNorm, ReLU (the conv needs no bias: BatchNorm adds one)."""
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]


def build_model() -> keras.Model:
    """(N, 28, 28, 1) float32 in [0, 1], ink = 1 -> (N, 10) softmax probabilities."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            *conv_bn(32), *conv_bn(32), layers.MaxPooling2D(),  # 28 -> 14
            *conv_bn(64), *conv_bn(64), layers.MaxPooling2D(),  # 14 -> 7
            *conv_bn(128), *conv_bn(128),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probs"),
        ],
        name="digits_cnn",
    )


def build_gate(width: int = 16) -> keras.Model:
    """(N, 28, 28, 1) float32 in [0, 1], ink = 1 -> (N, 1) logit that the image is not a digit."""
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            *conv_bn(width), *conv_bn(width), layers.MaxPooling2D(),  # 28 -> 14
            *conv_bn(2 * width), *conv_bn(2 * width), layers.MaxPooling2D(),  # 14 -> 7
            *conv_bn(4 * width), *conv_bn(4 * width),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.2),
            layers.Dense(1, name="not_digit_logit"),
        ],
        name="digits_gate",
    )
