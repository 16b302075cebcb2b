"""The model's input/output contract, written once: export writes it, inference checks it.

input  `image`: float32 (N, 28, 28, 1), values in [0, 1], white ink (1) on black (0), MNIST framing
output `probs`: float32 (N, 10), each digit's probability
output `not_digit`: float32 (N, 1), the probability that the image is no digit at all; with it, each row of
       `probs` and `not_digit` sums to 1 (the readers' softmax times 1 - not_digit). A model exported before the
       gate has `probs` alone, a softmax, and never says "not a digit"; inference accepts both.
"""

INPUT_NAME = "image"
INPUT_SIZE = 28
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)  # per image; the batch axis is dynamic
INPUT_DTYPE = "float32"
INPUT_RANGE = (0.0, 1.0)
OUTPUT_NAME = "probs"
NOT_DIGIT_NAME = "not_digit"
MEMBERS_NAME = "members_probs"  # inside the graph: the readers' mean before the gate scales it (tests compare them)
NUM_CLASSES = 10
OPSET = 17


def describe(rejects: bool = True) -> str:
    """One line for metadata and error messages; `rejects`: the contract with the not-a-digit output."""
    outputs = (f"outputs '{OUTPUT_NAME}' {INPUT_DTYPE} (N, {NUM_CLASSES}) and '{NOT_DIGIT_NAME}' (N, 1), "
               "summing to 1" if rejects else f"output '{OUTPUT_NAME}' {INPUT_DTYPE} (N, {NUM_CLASSES}) softmax")
    image = f"input '{INPUT_NAME}' {INPUT_DTYPE} (N, {INPUT_SIZE}, {INPUT_SIZE}, 1) in [0, 1], white ink on black"
    return f"{image}; {outputs}"
