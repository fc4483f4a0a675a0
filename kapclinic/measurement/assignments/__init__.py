"""The plan assignment's schedule state and the pure scheduling rules."""
