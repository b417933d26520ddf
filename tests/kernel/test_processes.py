import subprocess
import sys

from kernel.processes import has_died, local_pid, this_host, this_process


def test_this_process_is_alive_and_local() -> None:
    assert local_pid(this_process()) is not None
    assert not has_died(this_process())


def test_a_finished_process_of_this_host_has_died() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert has_died(f"{this_host()}:{child.pid}")


def test_another_hosts_process_never_has_died_here() -> None:
    assert local_pid(f"not-{this_host()}:1") is None
    assert not has_died(f"not-{this_host()}:999999999")


def test_a_process_string_without_a_pid_is_not_local() -> None:
    assert local_pid(f"{this_host()}:") is None
    assert local_pid(f"{this_host()}:12a") is None
    assert local_pid(this_host()) is None
