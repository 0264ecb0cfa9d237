"""Record raw /proc reads of threads in known waits, for tests/test_waits.py (run by hand).

Usage: python tests/data/waits/capture.py PYTHON... > tests/data/waits/recorded.json

For each Python, a child runs two threads of each of issue 20's four
functions (tests/fixtures/waits_tasks.py) and reports its GIL's address
ranges; this process reads its threads' stat and syscall files from outside,
as the sidecar does, and keeps the raw text. Nothing is classified here.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CHILD = """
import json, sys, threading, time
sys.path[:0] = [{src!r}, {tests!r}]
from threadlab.worker._waits import gil_ranges
from fixtures import waits_tasks
fn = getattr(waits_tasks, sys.argv[1])
def loop():
    while True:
        fn()
threads = [threading.Thread(target=loop, daemon=True) for _ in range(2)]
for t in threads:
    t.start()
print(json.dumps({{"gil": gil_ranges(), "tids": [t.native_id for t in threads]}}), flush=True)
time.sleep(30)
"""


def read(path):
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return None


def main():
    out = []
    code = CHILD.format(src=os.path.join(ROOT, "src"), tests=os.path.join(ROOT, "tests"))
    for python in sys.argv[1:]:
        for function in ("count_loop", "locked_sleep", "sleep_20ms", "sha256_4mb"):
            child = subprocess.Popen([python, "-c", code, function], stdout=subprocess.PIPE, text=True)
            hello = json.loads(child.stdout.readline())
            version = subprocess.check_output(
                [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], text=True
            )
            time.sleep(0.2)
            reads = []
            for _ in range(15):
                for tid in hello["tids"]:
                    base = f"/proc/{child.pid}/task/{tid}/"
                    stat = read(base + "stat")
                    state = stat.rpartition(")")[2].split()[0]
                    reads.append(
                        {"state": state, "syscall": read(base + "syscall") if state != "R" else None}
                    )
                time.sleep(0.003)
            child.kill()
            child.wait()
            out.append(
                {
                    "python": version.strip(),
                    "machine": os.uname().machine,
                    "function": function,
                    "gil": hello["gil"],
                    "reads": reads,
                }
            )
    json.dump(out, sys.stdout, indent=1)


main()
