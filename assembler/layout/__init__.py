"""A timeline laid out for one output: every pixel value (text set in lines, overlay boxes, subtitle sizes)."""
