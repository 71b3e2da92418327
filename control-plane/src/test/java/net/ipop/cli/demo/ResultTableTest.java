package net.ipop.cli.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The table's layout, and the package each missing program brings. */
class ResultTableTest {
    @Test
    void rowsAreAlignedAndAMissingRttIsADash() {
        String table = ResultTable.format(List.of(
                new PairResult("alpha", "beta", 5, 5, 0.612, 812.4, "forwarded via hub"),
                new PairResult("beta", "hub", 5, 0, Double.NaN, 0, "direct")));
        assertEquals("""
                  pair           path                       ping   RTT avg   throughput
                  alpha -> beta  forwarded via hub   5/5 replies   0.61 ms   812 Mbit/s
                  beta -> hub    direct              0/5 replies         -     0 Mbit/s
                """.replace("  pair           path", "  pair            path")
                .replace("alpha -> beta  forwarded", "alpha -> beta   forwarded")
                .replace("beta -> hub    direct", "beta -> hub     direct"), table);
    }

    @Test
    void jsonHasEveryFieldAndNullForAMissingRtt() {
        assertEquals("{\"ok\":false,\"pairs\":[{\"from\":\"alpha\",\"to\":\"beta\",\"path\":\"forwarded via hub\","
                + "\"pingsSent\":5,\"pingsReceived\":5,\"rttAvgMs\":0.612,\"throughputMbitPerSecond\":812.4},"
                + "{\"from\":\"beta\",\"to\":\"hub\",\"path\":\"direct\",\"pingsSent\":5,\"pingsReceived\":0,"
                + "\"rttAvgMs\":null,\"throughputMbitPerSecond\":0.0}]}",
                ResultTable.json(List.of(
                        new PairResult("alpha", "beta", 5, 5, 0.612, 812.4, "forwarded via hub"),
                        new PairResult("beta", "hub", 5, 0, Double.NaN, 0, "direct")), false));
    }

    @Test
    void missingProgramsMapToTheirPackagesOnce() {
        assertEquals(List.of(), Prerequisites.missingPackages(Prerequisites.PROGRAMS.keySet()));
        Set<String> withoutProsody = new java.util.HashSet<>(Prerequisites.PROGRAMS.keySet());
        withoutProsody.removeAll(Set.of("prosody", "prosodyctl", "turnserver"));
        assertEquals(List.of("prosody", "coturn"), Prerequisites.missingPackages(withoutProsody));
    }
}
