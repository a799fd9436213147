"""The execution plan (layer 3): steps, their keys, inputs and outputs, and the scheduling state."""
