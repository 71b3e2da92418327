package net.ipop.cli.demo;

import java.nio.file.Path;

/**
 * One node of the demo overlay and where its files are. Everything but the Aeron directory lives in the run's
 * temporary directory; the node's pid, lock and log files go to its own run directory there (not /run/ipop), so
 * the demo never touches the files of a node the machine may run for real.
 *
 * @param name      node name (also its name in the other nodes' files)
 * @param namespace the network namespace it runs in
 * @param overlay   its overlay IPv4 address
 * @param dir       its directory: key, config, run directory, counters file
 * @param aeronDir  its data plane's Aeron directory, in /dev/shm
 */
record DemoNode(String name, String namespace, String overlay, Path dir, Path aeronDir) {
    /** The interface every node creates in its own namespace. */
    static final String INTERFACE = "ipop0";

    Path config() {
        return dir.resolve("node.yaml");
    }

    Path keyFile() {
        return dir.resolve(name + ".key");
    }

    Path passwordFile() {
        return dir.resolve("xmpp.password");
    }

    /** Its certificate from the demo's overlay CA (overlay mode). */
    Path certificateFile() {
        return dir.resolve(name + ".pem");
    }

    Path runDir() {
        return dir.resolve("run");
    }

    Path counters() {
        return dir.resolve(INTERFACE + ".counters");
    }

    Path log() {
        return runDir().resolve(INTERFACE + ".log");
    }
}
