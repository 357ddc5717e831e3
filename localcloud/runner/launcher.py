"""The process of one execution environment, started before a function needs it.

It does what AWS's python3.12 runtime does in /var/runtime/bootstrap.py (the
function's code, then the runtime's folder, on the path; then the runtime
client's main with the handler), split in two so that a cold start does not
wait for the interpreter: the runner keeps one such process started ahead,
which imports the runtime client's dependencies (the modules it would load
before the handler anyway) and then waits for an environment, sent as one
JSON line on stdin. Run as `python3.12 -I -S -B launcher.py`; standard library only.
"""

import os
import sys
import time

sys.path.insert(0, os.environ["LAMBDA_RUNTIME_DIR"])

# What awslambdaric imports; none reads the environment when imported, unlike awslambdaric itself
# and its runtime_client extension (which reads AWS_LAMBDA_RUNTIME_API when loaded).
import concurrent.futures  # noqa: F401
import decimal  # noqa: F401
import json
import logging  # noqa: F401
import traceback  # noqa: F401

import simplejson  # noqa: F401

line = sys.stdin.readline()
if not line:
    sys.exit(0)  # the runner shut down before handing this process a function
environment = json.loads(line)
os.environ.clear()
os.environ.update(environment)
time.tzset()
task_root = environment["LAMBDA_TASK_ROOT"]
os.chdir(task_root)
sys.path.insert(0, task_root)

from awslambdaric.__main__ import main  # noqa: E402

main([task_root, environment["_HANDLER"]])
