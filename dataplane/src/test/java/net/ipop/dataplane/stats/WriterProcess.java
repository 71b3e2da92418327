package net.ipop.dataplane.stats;

import java.nio.file.Path;

import org.agrona.concurrent.SystemEpochClock;

import net.ipop.ipc.counters.DropReason;

/**
 * A stand-in data plane for {@link CrossProcessCountersTest}: writes a counters file and counts
 * until it is killed, as a crashed data plane would stop. Prints "ready" once the file exists.
 */
final class WriterProcess {
    private WriterProcess() {
    }

    public static void main(String[] args) throws Exception {
        CountersFileWriter w = CountersFileWriter.create(Path.of(args[0]), 1, 4, SystemEpochClock.INSTANCE, 100, 2000);
        w.addPeer(0, 9, "child-peer");
        PipelineCounters p = w.pipeline(0);
        System.out.println("ready");
        System.out.flush();
        while (true) {
            for (int i = 0; i < 1000; i++) {
                p.peerSent(0, 1000);
                p.drop(DropReason.MALFORMED);
            }
            w.doWork();
            Thread.sleep(1);
        }
    }
}
