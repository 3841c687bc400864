"""summlaunch: take Hugging Face summarization fine-tuning from a laptop to Kubernetes."""

__version__ = "0.1.0"
