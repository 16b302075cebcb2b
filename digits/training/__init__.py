"""Training time: the data sets, augmentation, the Keras model, training, evaluation and its plots, ONNX export.

Nothing on the inference path (images, preprocessing, classifier, batch, output, segmentation,
numbers, page) imports from here; tests/test_cli.py checks it. TensorFlow and matplotlib come from
the `train` extra and are imported only by the modules that need them.
"""
