package net.ipop.perf.bench;

import java.util.Locale;

/**
 * What the target names of {@code perf/bench.sh} stand for: the raw link, our overlay (any target
 * named {@code ipop...}) or a peer VPN (everything else), and how each is labelled in the report.
 */
final class BenchTargets {
    static final String RAW = "raw";
    /** The overlay with its default suite: the one the mission's goals are checked on. */
    static final String IPOP = "ipop-aes";
    static final String WIREGUARD = "wireguard-go";

    private BenchTargets() {
    }

    static boolean isOurs(String target) {
        return target.startsWith("ipop");
    }

    static boolean isPeer(String target) {
        return !target.equals(RAW) && !isOurs(target);
    }

    /** The column heading for a target; unknown names are shown as they are. */
    static String label(String target) {
        if (target.startsWith("ipop-aes-q")) {
            return "IPOP aes256gcm, " + target.substring("ipop-aes-q".length()) + " queues";
        }
        return switch (target.toLowerCase(Locale.ROOT)) {
            case RAW -> "raw veth";
            case IPOP -> "IPOP aes256gcm";
            case "ipop-chacha" -> "IPOP chacha20poly1305";
            case "nebula" -> "Nebula";
            case "tinc" -> "tinc 1.0";
            case "openvpn" -> "OpenVPN";
            default -> target;
        };
    }
}
