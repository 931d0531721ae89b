"""gradtrace.viz: pictures of computation graphs and their gradients (reads autograd nodes)."""
