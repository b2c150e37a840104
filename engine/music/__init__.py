"""Background music without bringing any: a library folder of tracks with moods (``library``), the tracks
the engine makes itself with numpy (``synth``, ``loudness``), and the mood words (``moods``, imported by
the planner without numpy).

``python -m engine.music [folder]`` makes the library ahead of first use and prints its index."""
