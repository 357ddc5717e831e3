"""Our thin layer over the local cloud (MiniStack): install, start/stop, runner, workarounds."""
