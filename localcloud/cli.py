"""python -m localcloud: the local cloud's commands, each failing with one clear line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from localcloud import inner_loop, instance, logs, ministack, package_check, runner_check, stale_state, templates
from localcloud.errors import LocalCloudError
from localcloud.settings import Settings


def on_off(flag: bool) -> str:
    return "on" if flag else "off"


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    current, started = instance.up(settings)
    verb = "started" if started else "already running"
    runner = f", Lambda runner pid {current.runner_pid}" if current.runner_pid else ""
    # A running cloud keeps the flags it started with, whatever this call asked for.
    running = ministack.running_flags(current.pid) if current.pid else {}
    auth, persist = running.get("auth", settings.auth), running.get("persist", settings.persist)
    print(
        f"local cloud {verb} at {settings.endpoint} (pid {current.pid}{runner}, "
        f"IAM enforcement {on_off(auth)}, state persistence {on_off(persist)}; log: {settings.log_file})"
    )
    if (auth, persist) != (settings.auth, settings.persist):
        print(
            f"note: asked for IAM enforcement {on_off(settings.auth)} and state persistence "
            f"{on_off(settings.persist)}; `make down` first to start it that way"
        )
    return 0


def cmd_down(settings: Settings, args: argparse.Namespace) -> int:
    if instance.down(settings):
        print(f"local cloud on port {settings.port} stopped, with its Lambda workers")
    else:
        print(f"local cloud on port {settings.port} was not running")
    if args.forget_state and instance.forget_state(settings):
        print(f"its saved state is forgotten ({settings.state_dir}); the next start is fresh")
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    current = instance.status(settings)
    if not current.running:
        print(f"local cloud on port {settings.port}: not running (make up starts it)")
        return 3
    health = "healthy" if current.healthy else "NOT answering"
    runner = f"running (pid {current.runner_pid})" if current.runner_pid else "off"
    print(
        f"local cloud on port {settings.port}: running (pid {current.pid}), {health} at {settings.endpoint}\n"
        f"  Lambda runner: {runner}\n  log: {settings.log_file}"
    )
    return 0 if current.healthy else 1


COMMANDS: dict[str, tuple[Callable[[Settings, argparse.Namespace], int], str]] = {
    "up": (cmd_up, "start the local cloud in the background (creates its virtualenv if missing)"),
    "down": (cmd_down, "stop the local cloud and every process it started"),
    "status": (cmd_status, "say whether the local cloud runs and answers"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    parsers = {name: sub.add_parser(name, help=help_text) for name, (_, help_text) in COMMANDS.items()}
    parsers["down"].add_argument(
        "--forget-state", action="store_true", help="also delete the state saved with LOCALCLOUD_PERSIST=true"
    )
    logs.add_parser(sub)
    stale_state.add_parser(sub)
    package_check.add_parser(sub)
    inner_loop.add_parser(sub)
    templates.add_parser(sub)
    runner_check.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command in COMMANDS:
            return COMMANDS[args.command][0](settings, args)
        return args.run(settings, args)
    except LocalCloudError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as err:
        # e.g. the local cloud stopped while `logs --follow` or the stale-state check talked to it
        print(f"error: {err} (is the target reachable? `make status` on the local target)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `make logs | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
