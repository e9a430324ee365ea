package io.netns.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON reader of {@link Report}: JMH's result format, and failure as an exception, never an index error. */
class ReportJsonTest {
    /** The shape JMH 1.37 writes with {@code -rf json} (abridged), including a NaN error and params. */
    private static final String JMH = "[\n    {\n        \"jmhVersion\" : \"1.37\",\n"
            + "        \"benchmark\" : \"io.netns.bench.PlannerBenchmark.plan\",\n        \"mode\" : \"avgt\",\n"
            + "        \"jvmArgs\" : [\n            \"-Xms512m\",\n            \"-Xmx512m\"\n        ],\n"
            + "        \"params\" : {\n            \"addresses\" : \"64\",\n            \"requests\" : \"100\"\n        },\n"
            + "        \"primaryMetric\" : {\n            \"score\" : 16321.5e0,\n            \"scoreError\" : \"NaN\",\n"
            + "            \"scoreConfidence\" : [\n                -1.5E3,\n                NaN\n            ],\n"
            + "            \"scoreUnit\" : \"us/op\",\n            \"rawData\" : [ [ 16321.5 ] ]\n        },\n"
            + "        \"secondaryMetrics\" : {\n        },\n        \"note\" : \"a \\\"quoted\\\" \\\\ \\u00b5s\\n\"\n    }\n]\n";

    @SuppressWarnings("unchecked")
    @Test
    void readsJmhResultFile() {
        List<Object> runs = (List<Object>) new Report.Json(JMH).parse();
        assertEquals(1, runs.size());
        Map<String, Object> run = (Map<String, Object>) runs.get(0);
        assertEquals("io.netns.bench.PlannerBenchmark.plan", run.get("benchmark"));
        assertEquals(Map.of("addresses", "64", "requests", "100"), run.get("params"));
        Map<String, Object> metric = (Map<String, Object>) run.get("primaryMetric");
        assertEquals(16321.5, (Double) metric.get("score"));
        assertEquals("NaN", metric.get("scoreError"));
        List<Object> conf = (List<Object>) metric.get("scoreConfidence");
        assertEquals(-1500.0, (Double) conf.get(0));
        assertTrue(((Double) conf.get(1)).isNaN());
        assertEquals(List.of(List.of(16321.5)), metric.get("rawData"));
        assertEquals(Map.of(), run.get("secondaryMetrics"));
        assertEquals("a \"quoted\" \\ µs\n", run.get("note"));
    }

    @Test
    void emptyOrTruncatedInputIsAnIllegalArgumentNamingTheOffset() {
        for (String bad : new String[] {"", "  \n", "[", "[\n  {\n \"benchmark\" : \"x", "{\"a\" 1}", "[1 2]", "[1] x",
            "{\"a\":tru}", "\"\\u00\""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Report.Json(bad).parse(), bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }

    @Test
    void medianOfTheIterationsOfEveryFork() {
        assertEquals(2.0, Report.median(List.of(List.of(1.0, 100.0, 2.0))));
        assertEquals(2.5, Report.median(List.of(List.of(1.0, 2.0), List.of(3.0, 1000.0))));
        assertTrue(Double.isNaN(Report.median(List.of())));
        assertTrue(Double.isNaN(Report.median(null)));
    }

    @Test
    void noneAgainstTheFloorAlsoByTheMedianOfItsIterations(@TempDir Path dir) throws Exception {
        Path jmh = dir.resolve("jmh.json");
        Files.writeString(jmh, "[{\"benchmark\" : \"io.netns.bench.SetupBenchmark.none\", \"mode\" : \"avgt\",\n"
                + "\"primaryMetric\" : {\"score\" : 3700.0, \"scoreError\" : 9000.0, \"scoreUnit\" : \"us/op\",\n"
                + "\"rawData\" : [[500.0, 600.0, 10000.0]]}}]");
        Path floor = dir.resolve("floor.txt");
        Files.writeString(floor, "floor none_create_delete 480000.0 200\nfloor none_create_delete 520000.0 200\n");
        String text = Report.of(jmh.toString(), floor.toString()).text();
        assertTrue(text.contains("| none create+close / C floor (ns + lo up) (SetupBenchmark.none / floor.none_create_delete)"
                + " | 3.70 ms | 500 µs | 7.40× | ≤ 1.5× | **MISSED** |"), text);
        assertTrue(text.contains("| none create+close / C floor (ns + lo up), medians of the iterations | 600 µs | 500 µs | 1.20× |"),
                text);
    }
}
