"""The machine-noise monitor's readers and formulas, its report line and advice, and one real run of it.

No test asserts a physical speed figure: this machine's speed swings 2× from
one minute to the next (shared/DESIGN.md), so the real run is checked for the
shape of its readings only.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from threadlab.analysis._noise import NoiseDoubt, NoiseReport, doubts, noise_report
from threadlab.model import MachineNoise
from threadlab.orchestrate._noise import NoiseMonitor, capacity
from threadlab.orchestrate._proc import (
    cpu_mhz_from,
    others_cores,
    parse_proc_stat,
    read_cpu_mhz,
    read_proc_stat,
    steal_share,
)
from threadlab.render import machine_line
from threadlab.render._doubts import noise_notes

pytestmark = pytest.mark.timeout(30)

PROC_STAT = """\
cpu  10555 0 1924 59169 224 0 97 127 0 0
cpu0 1976 0 636 33260 25 0 46 72 0 0
cpu1 8578 0 1288 25909 198 0 50 54 0 0
intr 1234 0 0
ctxt 56789
btime 1700000000
"""

CPUINFO = """\
processor\t: 0
model name\t: Some CPU @ 2.40GHz
cpu MHz\t\t: 2445.406
cache size\t: 512 KB

processor\t: 1
model name\t: Some CPU @ 2.40GHz
cpu MHz\t\t: 1800.000
cache size\t: 512 KB
"""


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def stat(user: int = 0, system: int = 0, idle: int = 0, steal: int = 0, guest: int = 0) -> tuple[int, ...]:
    """/proc/stat counters with the named fields set (guest is also inside user, as Linux counts it)."""
    return (user, 0, system, idle, 0, 0, 0, steal, guest, 0)


# --- readers -----------------------------------------------------------------------


def test_parse_proc_stat_reads_the_all_cpu_line() -> None:
    assert parse_proc_stat(PROC_STAT) == (10555, 0, 1924, 59169, 224, 0, 97, 127, 0, 0)


def test_parse_proc_stat_fills_fields_an_old_kernel_lacks() -> None:
    assert parse_proc_stat("cpu  1 2 3 4 5 6 7\n") == (1, 2, 3, 4, 5, 6, 7, 0, 0, 0)


@pytest.mark.parametrize(
    "text",
    ["", "intr 1 2 3\n", "cpu0 1 2 3 4\n", "cpu  1 two 3 4\n", "cpu  1 2\n"],
    ids=["empty", "no-cpu-line", "per-core-only", "not-a-number", "too-few-fields"],
)
def test_parse_proc_stat_refuses_what_is_not_a_cpu_line(text: str) -> None:
    assert parse_proc_stat(text) is None


def test_read_proc_stat_reads_under_a_root(tmp_path: Path) -> None:
    write(tmp_path, "proc/stat", PROC_STAT)
    assert read_proc_stat(tmp_path) == (10555, 0, 1924, 59169, 224, 0, 97, 127, 0, 0)


def test_read_proc_stat_is_none_without_the_file(tmp_path: Path) -> None:
    assert read_proc_stat(tmp_path) is None


def test_cpu_mhz_from_prefers_sysfs_khz() -> None:
    assert cpu_mhz_from(["2400000\n", "3000000\n"], CPUINFO) == (2400.0, 3000.0)


def test_cpu_mhz_from_falls_back_to_cpuinfo() -> None:
    assert cpu_mhz_from([], CPUINFO) == (2445.406, 1800.0)
    assert cpu_mhz_from(["0\n", "garbage\n"], CPUINFO) == (2445.406, 1800.0)


def test_cpu_mhz_from_gives_nothing_for_zeros_or_nothing() -> None:
    assert cpu_mhz_from([], None) == ()
    assert cpu_mhz_from(["0\n"], "cpu MHz\t\t: 0.000\n") == ()


def test_read_cpu_mhz_reads_sysfs_under_a_root(tmp_path: Path) -> None:
    write(tmp_path, "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2400000\n")
    write(tmp_path, "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "3000000\n")
    write(tmp_path, "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq", "9999999\n")
    write(tmp_path, "proc/cpuinfo", CPUINFO)
    assert sorted(read_cpu_mhz(tmp_path)) == [2400.0, 3000.0]


def test_read_cpu_mhz_reads_cpuinfo_without_sysfs(tmp_path: Path) -> None:
    write(tmp_path, "proc/cpuinfo", CPUINFO)
    assert read_cpu_mhz(tmp_path) == (2445.406, 1800.0)


def test_read_cpu_mhz_is_empty_with_neither(tmp_path: Path) -> None:
    assert read_cpu_mhz(tmp_path) == ()


# --- formulas ----------------------------------------------------------------------


def test_capacity_is_cores_times_the_wall_ratio() -> None:
    assert capacity(2, 0.06, 0.06) == pytest.approx(2.0)
    assert capacity(2, 0.06, 0.12) == pytest.approx(1.0)
    assert capacity(4, 0.05, 0.04) == pytest.approx(5.0)  # not clamped: what was measured
    assert capacity(1, 0.05, 0.05) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("cores", "single", "parallel", "message"),
    [
        (0, 0.1, 0.1, "^cores must be 1 or more, not 0$"),
        (2, 0.0, 0.1, "^single_wall_s must be a finite number above 0, not 0.0$"),
        (2, 0.1, -1.0, "^parallel_wall_s must be a finite number above 0, not -1.0$"),
        (2, 0.1, math.inf, "^parallel_wall_s must be a finite number above 0, not inf$"),
    ],
    ids=["no-cores", "zero-single", "negative-parallel", "infinite-parallel"],
)
def test_capacity_refuses_impossible_walls(cores: int, single: float, parallel: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        capacity(cores, single, parallel)


def test_steal_share_is_steal_over_all_time_guest_not_counted_twice() -> None:
    before = stat(user=1000, system=100, idle=800, steal=100)
    # 300 user (of which 100 guest), 50 system, 600 idle, 50 steal: 1000 jiffies in all.
    after = stat(user=1300, system=150, idle=1400, steal=150, guest=100)
    assert steal_share(before, after) == pytest.approx(0.05)


def test_steal_share_is_none_when_no_time_passed() -> None:
    assert steal_share(stat(user=5, idle=5), stat(user=5, idle=5)) is None


def test_steal_share_never_leaves_0_to_1() -> None:
    # Some hypervisors' steal counter runs backwards.
    assert steal_share(stat(idle=100, steal=50), stat(idle=200, steal=40)) == 0.0


def test_others_cores_is_busy_time_less_this_process_over_elapsed() -> None:
    before = stat(user=1000, system=200, idle=5000, steal=10)
    # 10 s at 100 ticks/s on 2 cores: 2000 jiffies, of which 1500 busy (15 CPU s), 300 steal, 200 idle.
    after = stat(user=2200, system=500, idle=5200, steal=310)
    # This process and its workers used 12 CPU s: others used 3 s over 10 s.
    assert others_cores(before, after, own_cpu_s=12.0, elapsed_s=10.0, clock_ticks=100) == pytest.approx(0.3)


def test_others_cores_floors_at_zero() -> None:
    # Jiffies count whole ticks; own CPU time does not, so it can exceed them a little.
    before = stat(user=100, idle=100)
    after = stat(user=200, idle=200)
    assert others_cores(before, after, own_cpu_s=1.004, elapsed_s=1.0, clock_ticks=100) == 0.0


def test_others_cores_is_none_when_no_time_passed() -> None:
    assert others_cores(stat(), stat(), own_cpu_s=0.0, elapsed_s=0.0, clock_ticks=100) is None


# --- the report and its advice -----------------------------------------------------

STEADY = MachineNoise(
    cores=2,
    capacity_cores=(1.93, 1.95, 1.90),
    calibration_cpu_s=(0.0040, 0.0041, 0.0039, 0.0040, 0.0042, 0.0040, 0.0038, 0.0040, 0.0041, 0.0040),
    steal_share=0.0,
    others_cores=0.05,
    cpu_mhz=(2400.0, 3000.0),
    elapsed_s=30.0,
)


def test_noise_report_of_a_steady_machine() -> None:
    report = noise_report(STEADY)
    assert report.speed_variation == pytest.approx(0.055)
    assert report == NoiseReport(
        cores=2,
        capacity=1.93,
        capacity_low=False,
        speed_variation=report.speed_variation,
        calibrations=10,
        steal_share=0.0,
        others_cores=0.05,
        cpu_mhz=(2400.0, 3000.0),
    )
    assert machine_line(report) == (
        "machine: 2 cores, 1.93 usable in parallel; speed varied 6% over 10 calibrations; "
        "steal 0.0%; other programs used 0.05 cores; 2400–3000 MHz"
    )
    assert doubts(report) == noise_notes(report) == ()


def test_noise_report_of_a_busy_machine() -> None:
    noise = MachineNoise(
        cores=2,
        capacity_cores=(1.02, 1.10),
        calibration_cpu_s=(0.004, 0.008, 0.004, 0.008, 0.006),
        steal_share=0.035,
        others_cores=0.6,
        cpu_mhz=(2445.406, 2445.406),
        elapsed_s=30.0,
    )
    report = noise_report(noise)
    assert report.capacity == pytest.approx(1.06)
    assert report.capacity_low
    assert report.speed_variation == pytest.approx(2 / 3)
    assert machine_line(report) == (
        "machine: 2 cores, 1.06 usable in parallel (cores were held back: speedups are capped near 1.1×); "
        "speed varied 67% over 5 calibrations; steal 3.5%; other programs used 0.60 cores; 2445 MHz"
    )
    assert doubts(report) == (
        NoiseDoubt.SPEED_VARIED,
        NoiseDoubt.CAPACITY_LOW,
        NoiseDoubt.STEAL,
        NoiseDoubt.OTHER_PROGRAMS,
    )
    assert noise_notes(report) == (
        "the machine's speed varied 67% during the run: give it more time or close other programs",
        "only 1.06 of the 2 cores could run in parallel: speedups above about 1.1× could not show; "
        "run again when the machine is quieter",
        "the hypervisor took 3.5% of the CPU time for other machines: "
        "run again later, or on a machine that is not shared",
        "other programs used 0.60 cores during the run: close them and run again",
    )


def test_noise_report_leaves_out_what_was_not_read() -> None:
    report = noise_report(MachineNoise(cores=1, calibration_cpu_s=(0.004, 0.004, 0.004, 0.004)))
    assert (report.capacity, report.speed_variation, report.steal_share) == (None, None, None)
    assert not report.capacity_low
    assert machine_line(report) == "machine: 1 core"
    assert doubts(report) == noise_notes(report) == ()


def test_a_single_core_machine_is_never_capacity_low() -> None:
    report = noise_report(MachineNoise(cores=1, capacity_cores=(0.4,)))
    assert not report.capacity_low
    assert machine_line(report) == "machine: 1 core, 0.40 usable in parallel"


@pytest.mark.parametrize(
    ("noise", "starts"),
    [
        (
            MachineNoise(cores=2, calibration_cpu_s=(1.0, 1.0, 1.0, 1.0, 1.2)),
            "the machine's speed varied 12%",
        ),
        (MachineNoise(cores=4, capacity_cores=(3.4,)), "only 3.40 of the 4 cores"),
        (MachineNoise(cores=2, steal_share=0.021), "the hypervisor took 2.1%"),
        (MachineNoise(cores=2, others_cores=0.26), "other programs used 0.26 cores"),
    ],
    ids=["speed", "capacity", "steal", "others"],
)
def test_advice_triggers_past_each_threshold(noise: MachineNoise, starts: str) -> None:
    notes = noise_notes(noise_report(noise))
    assert len(notes) == 1
    assert notes[0].startswith(starts)
    assert "--" not in notes[0]  # words, not command-line options


@pytest.mark.parametrize(
    "noise",
    [
        MachineNoise(cores=2, calibration_cpu_s=(1.0, 1.0, 1.0, 1.0, 1.16)),  # varied 9.6%
        MachineNoise(cores=4, capacity_cores=(3.5,)),
        MachineNoise(cores=2, steal_share=0.02),
        MachineNoise(cores=2, others_cores=0.25),
    ],
    ids=["speed", "capacity", "steal", "others"],
)
def test_advice_is_silent_up_to_each_threshold(noise: MachineNoise) -> None:
    assert doubts(noise_report(noise)) == ()


# --- the monitor, for real ---------------------------------------------------------


def test_finish_before_start_is_refused() -> None:
    monitor = NoiseMonitor()
    with pytest.raises(RuntimeError, match=r"^NoiseMonitor\.finish\(\) called before start\(\)$"):
        monitor.finish()
    with pytest.raises(RuntimeError, match=r"^NoiseMonitor\.between_rounds\(\) called before start\(\)$"):
        monitor.between_rounds()


def test_a_real_run_of_the_monitor_gives_readings_of_the_right_shape() -> None:
    monitor = NoiseMonitor()
    monitor.start()
    for _ in range(3):
        monitor.between_rounds()
    # /proc/stat counts whole clock ticks: on a quiet machine the three calibrations can
    # fall inside one, and the readings are then None ("no time passed", as documented).
    # Wait for the counters to move on (an event, not a sleep), so that they have a span.
    started, calibrations = read_proc_stat(), 3
    while started is not None and sum((read_proc_stat() or started)[:8]) - sum(started[:8]) < 2:
        monitor.between_rounds()
        calibrations += 1
    noise = monitor.finish()

    assert noise.cores >= 1
    assert len(noise.capacity_cores) == 2
    assert all(math.isfinite(c) and c > 0 for c in noise.capacity_cores)
    assert len(noise.calibration_cpu_s) == calibrations
    assert all(t > 0 for t in noise.calibration_cpu_s)
    assert noise.elapsed_s > 0
    if Path("/proc/stat").exists():
        assert noise.steal_share is not None
        assert noise.others_cores is not None
    assert machine_line(noise_report(noise)).startswith(f"machine: {noise.cores} core")
    with pytest.raises(RuntimeError, match=r"^NoiseMonitor\.finish\(\) called before start\(\)$"):
        monitor.finish()
