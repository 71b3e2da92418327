package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.ipop.ipc.counters.CountersFile;
import net.ipop.ipc.counters.CountersLayout;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.control.status.JsonText;

class StatsCommandTest {
    @TempDir
    Path dir;

    /** A file as a data plane with two pipelines would leave it, written through the layout contract. */
    private CountersFile writeFile(Path path) throws IOException {
        CountersFile file = CountersFile.create(path, 32, 2, 1000, System.currentTimeMillis());
        CountersManager m = new CountersManager(file.metadataBuffer(), file.valuesBuffer());
        for (int q = 0; q < 2; q++) {
            int queue = q;
            m.setCounterValue(m.allocate("tx bytes", CountersLayout.PEER_TX_BYTES,
                    k -> CountersLayout.putKey(k, queue, 70, "alice \"a\"")), 3L << 30);
            m.setCounterValue(m.allocate("tx packets", CountersLayout.PEER_TX_PACKETS,
                    k -> CountersLayout.putKey(k, queue, 70, "alice \"a\"")), 1_200_000);
            m.setCounterValue(m.allocate("rx bytes", CountersLayout.PEER_RX_BYTES,
                    k -> CountersLayout.putKey(k, queue, 3, "bob")), 768);
            m.setCounterValue(m.allocate("bob auth", CountersLayout.PEER_DROPS,
                    k -> CountersLayout.putPeerDropKey(k, queue, DropReason.AUTH_FAILED, 3, "bob")), 1);
            m.setCounterValue(m.allocate("auth", CountersLayout.DROP,
                    k -> CountersLayout.putKey(k, queue, DropReason.AUTH_FAILED.code())), 2);
            m.setCounterValue(m.allocate("tun reads", CountersLayout.GLOBAL,
                    k -> CountersLayout.putKey(k, queue, GlobalCounter.TUN_READS.code())), 1_000_000);
        }
        return file;
    }

