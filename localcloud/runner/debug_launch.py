"""Run a worker under debugpy: python3.12 -I debug_launch.py DEBUGPY_DIR PORT (SCRIPT | -m MODULE) [ARGS...]

Started in the worker's own isolated interpreter, standard library only.
debugpy's listener is a helper process that outlives this one and inherits
its standard streams; the worker may use those (stdin and stdout carry its
protocol), so the helper gets /dev/null and stderr instead. Then it waits
for the IDE to attach and runs the worker as it would have run.
"""

import os
import runpy
import socket
import sys
import time

# The listener of a worker that just ended lingers until the IDE notices and disconnects.
PORT_FREE_WAIT_SECONDS = 10


def wait_for_port(port):
    deadline = time.monotonic() + PORT_FREE_WAIT_SECONDS
    while True:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.1)


def listen(debugpy_dir, port):
    sys.path.append(debugpy_dir)  # only in this mode: the worker is isolated (-I) otherwise
    import debugpy

    wait_for_port(port)
    stdin, stdout = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    try:
        debugpy.listen(("127.0.0.1", port))
    finally:
        os.dup2(stdin, 0)
        os.dup2(stdout, 1)
        for fd in (null, stdin, stdout):
            os.close(fd)
    debugpy.wait_for_client()


def main():
    debugpy_dir, port, *target = sys.argv[1:]
    listen(debugpy_dir, int(port))
    if target[0] == "-m":
        sys.argv = target[1:]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = target
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main()
