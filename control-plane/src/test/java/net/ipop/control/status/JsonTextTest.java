package net.ipop.control.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void aDocumentSurvivesWriteThenParse() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "a \"quoted\" \\ name\n\u0001é");
        doc.put("n", 42L);
        doc.put("neg", -7L);
        doc.put("x", 0.25);
        doc.put("t", true);
        doc.put("none", null);
        doc.put("list", Arrays.asList(1L, "two", null, List.of(), Map.of()));
        String text = JsonText.write(doc);
        assertEquals(doc, JsonText.parse(text));
        assertTrue(text.contains("\\u0001"), text);
        assertEquals("{\"a\":[1,2.5,null,false]}", JsonText.write(JsonText.parse(" { \"a\" : [ 1 , 2.5, null,false ] } ")));
        assertEquals("\u00e9/", JsonText.parse("\"\\u00e9\\/\""));
    }

    @Test
    void nonFiniteNumbersBecomeNull() {
        assertEquals("[null,null]", JsonText.write(List.of(Double.NaN, Double.POSITIVE_INFINITY)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"open", "tru", "01x", "{} x", "\"\\q\"",
        "\"\\u12\"", "{a:1}", "-", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"})
    void malformedTextIsRefusedNamingTheOffset(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonText.parse(text));
        assertTrue(e.getMessage().startsWith("not JSON: expected ") && e.getMessage().contains(" at offset "),
                e.getMessage());
    }
}
