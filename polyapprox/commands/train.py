"""TEMPORARY (branch ffn): registers only ``train ffn``; the lead merges this with the ``train lm`` module."""

from __future__ import annotations

import argparse


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from polyapprox.commands.train_ffn import add_ffn_parser

    train = sub.add_parser("train", help="train models with PolyCom and baseline activations")
    train_sub = train.add_subparsers(dest="train_verb", metavar="KIND", parser_class=type(train))
    train_sub.required = True
    add_ffn_parser(train_sub)
