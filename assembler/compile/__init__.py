"""A unit of the plan -> an ffmpeg job (inputs, filter graph, outputs). Pure: no file reads."""
