package net.ipop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.ipop.crypto.aead.AeadImplementation;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

class DoctorCommandTest {
    @Test
    @Privileged
    void everyCheckPassesOnThisMachineAndNothingIsLeftOnTheHost() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = IpopCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "doctor", "--json");
        String json = out.toString();
        assertEquals(0, code, json + err);
        for (String check : List.of("udp gso/gro", "tun device", "multi-queue tun", "tun offloads", "rtnetlink", "io_uring", "packet round trip")) {
            assertTrue(json.contains("{\"check\":\"" + check + "\",\"result\":\"ok\""), check + " in " + json);
        }
        // ci/install-deps.sh installs libgcrypt20 and libipsec-mb1, so AES-256-GCM runs in one of them.
        String aes = AeadImplementation.aes256gcm();
        assertTrue(aes.equals("libIPSec_MB") || aes.equals("libgcrypt"), AeadImplementation.describe());
        assertTrue(json.contains("{\"check\":\"transport cipher\",\"result\":\"ok\""), json);
        String links = TestNamespace.Cmd.run("ip", "-o", "link", "show");
        assertFalse(links.contains("ipopdoc"), "the doctor's devices stay in its private namespace: " + links);
    }

    @Test
    void tableShowsHintsUnderFailuresAndJsonEscapes() {
        List<Check> checks = List.of(Check.ok("java", "25"), Check.fail("tun \"device\"", "missing", "modprobe tun"));
        String table = Check.table(checks);
        assertTrue(table.contains("fail   missing"), table);
        assertTrue(table.contains("-> modprobe tun"), table);
        assertEquals("[{\"check\":\"java\",\"result\":\"ok\",\"detail\":\"25\",\"hint\":\"\"},"
                + "{\"check\":\"tun \\\"device\\\"\",\"result\":\"fail\",\"detail\":\"missing\",\"hint\":\"modprobe tun\"}]",
                Check.toJson(checks));
    }
}
