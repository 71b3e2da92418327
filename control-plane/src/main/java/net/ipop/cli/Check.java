package net.ipop.cli;

import java.util.List;
import net.ipop.control.status.JsonText;

/** One result line of {@code ipop doctor}: what was checked, how it went, and what to do about it. */
record Check(String name, Status status, String detail, String hint) {
    enum Status { OK, WARN, FAIL }

    static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail, "");
    }

    static Check warn(String name, String detail, String hint) {
        return new Check(name, Status.WARN, detail, hint);
    }

    static Check fail(String name, String detail, String hint) {
        return new Check(name, Status.FAIL, detail, hint);
    }

    static String table(List<Check> checks) {
        int width = 6;
        for (Check c : checks) {
            width = Math.max(width, c.name.length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %-" + width + "s  %-6s %s%n", "check", "result", "detail"));
        for (Check c : checks) {
            sb.append(String.format("  %-" + width + "s  %-6s %s%n", c.name, c.status.name().toLowerCase(java.util.Locale.ROOT), c.detail));
            if (!c.hint.isEmpty()) {
                sb.append(String.format("  %-" + width + "s  %-6s -> %s%n", "", "", c.hint));
            }
        }
        return sb.toString();
    }

    static String toJson(List<Check> checks) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"check\":").append(JsonText.write(c.name))
                    .append(",\"result\":").append(JsonText.write(c.status.name().toLowerCase(java.util.Locale.ROOT)))
                    .append(",\"detail\":").append(JsonText.write(c.detail))
                    .append(",\"hint\":").append(JsonText.write(c.hint)).append('}');
        }
        return sb.append(']').toString();
    }
}
