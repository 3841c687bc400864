"""summtrain: the in-container training package for summarization fine-tuning.

It takes the flags of the upstream `run_summarization.py` unchanged and runs one
of four back ends (Seq2SeqTrainer, an Accelerate loop, TF/Keras, PyTorch/XLA).
Importing this package imports no ML library.
"""

__version__ = "0.1.0"
