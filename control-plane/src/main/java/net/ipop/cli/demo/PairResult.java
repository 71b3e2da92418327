package net.ipop.cli.demo;

/**
 * What the demo measured between two nodes, from {@code from} to {@code to} across the overlay.
 *
 * @param from           the node that pinged and sent the iperf3 stream
 * @param to             the node that answered and received it
 * @param pingsSent      echo requests sent
 * @param pingsReceived  echo replies received
 * @param rttAvgMs       mean round-trip time of the replies, ms (NaN without replies)
 * @param mbitPerSecond  iperf3 TCP throughput as the receiver counted it, Mbit/s (0 if it failed)
 * @param path           how the packets went, as the nodes report it: "direct", "relayed via TURN", "forwarded
 *                       via NAME" or "none" (the sending node's status; in static mode its data planes' counters)
 */
record PairResult(String from, String to, int pingsSent, int pingsReceived, double rttAvgMs, double mbitPerSecond,
                  String path) {
}
