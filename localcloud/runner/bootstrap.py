"""The worker: one execution environment of one function version.

Started as `python3.12 -I -S bootstrap.py`, so neither the user's site-packages
nor the local cloud's reach it; the path is the function's code, the standard
library and the runtime's SDK, in the order AWS's runtime uses. It talks to the
runner with one JSON object per line on its original stdout; the handler's own
output is sent back as log frames. Standard library only.
"""

import importlib
import json
import os
import sys
import time
import traceback

CHANNEL = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
# Anything written to fd 1 below Python (C extensions, subprocesses) must not
# corrupt the protocol: send it to stderr, which the runner logs as well.
os.dup2(2, 1)


def send(frame):
    CHANNEL.write(json.dumps(frame) + "\n")
    CHANNEL.flush()


class LogStream:
    """sys.stdout/sys.stderr: every line the handler writes becomes a log frame."""

    def __init__(self):
        self.pending = ""

    def write(self, text):
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            send({"t": "log", "m": line})
        return len(text)

    def flush(self):
        if self.pending:
            send({"t": "log", "m": self.pending})
            self.pending = ""

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"


class LambdaContext:
    """The context object of AWS's Python runtime (awslambdaric), same attributes and types."""

    def __init__(self, request):
        self.aws_request_id = request["request_id"]
        self.invoked_function_arn = request["invoked_function_arn"]
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def error_frame(error_type, message, tb=None):
    frame = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}
    if tb is not None:
        # As in AWS's runtime: only the function's frames, each ending in a newline.
        user_frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
        frame["stackTrace"] = traceback.format_list(user_frames)
    return frame


def load_handler():
    """Import the handler as the runtime does, with its error types for each failure."""
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as err:
        return None, error_frame("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {err}")
    except ImportError as err:
        return None, error_frame("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {err}")
    except Exception as err:  # noqa: BLE001 - any init failure is reported, as the runtime does
        return None, error_frame(type(err).__name__, str(err), err.__traceback__)
    handler = getattr(module, function_name, None)
    if handler is None:
        return None, error_frame(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        )
    return handler, None


def serve():
    code_dir = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, code_dir)
    sys.path.append(os.environ["LAMBDA_RUNTIME_DIR"])
    os.chdir(code_dir)
    sys.stdout = LogStream()
    sys.stderr = LogStream()
    started = time.perf_counter()
    handler, init_error = load_handler()
    send({"t": "ready", "init_ms": (time.perf_counter() - started) * 1000, "error": init_error})
    if init_error is not None:
        return
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("trace_id"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
        frame = None
        try:
            result = handler(request["event"], LambdaContext(request))
        except Exception as err:  # noqa: BLE001 - the function's error goes back in AWS's shape
            frame = error_frame(type(err).__name__, str(err), err.__traceback__)
        else:
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as err:
                frame = error_frame("Runtime.MarshalError", f"Unable to marshal response: {err}")
        sys.stdout.flush()
        sys.stderr.flush()
        if frame is None:
            send({"t": "ok", "payload": payload})
        else:
            frame["requestId"] = request["request_id"]
            send({"t": "err", "error": frame})


if __name__ == "__main__":
    serve()
