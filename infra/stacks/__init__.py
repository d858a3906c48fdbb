"""Thin stacks: StatefulStack (network, cache, secrets) and ServiceStack (the replaceable rest)."""
