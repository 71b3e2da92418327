package net.ipop.control.ice;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records what a session reports, for tests to wait on. */
final class RecordingIceListener implements IceListener {
    final LinkedBlockingQueue<SelectedPath> selected = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> failures = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> probeFailures = new LinkedBlockingQueue<>();

    @Override
    public void onSelected(SelectedPath path) {
        selected.add(path);
    }

    @Override
    public void onFailed(String reason) {
        failures.add(reason);
    }

    @Override
    public void onProbeFailed(String reason) {
        probeFailures.add(reason);
    }

    /** The next selected path, failing the test with the failure reason or a timeout. */
    SelectedPath awaitSelected(int seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            SelectedPath p = selected.poll(100, TimeUnit.MILLISECONDS);
            if (p != null) {
                return p;
            }
            String f = failures.peek();
            if (f != null) {
                throw new AssertionError("ICE failed instead of selecting a path: " + f);
            }
        }
        throw new AssertionError("no path selected within " + seconds + " s");
    }
}
