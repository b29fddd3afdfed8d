"""Training: the labelled-corpus builder (corpus, weak labels, injections) and model fitting.

Nothing in the runtime core imports this package."""
