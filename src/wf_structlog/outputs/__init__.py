"""Outputs: where rendered events go (console, stdout, files, documents, memory), the
background writer in front of them, and the file writing that keeps lines whole."""
