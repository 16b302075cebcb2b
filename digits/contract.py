"""The model's input/output contract, written once: export writes it, inference checks it.

input  `image`: float32 (N, 28, 28, 1), values in [0, 1], white ink (1) on black (0), MNIST framing
output `probs`: float32 (N, 10), softmax over the digits 0-9
"""

INPUT_NAME = "image"
INPUT_SIZE = 28
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)  # per image; the batch axis is dynamic
INPUT_DTYPE = "float32"
INPUT_RANGE = (0.0, 1.0)
OUTPUT_NAME = "probs"
NUM_CLASSES = 10
OPSET = 17


def describe() -> str:
    """One line for metadata and error messages."""
    return (
        f"input '{INPUT_NAME}' {INPUT_DTYPE} (N, {INPUT_SIZE}, {INPUT_SIZE}, 1) in [0, 1], white ink on black; "
        f"output '{OUTPUT_NAME}' {INPUT_DTYPE} (N, {NUM_CLASSES}) softmax"
    )
