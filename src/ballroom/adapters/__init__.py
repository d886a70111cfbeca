"""Adapters: stores, the vote-log writer, file formats and gateways."""
