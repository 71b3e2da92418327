package net.ipop.control.ice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

/** The candidate record refuses what signalling must never carry, and names the bad field. */
final class IceCandidateTest {
    @Test
    void acceptsIpv6AndRejectsBadFieldsByName() throws Exception {
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        IceCandidate c = new IceCandidate("1", 1, "udp", 2130706431L, IceCandidate.Type.HOST, v6, 51820, null, 0);
        assertEquals(v6, c.socketAddress().getAddress());
        assertEquals(IceCandidate.Type.RELAYED, IceCandidate.Type.ofSdpName("relay"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new IceCandidate("1", 1, "tcp", 1, IceCandidate.Type.HOST, v6, 1, null, 0));
        assertTrue(e.getMessage().contains("udp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new IceCandidate("1", 1, "udp", 1L << 31, IceCandidate.Type.HOST, v6, 1, null, 0));
        assertTrue(e.getMessage().contains("priority"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new IceCandidate("1", 1, "udp", 1, IceCandidate.Type.HOST, v6, 0, null, 0));
        assertTrue(e.getMessage().contains("port"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new IceCandidate("1", 1, "udp", 1, IceCandidate.Type.SERVER_REFLEXIVE, v6, 1, null, 7));
        assertTrue(e.getMessage().contains("related"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IceCandidate.Type.ofSdpName("bogus"));
        assertTrue(e.getMessage().contains("bogus"), e.getMessage());
    }

    @Test
    void credentialsKeepThePasswordOutOfLogs() {
        IceCredentials c = new IceCredentials("abcd", "0123456789abcdefghijklmnop");
        assertTrue(!c.toString().contains("0123456789"), c.toString());
        assertThrows(IllegalArgumentException.class, () -> new IceCredentials("abc", "0123456789abcdefghijklmnop"));
        assertThrows(IllegalArgumentException.class, () -> new IceCredentials("abcd", "short"));
    }
}
