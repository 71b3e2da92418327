package net.ipop.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import net.ipop.control.ipc.EventAdapter;
import net.ipop.control.ipc.EventListener;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;

/**
 * Fuzz targets for what the control plane reads from users and from the data plane: the node
 * config file ({@link NodeConfigParser}: any bytes give a config or a {@link ConfigException} whose
 * problems each carry a message, never another exception) and the event decoders behind the
 * {@link EventAdapter} (a message is dispatched or skipped; reading it, variable-length data
 * included, stays inside it). See docs/reliability.md, "Fuzzing".
 */
class ControlPlaneFuzzTest {
    private static final Path DIR;
    private static final EventAdapter EVENTS = new EventAdapter(new ReadEverything());

    static {
        try {
            DIR = Files.createTempDirectory("ipop-fuzz-config");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @AfterAll
    static void free() throws IOException {
        try (Stream<Path> walk = Files.walk(DIR)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Input: the bytes of a node config file. */
    @FuzzTest
    void config(byte[] data) throws IOException {
        Path file = DIR.resolve("node.yaml");
        Files.write(file, data);
        try {
            NodeConfig config = NodeConfigParser.parse(file);
            assertTrue(config != null);
        } catch (ConfigException e) {
            assertFalse(e.problems().isEmpty(), "a ConfigException without problems");
            for (ConfigProblem p : e.problems()) {
                assertTrue(p.message() != null && !p.message().isBlank(), "a problem without a message: " + p);
            }
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a ConfigException without a message");
        }
    }

    /** Input: one message as the event subscription would deliver it. */
    @FuzzTest
    void events(byte[] data) {
        long before = EVENTS.skipped();
        ReadEverything.dispatched = 0;
        EVENTS.onFragment(new UnsafeBuffer(data), 0, data.length, null);
        assertEquals(1, EVENTS.skipped() - before + ReadEverything.dispatched, "neither dispatched nor skipped");
    }

    /** Every target above on one input (the first byte picks), for the bounded run in the build. */
    @FuzzTest
    void fuzzAll(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        if ((data[0] & 1) == 0) {
            config(rest);
        } else {
            events(rest);
        }
    }

    /** Reads every field, as NodeEvents does (the punted payload into a 64 KiB buffer). */
    private static final class ReadEverything implements EventListener {
        static int dispatched;
        private final byte[] payload = new byte[65536];
        private final StringBuilder sink = new StringBuilder();

        @Override
        public void onCommandResult(CommandResultDecoder event) {
            dispatched++;
            sink.setLength(0);
            sink.append(event);
        }

        @Override
        public void onPuntedPacket(PuntedPacketDecoder event) {
            dispatched++;
            event.source().port();
            int length = event.payloadLength();
            if (length <= payload.length) {
                event.getPayload(payload, 0, length);
            }
        }

        @Override
        public void onSessionEvent(SessionEventDecoder event) {
            dispatched++;
            sink.setLength(0);
            sink.append(event);
        }

        @Override
        public void onPeerState(PeerStateDecoder event) {
            dispatched++;
            sink.setLength(0);
            sink.append(event);
        }

        @Override
        public void onStateDone(StateDoneDecoder event) {
            dispatched++;
            sink.setLength(0);
            sink.append(event);
        }
    }
}
