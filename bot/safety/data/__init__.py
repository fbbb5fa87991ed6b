"""The detector's versioned data files; a package so that they ship with the code."""
