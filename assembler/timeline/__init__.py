"""EDL + the sources it reads -> the timeline: exact frames and samples, order, which source. Pure."""
