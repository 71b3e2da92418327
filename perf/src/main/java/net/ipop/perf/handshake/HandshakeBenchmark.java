package net.ipop.perf.handshake;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

import net.ipop.crypto.Suite;
import net.ipop.crypto.noise.Clock;
import net.ipop.crypto.noise.HandshakeMessages;
import net.ipop.crypto.noise.Handshaker;
import net.ipop.crypto.noise.NoiseKeyPair;
import net.ipop.crypto.noise.Outcome;
import net.ipop.crypto.noise.PeerHandshake;
import net.ipop.crypto.noise.SessionKeys;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Complete Noise_IKpsk2 handshakes per second on one thread: initiation created, consumed by the
 * responder (which writes its response and derives keys), response consumed by the initiator.
 * That is 4 X25519 agreements + 1 key generation per side, the dominant cost.
 *
 * <p>Run: {@code java -cp perf/target/classes:$(cat perf/target/jmh.classpath) org.openjdk.jmh.Main HandshakeBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class HandshakeBenchmark {
    private static final byte[] SOURCE = {(byte) 198, 51, 100, 1, 0x30, 0x39};

    @Param({"CHACHA20POLY1305", "AES256GCM"})
    public Suite suite;

    private final SteppingClock clock = new SteppingClock();
    private final byte[] message = new byte[HandshakeMessages.MAX_LENGTH];
    private final byte[] reply = new byte[HandshakeMessages.MAX_LENGTH];
    private Handshaker initiator;
    private Handshaker responder;
    private PeerHandshake responderAtInitiator;

    @Setup
    public void setUp() {
        SecureRandom random = new SecureRandom();
        NoiseKeyPair a = NoiseKeyPair.generate(random);
        NoiseKeyPair b = NoiseKeyPair.generate(random);
        initiator = new Handshaker(suite, a, clock, random);
        responder = new Handshaker(suite, b, clock, random);
        responderAtInitiator = initiator.addPeer(1, b.publicKey(), null);
        responder.addPeer(2, a.publicKey(), null);
    }

    @Benchmark
    public SessionKeys handshake() {
        // Each initiation must carry a newer timestamp and respect the responder's 50/s per-peer limit.
        clock.step();
        initiator.createInitiation(responderAtInitiator, message, 0);
        Outcome r = responder.consume(message, 0, HandshakeMessages.INITIATION_LENGTH, SOURCE, 0, SOURCE.length, reply, 0);
        if (r != Outcome.INITIATION_ACCEPTED) {
            throw new IllegalStateException("responder: " + r);
        }
        responder.releaseIndex(responder.lastKeys().localIndex());
        Outcome i = initiator.consume(reply, 0, HandshakeMessages.RESPONSE_LENGTH, SOURCE, 0, SOURCE.length, message, 0);
        if (i != Outcome.RESPONSE_ACCEPTED) {
            throw new IllegalStateException("initiator: " + i);
        }
        SessionKeys keys = initiator.lastKeys();
        initiator.releaseIndex(keys.localIndex());
        return keys;
    }

    /** Moves monotonic and wall time one second per handshake. */
    static final class SteppingClock implements Clock {
        private long nanos = 1_000_000_000_000L;
        private long epochNanos = System.currentTimeMillis() * 1_000_000L;

        void step() {
            nanos += 1_000_000_000L;
            epochNanos += 1_000_000_000L;
        }

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public long epochNanos() {
            return epochNanos;
        }
    }
}
