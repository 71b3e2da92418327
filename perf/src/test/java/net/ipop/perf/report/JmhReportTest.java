package net.ipop.perf.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JmhReportTest {
    private static final String CSV = """
            "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: size"
            "net.ipop.perf.crypto.AeadBench.encrypt","thrpt",1,3,1234.5678,12.5,"ops/ms",1420
            "net.ipop.perf.crypto.AeadBench.encrypt:gc.alloc.rate.norm","thrpt",1,3,0.001,0.0,"B/op",1420
            "net.ipop.perf.crypto.AeadBench.encrypt","thrpt",1,3,55.25,"NaN","ops/ms",65536
            """;

    @Test
    void rendersOneRowPerParameterSetWithAllocationColumn() {
        String table = JmhReport.render(Csv.parse(CSV));
        assertTrue(table.contains("| AeadBench.encrypt size=1420 | thrpt | 1,235 ± 12.500 | ops/ms | 0.001 |"), table);
        assertTrue(table.contains("| AeadBench.encrypt size=65536 | thrpt | 55.250 ± – | ops/ms |  |"), table);
        assertTrue(table.startsWith("| benchmark | mode | score | unit | alloc B/op |\n"), table);
        assertEquals(4, table.lines().count());
    }

    @Test
    void groupMethodsAndAuxCountersGetRowsProfilerFiguresDoNot() {
        String table = JmhReport.render(Csv.parse("""
                "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"
                "net.ipop.perf.handoff.RingHandoffBenchmark.handoff","thrpt",2,5,20.5,1.5,"ops/us"
                "net.ipop.perf.handoff.RingHandoffBenchmark.handoff:delivered","thrpt",2,5,0.25,0.05,"ops/us"
                "net.ipop.perf.handoff.RingHandoffBenchmark.handoff:gc.alloc.rate.norm","thrpt",2,5,0.001,0.0,"B/op"
                "net.ipop.perf.handoff.RingHandoffBenchmark.handoff:gc.count","thrpt",2,5,0,0,"counts"
                """));
        assertTrue(table.contains("| RingHandoffBenchmark.handoff | thrpt | 20.500 ± 1.500 | ops/us | 0.001 |"), table);
        assertTrue(table.contains("| RingHandoffBenchmark.handoff:delivered | thrpt | 0.250 ± 0.050 | ops/us |  |"), table);
        assertEquals(4, table.lines().count(), table);
    }

    @Test
    void replacesOnlyItsOwnSectionAndKeepsProse(@TempDir Path dir) throws Exception {
        Path doc = dir.resolve("p.md");
        Files.writeString(doc, "# Perf\nintro\n<!-- BEGIN a -->\nold\n<!-- END a -->\nafter\n");
        MarkdownSections.replace(doc, "a", "new table\n");
        MarkdownSections.replace(doc, "b", "second\n");
        String text = Files.readString(doc);
        assertTrue(text.startsWith("# Perf\nintro\n<!-- BEGIN a -->\nnew table\n<!-- END a -->\nafter\n"), text);
        assertTrue(text.contains("<!-- BEGIN b -->\nsecond\n<!-- END b -->"), text);
        assertTrue(!text.contains("old"), text);
    }
}