    @Test
    void printsTablesWithHumanUnits() throws IOException {
        Path path = dir.resolve("ipop0.counters");
        try (CountersFile file = writeFile(path)) {
            Result r = run("stats", "--file", file.path().toString());
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.contains("pid " + ProcessHandle.current().pid() + " (alive)"), r.out);
            assertTrue(r.out.contains("2 queues"), r.out);
            assertTrue(r.out.matches("(?s).*alice \"a\"\\s+70\\s+6\\.0 GiB\\s+2\\.4M\\s+0 B\\s+0\\s+0\\n.*"), r.out);
            assertTrue(r.out.matches("(?s).*bob\\s+3\\s+0 B\\s+0\\s+1\\.5 KiB\\s+0\\s+2\\n.*"), r.out);
            assertTrue(r.out.contains("DROPS BY PEER (where the peer was known)\n  bob (id 3): auth failed 2\n"), r.out);
            assertTrue(r.out.contains("DROPS (4)"), r.out);
            assertTrue(r.out.matches("(?s).*auth failed\\s+4\\n.*"), r.out);
            assertTrue(r.out.matches("(?s).*tun reads\\s+2,000,000\\n.*"), r.out);
            assertTrue(r.out.indexOf("bob") < r.out.indexOf("alice"), "peers in id order: " + r.out);
        }
    }

    @Test
    void printsJson() throws IOException {
        Path path = dir.resolve("ipop0.counters");
        try (CountersFile file = writeFile(path)) {
            Result r = run("stats", "--json", "--file", file.path().toString());
            assertEquals(0, r.code, r.err);
            String json = r.out.strip();
            assertTrue(json.startsWith("{\"file\":" + JsonText.write(file.path().toString()) + ",\"writer\":{\"pid\":"
                    + ProcessHandle.current().pid() + ",\"liveness\":\"alive\",\"startTime\":\""), json);
            assertTrue(json.contains(",\"peers\":[{\"id\":3,\"name\":\"bob\",\"txBytes\":0,\"txPackets\":0,\"rxBytes\":1536,"
                    + "\"rxPackets\":0,\"drops\":{\"replay\":0,\"auth_failed\":2,\"no_route\":0,"), json);
            assertTrue(json.contains("\"loop\":0,\"unknown_channel\":0}},{\"id\":70,\"name\":\"alice \\\"a\\\"\",\"txBytes\":6442450944,"
                    + "\"txPackets\":2400000,\"rxBytes\":0,\"rxPackets\":0,\"drops\":{\"replay\":0,\"auth_failed\":0,"), json);
            assertTrue(json.contains("\"loop\":0,\"unknown_channel\":0}}],\"drops\":{"), json);
            assertTrue(json.contains("\"drops\":{\"replay\":0,\"auth_failed\":4,\"no_route\":0,"), json);
            assertTrue(json.endsWith("\"globals\":{\"tun_reads\":2000000,\"udp_sends\":0,\"gso_fallbacks\":0,\"punted\":0,"
                    + "\"forwarded\":0,\"keepalives_sent\":0,\"busy_cycles\":0,\"busy_nanos\":0}}"),
                    json);
        }
    }

    @Test
    void aDeadWritersValuesAreShownWithAWarningAndExit3() throws Exception {
        Path path = dir.resolve("ipop0.counters");
        try (CountersFile file = writeFile(path)) {
            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, gone.pid()),
                        CountersLayout.PID_OFFSET);
            }
            Result r = run("stats", "--file", path.toString());
            assertEquals(3, r.code);
            assertTrue(r.out.contains("(exited)") && r.out.contains("alice"), r.out);
            assertTrue(r.err.startsWith("ipop stats: the data plane that writes " + path + " is not running (pid "
                    + gone.pid() + " has exited"), r.err);
        }
    }

    @Test
    void badFilesAreOneClearLine() throws IOException {
        Result r = run("stats", "--file", dir.resolve("nope.counters").toString());
        assertEquals(3, r.code);
        assertTrue(r.err.contains("no such file"), r.err);

        Path junk = Files.write(dir.resolve("junk.counters"), new byte[4096]);
        r = run("stats", "--file", junk.toString());
        assertEquals(1, r.code);
        assertTrue(r.err.startsWith("ipop stats: " + junk + ": not an IPOP counters file"), r.err);
        assertEquals("", r.out);
    }

    @Test
    void locatesTheOnlyFileOrSaysWhatToDo() throws IOException {
        CliError none = assertThrows(CliError.class, () -> StatsCommand.locate(dir.resolve("missing")));
        assertEquals("no running IPOP data plane found (looked in " + dir.resolve("missing")
                + "); start one with ipop up, or pass --file", none.getMessage());
        assertEquals(IpopCommand.EXIT_NOT_RUNNING, none.exitCode);

        Path a = Files.createFile(dir.resolve("a.counters"));
        Files.createFile(dir.resolve(".a.counters.123.tmp"));
        assertEquals(a, StatsCommand.locate(dir));

        Files.createFile(dir.resolve("b.counters"));
        CliError several = assertThrows(CliError.class, () -> StatsCommand.locate(dir));
        assertEquals("several data planes keep counters in " + dir + ": a.counters b.counters; choose one with --file PATH",
                several.getMessage());
        assertEquals(IpopCommand.EXIT_USAGE, several.exitCode);
    }

    @Test
    void humanUnits() {
        assertEquals("0 B", StatsReport.bytes(0));
        assertEquals("1023 B", StatsReport.bytes(1023));
        assertEquals("1.5 KiB", StatsReport.bytes(1536));
        assertEquals("8.0 EiB", StatsReport.bytes(Long.MAX_VALUE));
        assertEquals("9999", StatsReport.count(9999));
        assertEquals("1.2M", StatsReport.count(1_234_567));
        assertEquals("0.4 s", StatsReport.age(400));
        assertEquals("2.0 h", StatsReport.age(7_200_000));
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }
}
