"""One construct per concern; stacks only instantiate and wire them."""
