"""A worked example of a third-party superpose construction: one ReLU neuron."""
from superpose.derive.protocol import ConstructionEntry

# Modules are named, not imported: superpose imports them when the construction is asked for.
ENTRY = ConstructionEntry("relu-neuron", derive="my_construction.theory",
                          verify="my_construction.network")
