package net.ipop.control.config;

import java.net.InetAddress;
import java.util.Optional;

/**
 * The UDP socket the node receives on.
 *
 * @param port    1..65535, or 0 to let the kernel pick one
 * @param address the literal address to bind, or empty for every address of the host
 */
public record ListenConfig(int port, Optional<InetAddress> address) {
}
