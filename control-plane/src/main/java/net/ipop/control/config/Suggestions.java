package net.ipop.control.config;

import java.util.List;
import java.util.Locale;

/** "Did you mean" for misspelt keys and values: the closest allowed word within a small edit distance. */
final class Suggestions {
    private Suggestions() {
    }

    /** The closest of {@code allowed} to {@code word}, or null if none is close enough to be a typo. */
    static String closest(String word, List<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String w = word.toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            int d = distance(w, a.toLowerCase(Locale.ROOT));
            // A third of the word may be wrong (at least one letter): "endpiont", "adress", "Mtu".
            if (d <= Math.max(1, a.length() / 3) && d < bestDistance) {
                best = a;
                bestDistance = d;
            }
        }
        return best;
    }

    /** The message tail for an unknown word: a suggestion, or the list of allowed words. */
    static String hint(String word, List<String> allowed) {
        String c = closest(word, allowed);
        return c != null ? "did you mean '" + c + "'?" : "expected one of: " + String.join(", ", allowed);
    }

    /**
     * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
     * two neighbours each cost 1, so "endpiont" is one edit from "endpoint".
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
