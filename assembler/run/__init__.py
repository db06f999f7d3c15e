"""The outside world: ffmpeg processes, probes and readers of source files, the cache, outputs."""
