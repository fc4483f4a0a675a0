"""Treatment protocols as data: the typed definition, its parser and the shipped templates."""
