"""The EDL contract as typed, validated data: reading a file, locating every field. No ffmpeg, no I/O beyond the EDL."""
