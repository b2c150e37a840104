"""Media facts and tools shared by the bot and the engine: finding ffmpeg, probing a file, fonts by script."""
