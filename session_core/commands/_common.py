"""Helpers shared by the subcommands: open the configured store."""

from __future__ import annotations

import argparse

from ..config import parse_option_pairs, resolve_store
from ..registry import StoreSpec
from ..store import SessionStore


def store_spec(args: argparse.Namespace) -> StoreSpec:
    """The store named by ``--store``/``--store-arg``, else by the configuration order."""
    options = parse_option_pairs(args.store_arg, "--store-arg") if args.store_arg else None
    return resolve_store(args.store, options)


def open_store(args: argparse.Namespace) -> SessionStore:
    return store_spec(args).open()
