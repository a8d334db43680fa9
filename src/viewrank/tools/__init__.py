"""Developer and demo tools: the synthetic service, the built-in demo and the rollup benchmark."""
