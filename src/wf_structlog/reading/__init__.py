"""The reading side: the reducer and everything that reads NDJSON files and documents.

It imports the contract (:mod:`wf_structlog.schema`), the renderers and the reducer, never the
runtime or the configuration: reading a file never configures logging. Every line is read on
its own, and a bad line never stops the rest.
"""
