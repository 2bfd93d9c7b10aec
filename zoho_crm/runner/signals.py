"""SIGTERM and SIGINT stop a run cleanly, the way schedulers (Airflow, Kubernetes, systemd, GitHub Actions) stop a
task before they SIGKILL it after a grace period.

The first signal asks the run to stop (`RunStop`): during extract every Zoho call and retry gives up at once and the
extract step fails, so nothing half-fetched is loaded and no cursor moves (exit 3, "stopped by SIGTERM …: nothing
lost, run again"). During normalize and load dlt's own handlers take the signal: the running load jobs finish, no new
one starts, and the package stays pending for the next run, which loads it first. A second signal ends the process
at once: what a SIGKILL leaves is repaired by the next run.
"""

import contextlib
import signal
import threading
from typing import Any, Dict, Iterator

from dlt.common.runtime import signals as dlt_signals

from ..api.stop import RunStop
from ..errors import ZohoRunStopped

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stopping_on_signals(stop: RunStop) -> Iterator[None]:
    """While in this block, SIGTERM and SIGINT request `stop` (a second one ends the process); only in the main
    thread, where Python delivers signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: Dict[int, Any] = {sig: signal.getsignal(sig) for sig in STOPPING_SIGNALS}

    def receive(sig: int, frame: Any) -> None:
        if dlt_signals.was_signal_received():  # the second one: at once
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)
            return
        dlt_signals.set_received_signal(sig)  # dlt's extract loop stops at its next item
        # requested from a thread: a handler must not take locks the interrupted code may hold
        threading.Thread(target=stop.request, args=(ZohoRunStopped(signal.Signals(sig).name),), daemon=True).start()

    for sig in STOPPING_SIGNALS:
        signal.signal(sig, receive)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        dlt_signals.set_received_signal(0)
