package net.ipop.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

/**
 * A small bar chart drawn with Java2D and written as PNG: one labelled bar per value on a linear axis from 0. Used
 * by {@code ipop bench --plot}; JFreeChart stays out of the product's class path (it is the perf module's
 * report tool only). Runs headless.
 */
final class BarChart {
    static final int WIDTH = 640;
    static final int HEIGHT = 400;
    private static final Color[] COLORS = {new Color(0x2b6cb0), new Color(0x999999), new Color(0xc05621)};

    /** One bar: its label under it and the text above it. */
    record Bar(String label, double value, String text) {
    }

    private BarChart() {
    }

    /** Draws the chart; {@code bars} must not be empty. */
    static BufferedImage draw(String title, String axis, List<Bar> bars) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            FontMetrics fm = g.getFontMetrics();
            g.drawString(title, (WIDTH - fm.stringWidth(title)) / 2, 28);
            int left = 70;
            int right = WIDTH - 30;
            int top = 60;
            int bottom = HEIGHT - 60;
            double max = 0;
            for (Bar b : bars) {
                max = Math.max(max, b.value());
            }
            double step = niceStep(max);
            double axisMax = Math.max(step, Math.ceil(max / step) * step);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            fm = g.getFontMetrics();
            for (double v = 0; v <= axisMax + step / 2; v += step) {
                int y = bottom - (int) Math.round((bottom - top) * v / axisMax);
                g.setColor(new Color(0xdddddd));
                g.drawLine(left, y, right, y);
                g.setColor(Color.BLACK);
                String t = format(v);
                g.drawString(t, left - 8 - fm.stringWidth(t), y + fm.getAscent() / 2);
            }
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(axis, -(top + bottom + fm.stringWidth(axis)) / 2, 18);
            rotated.dispose();
            g.setStroke(new BasicStroke(1.5f));
            g.drawLine(left, bottom, right, bottom);
            g.drawLine(left, top, left, bottom);
            int slot = (right - left) / bars.size();
            int width = Math.min(140, slot * 3 / 5);
            for (int i = 0; i < bars.size(); i++) {
                Bar b = bars.get(i);
                int x = left + slot * i + (slot - width) / 2;
                int h = (int) Math.round((bottom - top) * b.value() / axisMax);
                g.setColor(COLORS[i % COLORS.length]);
                g.fillRect(x, bottom - h, width, h);
                g.setColor(Color.BLACK);
                g.drawString(b.text(), x + (width - fm.stringWidth(b.text())) / 2, bottom - h - 6);
                g.drawString(b.label(), x + (width - fm.stringWidth(b.label())) / 2, bottom + 18);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** Writes {@link #draw} to {@code file} as PNG. */
    static void write(Path file, String title, String axis, List<Bar> bars) throws IOException {
        if (!ImageIO.write(draw(title, axis, bars), "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    /** 1, 2 or 5 times a power of ten, giving 4 to 10 grid lines up to {@code max}. */
    static double niceStep(double max) {
        if (max <= 0) {
            return 1;
        }
        double raw = max / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double n = raw / magnitude;
        return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude;
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
